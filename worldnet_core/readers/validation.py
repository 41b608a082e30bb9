"""The one check every reader's rows go through before they become ``ImageRecord``\\ s.

Readers differ in how they find rows (a labels CSV, a manifest, EXIF tags, GSV-Cities
frames), not in what a good row is. Each reader yields ``Candidate``\\ s; ``validate``
checks them all, in one place:

- the image path: not empty, relative, inside the set's folder (symbolic links
  included), within the file system's name lengths, free of control characters;
- the image itself: present, listed once, fully decoded (``load()``, not ``verify()``,
  which passes truncated files) under an explicit pixel limit, orientation applied;
- the coordinates: numbers, finite, in range;
- the text fields: within the lengths the database stores, no control characters.

Every failure becomes one ``Problem`` naming the file and row, and nothing but
``ImageSetError`` leaves ``validate``.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image, ImageOps, UnidentifiedImageError

from worldnet_core.manifest import ImageRecord, ImageSetError, Manifest, Problem, parse_coordinate

#: File names the formats we read are decoded with; anything else is refused by suffix.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"})
#: Photo formats people have that Pillow cannot read: named, so the message can say what to do.
UNSUPPORTED_PHOTO_SUFFIXES = frozenset({".heic", ".heif", ".avif", ".dng", ".cr2", ".nef", ".arw"})
#: One component of a path: Linux, macOS and Windows file systems all stop at 255.
MAX_NAME_BYTES = 255
#: Called as ``(checked, total)`` after each row ``validate`` checks, when a caller sets it: an
#: import's progress. A context variable, so every reader reports without a parameter threaded through.
rows_checked: ContextVar[Callable[[int, int], None] | None] = ContextVar("rows_checked", default=None)


@dataclass(frozen=True)
class Limits:
    """What a row may hold. The importer fills the text lengths from its database fields."""

    max_pixels: int = 50_000_000
    max_path_chars: int = 400  # the game's column for an original's path (the importer passes what is left of it)
    max_place_chars: int = 200
    max_country_chars: int = 100
    max_group_chars: int = 200
    #: Decode JPEGs at a reduced scale (down to libjpeg's 1/8) no smaller than this on each side:
    #: every byte of the file is still entropy-decoded (truncation and corruption show), at a
    #: fraction of the cost. A 12 MP photo decodes at 500×375.
    decode_side: int = 256


@dataclass(frozen=True)
class Candidate:
    """A row as a reader found it, before any check. Coordinates may still be text."""

    file: str  # the file the row came from, as the user knows it (``labels.csv``, ``Oslo/one.jpg``)
    row: int | None  # the spreadsheet row (header = 1); None for a row that is a file (EXIF)
    image: str  # the image's path relative to the set's folder, as written
    lat: str | float | None
    lon: str | float | None
    place: str = ""
    country: str = ""
    group: str = ""
    #: Set by readers that found the row's position in the image itself (EXIF): no file to look up.
    problem: str | None = None


#: How a reader finds a row's image from the path it gave: the labels reader tries ``images/``
#: and suffix-less ids, the others take the path as it is. None: not there.
Locate = Callable[[Path, str], Path | None]


def locate_exact(root: Path, image: str) -> Path | None:
    path = root / image
    return path if path.is_file() else None


def validate(
    root: Path,
    candidates: Iterable[Candidate],
    *,
    limits: Limits | None = None,
    locate: Locate = locate_exact,
    notes: list[str] | None = None,
) -> Manifest:
    """Checks every candidate; returns the manifest, or raises one ``ImageSetError`` listing every bad row."""
    limits = limits or Limits()
    root = Path(root)
    real_root = root.resolve()
    problems: list[Problem] = []
    records: list[ImageRecord] = []
    seen: dict[str, str] = {}
    report = rows_checked.get()
    candidates = list(candidates)  # the total, for progress
    for checked, candidate in enumerate(candidates, start=1):
        checked_row = _check(candidate, root, real_root, limits, locate, seen)
        if isinstance(checked_row, Problem):
            problems.append(checked_row)
        else:
            records.append(checked_row)
        if report is not None:
            report(checked, len(candidates))
    if problems:
        raise ImageSetError(problems)
    return Manifest(root, records, list(notes or []))


def _check(c: Candidate, root: Path, real_root: Path, limits: Limits, locate: Locate, seen: dict[str, str]) -> ImageRecord | Problem:
    """The candidate's record, or the problem that refuses it."""

    def refuse(message: str) -> Problem:
        return Problem(c.file, message, row=c.row)

    if c.problem:
        return refuse(c.problem)
    try:
        lat = parse_coordinate(c.lat, "latitude")
        lon = parse_coordinate(c.lon, "longitude")
        image_text = safe_relative_path(c.image, limits.max_path_chars)
        place = text_field(c.place, "place", limits.max_place_chars)
        country = text_field(c.country, "country", limits.max_country_chars)
        group = text_field(c.group, "group", limits.max_group_chars)
    except ValueError as error:
        return refuse(str(error))
    try:
        path = locate(root, image_text)
    except OSError as error:  # a name the file system refuses, even within our limits
        return refuse(f"image {_shown(image_text)} cannot be looked up ({error.strerror or type(error).__name__})")
    # A row that is a file (EXIF) is named by its file already; a CSV row names its image.
    subject = "" if c.row is None and c.file == image_text else f"image {_shown(image_text)} "
    if path is None:
        return refuse(f"{subject}is listed but missing")
    try:
        real = path.resolve()
    except OSError:
        return refuse(f"image {_shown(image_text)} cannot be looked up")
    if not real.is_relative_to(real_root):
        return refuse(f"image {_shown(image_text)} is a link that leaves the image set's folder")
    relative = path.relative_to(root).as_posix()
    if relative in seen:
        return refuse(f"image {_shown(relative)} is listed twice (also {seen[relative]})")
    seen[relative] = f"row {c.row}" if c.row is not None else c.file
    unreadable = check_image(path, limits)
    if unreadable:
        return refuse(f"{subject}{unreadable}")
    return ImageRecord(path=relative, lat=lat, lon=lon, place=place, country=country, group=group)


