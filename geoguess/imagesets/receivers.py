"""Deleting an image set or a photo deletes its files, once the deletion has committed (connected in ``ImageSetsConfig.ready()``).

Signals rather than an overridden ``delete()``: the admin's bulk action, queryset
deletes and cascades all send ``post_delete``, and none of them calls ``delete()``.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.imagesets.services import imageset_files_remove


def photo_deleted(sender: type[Photo], instance: Photo, **kwargs: object) -> None:
    transaction.on_commit(partial(imageset_files_remove, storage="", paths=[instance.original, instance.served]))


def image_set_deleted(sender: type[ImageSet], instance: ImageSet, **kwargs: object) -> None:
    transaction.on_commit(partial(imageset_files_remove, storage=instance.storage, paths=[]))
