from django.apps import AppConfig


class ImageSetsConfig(AppConfig):
    name = "geoguess.imagesets"
    label = "imagesets"
    verbose_name = "Image sets"

    def ready(self) -> None:
        from geoguess.imagesets import signals  # noqa: F401 - connects the file clean-up on delete