# --- the checks, usable one at a time ------------------------------------------------------


def safe_relative_path(text: str, max_chars: int = Limits.max_path_chars) -> str:
    """A path that stays inside the set's folder and that every file system can hold."""
    text = str(text or "").strip().replace("\\", "/")
    if not text:
        raise ValueError("no image named")
    if _has_control(text):
        raise ValueError(f"image {_shown(text)} has a control character in its name")
    if len(text) > max_chars:
        raise ValueError(f"image name is {len(text)} characters long; at most {max_chars} are allowed")
    path = PurePosixPath(text)
    if path.is_absolute() or ".." in path.parts or (path.parts and path.parts[0].endswith(":")):
        raise ValueError(f"image {_shown(text)} leaves the image set's folder")
    for part in path.parts:
        if len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            raise ValueError(f"image {_shown(text)} has a name part longer than the {MAX_NAME_BYTES} bytes file systems allow")
    return path.as_posix()


def text_field(value: str | None, name: str, max_chars: int) -> str:
    """A label cell, its runs of white space made single spaces; refused when too long or holding controls."""
    text = " ".join(str(value or "").split())
    if _has_control(text):
        raise ValueError(f"{name} {_shown(text, 40)} has a control character")
    if len(text) > max_chars:
        raise ValueError(f"{name} is {len(text)} characters long; at most {max_chars} are stored")
    return text


def check_image(path: Path, limits: Limits | None = None) -> str | None:
    """None when ``path`` decodes whole, within the pixel limit, with a usable orientation; else why not.

    The message never holds the server's path: it goes to whoever uploaded the set.
    """
    limits = limits or Limits()
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED_PHOTO_SUFFIXES:
        return f"is a {suffix[1:].upper()} file, which cannot be read here: export it as JPEG"
    try:
        with warnings.catch_warnings():
            # Pillow warns past its own bomb limit (and refuses past twice that): our own, lower
            # limit is checked from the header right after opening, before any pixel is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > limits.max_pixels:
                    return (
                        f"is {width}×{height} pixels ({width * height / 1e6:.0f} megapixels), "
                        f"more than the {limits.max_pixels / 1e6:.0f} megapixels allowed"
                    )
                if width < 1 or height < 1:
                    return "has no pixels"
                if image.format == "JPEG":
                    image.draft(image.mode, (limits.decode_side, limits.decode_side))
                image.load()
                ImageOps.exif_transpose(image, in_place=True)  # a broken orientation tag fails here, not at serving time
    except Image.DecompressionBombError as error:
        found = re.search(r"\((\d+) pixels\)", str(error))
        size = f"{int(found.group(1)) / 1e6:.0f} megapixels" if found else "far larger"
        return f"is {size}, more than the {limits.max_pixels / 1e6:.0f} megapixels allowed"
    except UnidentifiedImageError:
        return "cannot be read: it is not an image in a format we read (JPEG, PNG, WebP, GIF, BMP, TIFF)"
    except (OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError, ZeroDivisionError, MemoryError, EOFError) as error:
        # Pillow's decoders raise all of these on damaged files; the text says which damage.
        return f"cannot be read ({_without_paths(str(error), path) or type(error).__name__})"
    return None


# --- helpers ---------------------------------------------------------------------------------


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def _shown(text: str, limit: int = 80) -> str:
    """A user's text, quoted and cut short, for a message."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _without_paths(message: str, path: Path) -> str:
    for prefix in (str(path.resolve()), str(path), str(path.parent)):
        message = message.replace(prefix, path.name)
    return message.strip()
