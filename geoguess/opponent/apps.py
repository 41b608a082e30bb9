from django.apps import AppConfig


class OpponentConfig(AppConfig):
    name = "geoguess.opponent"
    label = "opponent"
    verbose_name = "worldNET opponent"
