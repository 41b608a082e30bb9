from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "geoguess.accounts"
    label = "accounts"
    verbose_name = "Accounts and ratings"
