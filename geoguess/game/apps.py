from django.apps import AppConfig


class GameConfig(AppConfig):
    name = "geoguess.game"
    label = "game"
    verbose_name = "Games"

    def ready(self) -> None:
        from geoguess.game import modes  # noqa: F401 - registers every mode with the round engine
