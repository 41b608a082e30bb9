"""Curating an image set's photos: taking one out of new games, putting it back, correcting where it was taken."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from PIL import Image

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.imagesets.services import served_image_path
from geoguess.imagesets.signals import photo_moved
from worldnet_core.geo import scale_km
from worldnet_core.images import upright_rgb
from worldnet_core.manifest import parse_coordinate

THUMBNAIL_SIDE = 240


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
    """Moves a photo to where it was really taken; the set's scale D follows its photos' new extent.

    ``ValueError`` (with the readers' own words) when a coordinate is not a valid one. Sends
    ``photo_moved`` inside the transaction: the opponent app has worldNET's prediction for the photo
    made again. Rounds played already keep the answer they were scored against (the game stores it
    with each guess); rounds played from now on are scored against the corrected location.
    """
    lat, lon = parse_coordinate(lat, "latitude"), parse_coordinate(lon, "longitude")
    if (lat, lon) == (photo.lat, photo.lon):
        return photo
    with transaction.atomic():
        photo.lat, photo.lon, photo.location_corrected_at = lat, lon, timezone.now()
        photo.save(update_fields=["lat", "lon", "location_corrected_at"])
        image_set = photo.image_set
        lats, lons = zip(*image_set.photos.values_list("lat", "lon"))
        ImageSet.objects.filter(pk=image_set.pk).update(scale_km=scale_km(lats, lons))
        photo_moved.send(sender=Photo, photo_id=photo.pk)
    return photo


def photo_thumbnail_jpeg(*, photo: Photo, side: int = THUMBNAIL_SIDE) -> bytes:
    """A small JPEG of the photo's served copy, for admins (players never get this URL)."""
    with Image.open(served_image_path(photo)) as image:
        image.draft("RGB", (side, side))
        small = upright_rgb(image)
    small.thumbnail((side, side))
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
