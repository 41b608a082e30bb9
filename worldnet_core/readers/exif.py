"""Photos whose location is in their EXIF GPS tags."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from worldnet_core.manifest import ImageRecord, ImageSetError, Manifest, Problem, parse_coordinate
from worldnet_core.readers.sources import image_files

GPS_IFD = 0x8825
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4


def _degrees(dms: tuple) -> float:
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
        image.verify()
    if GPS_LATITUDE not in gps or GPS_LONGITUDE not in gps:
        return None
    lat = _degrees(gps[GPS_LATITUDE]) * (-1 if str(gps.get(GPS_LATITUDE_REF, "N")).upper().startswith("S") else 1)
    lon = _degrees(gps[GPS_LONGITUDE]) * (-1 if str(gps.get(GPS_LONGITUDE_REF, "E")).upper().startswith("W") else 1)
    return parse_coordinate(str(lat), "latitude"), parse_coordinate(str(lon), "longitude")


def read_exif_folder(root: Path) -> Manifest:
    """Every photo under ``root``; those without GPS or unreadable are all reported."""
    root = Path(root)
    photos = image_files(root)
    if not photos:
        raise ImageSetError([Problem(root.name or str(root), "holds no images (.jpg, .jpeg, .png, .webp) and no labels CSV")])
    records, problems = [], []
    for photo in photos:
        relative = photo.relative_to(root).as_posix()
        try:
            position = gps_of(photo)
        except (UnidentifiedImageError, OSError, SyntaxError) as error:
            problems.append(Problem(relative, f"cannot be read as an image ({type(error).__name__}: {error})"))
            continue
        except (ValueError, ZeroDivisionError, TypeError) as error:
            problems.append(Problem(relative, f"has GPS tags that are not a valid position ({error})"))
            continue
        if position is None:
            problems.append(Problem(relative, "has no GPS position in its EXIF"))
            continue
        # A photo's folder is the nearest thing to a place label a user gives us.
        parent = photo.parent.relative_to(root).as_posix()
        records.append(ImageRecord(relative, position[0], position[1], place="" if parent == "." else parent))
    if problems:
        raise ImageSetError(problems)
    return Manifest(root, records)
