"""Deleting an image set or a photo deletes its files, once the deletion has committed.

Signals rather than an overridden ``delete()``: the admin's bulk action, queryset
deletes and cascades all send ``post_delete``, and none of them calls ``delete()``.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.imagesets.services import imageset_files_remove


@receiver(post_delete, sender=Photo, dispatch_uid="photo-files")
def _photo_files(sender, instance: Photo, **kwargs) -> None:
    transaction.on_commit(partial(imageset_files_remove, storage="", paths=[instance.original, instance.served]))


@receiver(post_delete, sender=ImageSet, dispatch_uid="imageset-files")
def _imageset_files(sender, instance: ImageSet, **kwargs) -> None:
    transaction.on_commit(partial(imageset_files_remove, storage=instance.storage, paths=[]))
