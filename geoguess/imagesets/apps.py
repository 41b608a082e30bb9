from django.apps import AppConfig


class ImageSetsConfig(AppConfig):
    name = "geoguess.imagesets"
    label = "imagesets"
    verbose_name = "Image sets"
