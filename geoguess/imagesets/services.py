"""Importing image sets (all or nothing, each import in a folder of its own) and what the site shows of them."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from PIL import Image

from geoguess.imagesets.checks import imageset_name_check, import_archive_limits, import_credits_check, import_limits
from geoguess.imagesets.models import ImageSet, Photo
from geoguess.imagesets.signals import photos_added
from geoguess.rules import ROUNDS_PER_GAME
from worldnet_core.geo import scale_km
from worldnet_core.images import upright_rgb
from worldnet_core.manifest import ImageRecord, ImageSetError, Manifest, Problem
from worldnet_core.readers import read_imageset
from worldnet_core.readers.validation import Credits, rows_checked

logger = logging.getLogger(__name__)

SERVED_JPEG_QUALITY = 85
#: Called as ``progress(stage, done, total)`` while an import runs: stages ``unpacking`` (0, 0),
#: ``checking`` and ``storing`` (photos done, photos in all), ``saving`` (total, total).
Progress = Callable[[str, int, int], None]
#: Photos stored at once: Pillow decodes, resizes and encodes without holding the GIL, so threads
#: use every core of a worker for the longest stage of an import of camera-size photos.
STORE_THREADS = min(8, os.cpu_count() or 1)


def _media(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def encode_served_image(original: Path, target: Path, max_side: int) -> None:
    """A JPEG re-encoded from pixels alone: upright, at most ``max_side``, no EXIF or other metadata."""
    with Image.open(original) as image:
        if image.format == "JPEG":
            # Decode at the smallest scale still at least the size we keep (a 12 MP photo 2-4x faster).
            # The box has the photo's shape: draft() keeps both sides at least the box's.
            width, height = image.size
            ratio = min(1.0, max_side / max(width, height))
            image.draft("RGB", (max(1, int(width * ratio)), max(1, int(height * ratio))))
        upright = upright_rgb(image)
    # Bilinear: after the draft the factor left is under 2 for a JPEG, where Pillow's antialiased
    # (triangle) filter looks the same as Lanczos at half the cost; the player's copy of a round is
    # re-encoded from this one with noise of its own anyway. Larger factors are box-reduced first.
    upright.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean = Image.new("RGB", upright.size)  # a fresh image carries no info dict from the original
    clean.paste(upright)
    clean.save(target, format="JPEG", quality=SERVED_JPEG_QUALITY, optimize=True)


def import_folders(token: str) -> list[str]:
    """The two folders (relative to MEDIA_ROOT) that the import with folder token ``token`` writes to."""
    return [f"originals/{token}", f"served/{token}"]


def imageset_import(
    *,
    name: str,
    source: Path,
    kind: str = "auto",
    description: str = "",
    credits: Credits | None = None,
    progress: Progress | None = None,
    token: str | None = None,
) -> ImageSet:
    """Reads ``source`` (folder, zip or CSV), keeps the originals, writes served copies, saves.

    ``credits``: the set-wide credit, for each photo field by field where neither its row nor its
    EXIF gives one (checked here by ``import_credits_check``).

    All or nothing: on any failure it raises ``ImageSetError`` (and no other exception)
    with every problem found, and removes exactly what this import wrote: each import
    writes under ``originals/<token>/`` and ``served/<token>/`` (``import_folders``), a random
    token of its own unless the caller gives one (an import job does, so that a later attempt
    can remove what a killed one left), so two imports never share a file.
    The name is checked before any work and again, atomically, by the database.
    Sends ``photos_added`` once the set has committed (worldNET's predictions follow).
    """

    name = imageset_name_check(name)
    if "\0" in description:
        raise ImageSetError([Problem("description", "holds a NUL character")])
    defaults = import_credits_check(**vars(credits or Credits()))
    source = Path(source)
    token = token or secrets.token_hex(8)
    storage, served_folder = import_folders(token)
    report: Progress = progress or (lambda stage, done, total: None)
    try:
        with tempfile.TemporaryDirectory(prefix="imageset-") as unpack:
            report("unpacking", 0, 0)
            reset = rows_checked.set(lambda done, total: report("checking", done, total))
            try:
                manifest = read_imageset(
                    source, dest=Path(unpack) / "unpacked", kind=kind, limits=import_limits(storage), archive_limits=import_archive_limits()
                )
            finally:
                rows_checked.reset(reset)
            if len(manifest) < ROUNDS_PER_GAME:
                raise ImageSetError(
                    [
                        Problem(
                            source.name, f"holds {len(manifest)} photo{'s' * (len(manifest) != 1)}; a game needs at least {ROUNDS_PER_GAME}"
                        )
                    ]
                )
            unpacked = Path(manifest.root).resolve().is_relative_to(Path(unpack).resolve())  # a zip's images: ours to move
            photos = _store(manifest, storage, served_folder, moved=unpacked, defaults=defaults, report=report)
        report("saving", len(photos), len(photos))
        image_set = _save(name, description, source, storage, manifest, photos)
    except ImageSetError:
        _remove(token)
        raise
    except Exception as error:
        _remove(token)
        logger.exception("import of %r from %s failed unexpectedly", name, source.name)
        raise ImageSetError(
            [Problem(source.name, f"could not be imported: an unexpected {type(error).__name__} (the server log has the details)")]
        ) from None
    except BaseException:  # interrupted (Ctrl-C, a worker's shutdown): still leave nothing behind
        _remove(token)
        raise
    return image_set


def _store(manifest: Manifest, storage: str, served_folder: str, *, moved: bool, defaults: Credits, report: Progress) -> list[Photo]:
    """Keeps each original and writes its served copy, on ``STORE_THREADS`` threads; the photos, unsaved, in order,
    each with its own credit or, field by field, the set-wide ``defaults``.

    ``moved``: the images were unpacked into a temporary folder of ours, so they are moved
    (a rename on one file system) rather than copied.
    """

    def store(record: ImageRecord) -> Photo:
        original = f"{storage}/{record.path}"
        served = f"{served_folder}/{secrets.token_hex(16)}.jpg"
        _media(original).parent.mkdir(parents=True, exist_ok=True)
        (shutil.move if moved else shutil.copyfile)(manifest.absolute_path(record), _media(original))
        encode_served_image(_media(original), _media(served), settings.SERVED_IMAGE_MAX_SIDE)
        credit = Credits(record.author, record.licence, record.source).or_(defaults)
        return Photo(
            original=original,
            served=served,
            lat=record.lat,
            lon=record.lon,
            place=record.place,
            country=record.country,
            group=record.group,
            author=credit.author,
            licence=credit.licence,
            source=credit.source,
        )

    pool = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="import-store")
    photos: list[Photo] = []
    try:
        for done, photo in enumerate(pool.map(store, manifest), start=1):
            photos.append(photo)
            report("storing", done, len(manifest))
    finally:
        # On failure: stop what has not started and wait for what has, so that nothing is
        # written after the caller removes this import's folders.
        pool.shutdown(wait=True, cancel_futures=True)
    return photos


def _save(name: str, description: str, source: Path, storage: str, manifest: Manifest, photos: list[Photo]) -> ImageSet:
    """Creates the set and its photos in one transaction; a name taken meanwhile fails the unique index."""
    for attempt in range(3):
        slug = _unique_slug(name) if attempt == 0 else f"{_unique_slug(name)[:120]}-{secrets.token_hex(3)}"
        try:
            with transaction.atomic():
                image_set = ImageSet.objects.create(
                    name=name,
                    slug=slug,
                    description=description,
                    source=source.name[:300],
                    storage=storage,
                    scale_km=scale_km(manifest.lats(), manifest.lons()),
                )
                for photo in photos:
                    photo.image_set = image_set
                Photo.objects.bulk_create(photos, batch_size=500)
                # Robust: a receiver that fails (worldNET's predictions not queued) does not undo a saved import.
                transaction.on_commit(partial(photos_added.send_robust, sender=ImageSet, image_set_id=image_set.pk))
            return image_set
        except IntegrityError:
            if ImageSet.objects.filter(name=name).exists():
                raise ImageSetError(
                    [Problem("name", f"an image set called {name!r} exists already (it was saved while this one was being imported)")]
                ) from None
            # Otherwise another import took the slug: try a fresh one.
    raise ImageSetError([Problem("name", "no free slug for this name; choose another name")])


def _remove(token: str) -> None:
    """Removes what one import wrote: its own originals and served folders, nothing else."""
    for folder in import_folders(token):
        shutil.rmtree(_media(folder), ignore_errors=True)


def import_leftovers_remove(*, token: str) -> None:
    """Removes the folders of an import that was killed before it could clean up (see ``jobs``)."""
    if token:
        _remove(token)


def imageset_files_remove(*, storage: str, paths: list[str]) -> None:
    """Deletes a removed image set's or photo's files (after its deletion commits)."""
    for relative in paths:
        if relative:
            _media(relative).unlink(missing_ok=True)
    if storage:
        shutil.rmtree(_media(storage), ignore_errors=True)
        if storage.startswith("originals/"):  # the served copies' folder of the same import (empty by now)
            shutil.rmtree(_media("served/" + storage.removeprefix("originals/")), ignore_errors=True)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:120] or "image-set"
    slug, n = base, 2
    while ImageSet.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def served_image_path(photo: Photo) -> Path:
    return _media(photo.served)
