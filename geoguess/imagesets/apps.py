from django.apps import AppConfig


class ImageSetsConfig(AppConfig):
    name = "geoguess.imagesets"
    label = "imagesets"
    verbose_name = "Image sets"

    def ready(self) -> None:
        from django.contrib import admin
        from django.db.models.signals import post_delete

        from geoguess.imagesets import receivers
        from geoguess.imagesets.admin import register
        from geoguess.imagesets.models import ImageSet, Photo

        # Deleting a set or a photo deletes its files, once the deletion has committed.
        post_delete.connect(receivers.photo_deleted, sender=Photo, dispatch_uid="photo-files")
        post_delete.connect(receivers.image_set_deleted, sender=ImageSet, dispatch_uid="imageset-files")
        register(admin.site)
