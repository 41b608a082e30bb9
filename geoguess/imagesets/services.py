"""Importing image sets (all or nothing) and what the site shows of them."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify
from PIL import Image, ImageOps

from geoguess.imagesets.models import ImageSet, Photo
from worldnet_core.geo import scale_km
from worldnet_core.manifest import ImageSetError, Problem
from worldnet_core.readers import read_imageset

SERVED_JPEG_QUALITY = 85


def _media(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def encode_served_image(original: Path, target: Path, max_side: int) -> None:
    """A JPEG re-encoded from pixels alone: upright, at most ``max_side``, no EXIF or other metadata."""
    with Image.open(original) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean = Image.new("RGB", upright.size)  # a fresh image carries no info dict from the original
    clean.paste(upright)
    clean.save(target, format="JPEG", quality=SERVED_JPEG_QUALITY, optimize=True)


def imageset_import(*, name: str, source: Path, kind: str = "auto", description: str = "") -> ImageSet:
    """Reads ``source`` (folder or zip) with the readers, keeps originals, writes served copies, saves.

    Raises ``ImageSetError`` with every problem found; then nothing is saved and no
    file is left behind. Queues worldNET's predictions after commit when a model is active.
    """
    name = name.strip()
    if not name:
        raise ImageSetError([Problem("name", "an image set needs a name")])
    if ImageSet.objects.filter(name=name).exists():
        raise ImageSetError([Problem("name", f"an image set called {name!r} exists already")])
    slug = _unique_slug(name)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="imageset-") as unpack:
        manifest = read_imageset(Path(source), dest=Path(unpack) / "unpacked", kind=kind)
        try:
            photos = []
            for record in manifest:
                original = f"originals/{slug}/{record.path}"
                served = f"served/{secrets.token_hex(16)}.jpg"
                _media(original).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(manifest.absolute_path(record), _media(original))
                written.append(_media(original))
                encode_served_image(_media(original), _media(served), settings.SERVED_IMAGE_MAX_SIDE)
                written.append(_media(served))
                photos.append(Photo(original=original, served=served, lat=record.lat, lon=record.lon, place=record.place, country=record.country, group=record.group))
            with transaction.atomic():
                image_set = ImageSet.objects.create(
                    name=name, slug=slug, description=description, source=Path(source).name, scale_km=scale_km(manifest.lats(), manifest.lons())
                )
                for photo in photos:
                    photo.image_set = image_set
                Photo.objects.bulk_create(photos, batch_size=500)
                transaction.on_commit(lambda: _queue_predictions(image_set.pk))
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            shutil.rmtree(_media(f"originals/{slug}"), ignore_errors=True)
            raise
    return image_set


def _queue_predictions(image_set_id: int) -> None:
    from geoguess.opponent.services import predictions_queue_for_image_set

    predictions_queue_for_image_set(image_set_id=image_set_id)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:120] or "image-set"
    slug, n = base, 2
    while ImageSet.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- selectors ---------------------------------------------------------------------------


def imageset_coverage_cells(*, image_set: ImageSet, cell_deg: float = 10.0) -> list[dict]:
    """Where a set's photos lie, coarsely (``cell_deg`` cells with counts): enough to choose a
    set by, too coarse to help in a round. Exact positions are only shown to admins."""
    cells: dict[tuple[int, int], int] = {}
    for lat, lon in image_set.photos.values_list("lat", "lon"):
        key = (int(lat // cell_deg), int(lon // cell_deg))
        cells[key] = cells.get(key, 0) + 1
    return [{"south": a * cell_deg, "west": b * cell_deg, "size": cell_deg, "count": n} for (a, b), n in sorted(cells.items())]


def imageset_coverage_map_html(*, image_set: ImageSet) -> str:
    """An admin's folium map of every photo, with Leaflet served from this site's static files."""
    from django.templatetags.static import static

    from worldnet_core.maps import add_points, offline_map

    fmap = offline_map(asset_url=static("leaflet"))
    add_points(fmap, image_set.photos.values_list("lat", "lon"), color="#c0392b", radius=3)
    return fmap.get_root().render()


def served_image_path(photo: Photo) -> Path:
    return _media(photo.served)
