from django.apps import AppConfig


class GameConfig(AppConfig):
    name = "geoguess.game"
    label = "game"
    verbose_name = "Games"
