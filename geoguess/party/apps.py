from django.apps import AppConfig


class PartyConfig(AppConfig):
    name = "geoguess.party"
    label = "party"
    verbose_name = "Parties"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from geoguess.party import (
            modes,  # noqa: F401 - registers every party mode with the referee
            receivers,
        )
        from geoguess.party.models import Party

        post_delete.connect(receivers.party_deleted, sender=Party, dispatch_uid="party-round-images")
