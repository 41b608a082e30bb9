"""Curating an image set's photos: taking one out of new games, putting it back, correcting where it was taken."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from PIL import Image

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.imagesets.services import served_image_path
from worldnet_core.geo import scale_km
from worldnet_core.images import upright_rgb
from worldnet_core.manifest import parse_coordinate

THUMBNAIL_SIDE = 240

logger = logging.getLogger(__name__)


def photos_enable(*, photo_ids: Iterable[int] | QuerySet, enabled: bool) -> int:
    """Puts photos back in new games, or takes them out; returns how many changed.

    Games already started keep their rounds (a player mid-game loses nothing); only the draw
    of new games (``Photo.objects.enabled()``) and the sets offered to players change.
    """
    # A queryset (the admin's "select all") stays a subquery: a list of its ids would pass
    # SQLite's limit on query parameters past some 32,000 photos.
    ids = photo_ids if isinstance(photo_ids, QuerySet) else list(photo_ids)
    return Photo.objects.filter(pk__in=ids).exclude(enabled=enabled).update(enabled=enabled)


def photo_location_correct(*, photo: Photo, lat: float | str, lon: float | str) -> Photo:
    """Moves a photo to where it was really taken and has worldNET's predictions for it made again.

    ``ValueError`` (with the readers' own words) when a coordinate is not a valid one. The
    active version's prediction is deleted and queued again after commit (the queue skips
    photos that already have one). Other versions keep theirs: a prediction comes from the
    pixels alone, and duels and challenges against those versions still need it. Scores are
    computed against the photo's location when revealed, so they follow the correction.
    The set's scale D follows its photos' new extent.
    """
    from geoguess.opponent.models import Prediction  # the opponent app builds on this one: imported late
    from geoguess.opponent.services import active_version

    lat, lon = parse_coordinate(lat, "latitude"), parse_coordinate(lon, "longitude")
    if (lat, lon) == (photo.lat, photo.lon):
        return photo
    with transaction.atomic():
        photo.lat, photo.lon, photo.location_corrected_at = lat, lon, timezone.now()
        photo.save(update_fields=["lat", "lon", "location_corrected_at"])
        version = active_version()
        if version is not None:
            Prediction.objects.filter(photo=photo, model_version=version).delete()
        image_set = photo.image_set
        lats, lons = zip(*image_set.photos.values_list("lat", "lon"))
        ImageSet.objects.filter(pk=image_set.pk).update(scale_km=scale_km(lats, lons))
        transaction.on_commit(lambda: _queue_prediction(photo.pk))
    return photo


def _queue_prediction(photo_id: int) -> None:
    from geoguess.opponent.services import active_version, predictions_queue

    version = active_version()
    if version is None:
        return
    try:
        predictions_queue(version_id=version.pk, photo_ids=[photo_id])
    except Exception:
        # The correction is saved; the prediction comes back with the next queueing for the set.
        logger.exception("the prediction of corrected photo %s could not be queued", photo_id)


def photo_thumbnail_jpeg(*, photo: Photo, side: int = THUMBNAIL_SIDE) -> bytes:
    """A small JPEG of the photo's served copy, for admins (players never get this URL)."""
    with Image.open(served_image_path(photo)) as image:
        image.draft("RGB", (side, side))
        small = upright_rgb(image)
    small.thumbnail((side, side))
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
