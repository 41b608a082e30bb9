from django.apps import AppConfig


class GameConfig(AppConfig):
    name = "geoguess.game"
    label = "game"
    verbose_name = "Games"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from geoguess.game import (
            modes,  # noqa: F401 - registers every mode with the round engine
            receivers,
        )
        from geoguess.game.models import Round

        # A round deleted (alone, or with its game, photo or image set) deletes its image files, once that commits.
        post_delete.connect(receivers.round_deleted, sender=Round, dispatch_uid="round-image-files")
