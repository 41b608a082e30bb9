from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "geoguess.accounts"
    label = "accounts"
    verbose_name = "Accounts and ratings"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from geoguess.accounts import receivers
        from geoguess.game.signals import game_finished
        from geoguess.party.signals import party_game_finished

        # Finished duels are rated (``receivers``: what is rated and what is not).
        game_finished.connect(receivers.rate_finished_game, dispatch_uid="accounts-rate-finished-game")
        party_game_finished.connect(receivers.rate_finished_party_game, dispatch_uid="accounts-rate-finished-party-game")
        # Signing in or up: the start forms offer the account's name, not the one last played under as a guest.
        user_logged_in.connect(receivers.offer_account_name, dispatch_uid="accounts-offer-account-name")
