"""Photos whose location is in their EXIF GPS tags."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import SupportsFloat

from PIL import Image

from worldnet_core.manifest import ImageSetError, Manifest, Problem, parse_coordinate
from worldnet_core.readers.sources import image_files, unsupported_photos
from worldnet_core.readers.validation import Candidate, Limits, check_image, validate

GPS_IFD = 0x8825
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4


def _degrees(dms: Sequence[SupportsFloat]) -> float:
    """Degrees from EXIF's (degrees, minutes, seconds) rationals."""
    degrees, minutes, seconds = (float(x) for x in dms)
    return degrees + minutes / 60.0 + seconds / 3600.0


def gps_of(path: Path) -> tuple[float, float] | None:
    """``(lat, lon)`` from a photo's EXIF, None when it has no GPS position.

    Raises ``OSError`` (or Pillow's ``UnidentifiedImageError``) for unreadable files
    and ``ValueError`` for GPS tags that do not make a valid position.
    """
    with Image.open(path) as image:
        gps = image.getexif().get_ifd(GPS_IFD)
    if GPS_LATITUDE not in gps or GPS_LONGITUDE not in gps:
        return None
    lat = _degrees(gps[GPS_LATITUDE]) * (-1 if str(gps.get(GPS_LATITUDE_REF, "N")).upper().startswith("S") else 1)
    lon = _degrees(gps[GPS_LONGITUDE]) * (-1 if str(gps.get(GPS_LONGITUDE_REF, "E")).upper().startswith("W") else 1)
    return parse_coordinate(lat, "latitude"), parse_coordinate(lon, "longitude")


def _candidate(root: Path, photo: Path) -> Candidate:
    relative = photo.relative_to(root).as_posix()
    # A photo's folder is the nearest thing to a place label a user gives us.
    parent = photo.parent.relative_to(root).as_posix()
    place = "" if parent == "." else parent
    try:
        position = gps_of(photo)
    except (ValueError, ZeroDivisionError, TypeError, OverflowError) as error:
        return Candidate(relative, None, relative, None, None, problem=f"has GPS tags that are not a valid position ({error})")
    except Exception:
        why = check_image(photo) or "has EXIF tags that cannot be read"
        return Candidate(relative, None, relative, None, None, problem=why)
    if position is None:
        return Candidate(relative, None, relative, None, None, problem="has no GPS position in its EXIF")
    return Candidate(relative, None, relative, position[0], position[1], place)


def read_exif_folder(root: Path, *, limits: Limits | None = None) -> Manifest:
    """Every photo under ``root``; those without GPS or unreadable are all reported."""
    root = Path(root)
    photos = image_files(root)
    skipped = unsupported_photos(root)
    if not photos and not skipped:
        raise ImageSetError([Problem(root.name or "the archive", "holds no images (.jpg, .jpeg, .png, .webp, .gif) and no labels CSV")])
    candidates = [_candidate(root, photo) for photo in photos]
    # Photos we cannot read are refused by name, so nobody wonders where their iPhone photos went.
    candidates += [Candidate(p.relative_to(root).as_posix(), None, p.relative_to(root).as_posix(), 0.0, 0.0) for p in skipped]
    return validate(root, candidates, limits=limits)
