from django.apps import AppConfig


class OpponentConfig(AppConfig):
    name = "geoguess.opponent"
    label = "opponent"
    verbose_name = "worldNET opponent"

    def ready(self) -> None:
        from django.contrib import admin

        from geoguess.imagesets.signals import photo_moved, photos_added
        from geoguess.opponent import receivers
        from geoguess.opponent.admin import register

        # worldNET's predictions follow the photos: a new set's are queued, a moved photo's made again.
        photos_added.connect(receivers.predict_added_photos, dispatch_uid="opponent-predict-added-photos")
        photo_moved.connect(receivers.predict_moved_photo, dispatch_uid="opponent-predict-moved-photo")
        register(admin.site)  # after the image sets' admin (INSTALLED_APPS order): it adds training to their list
