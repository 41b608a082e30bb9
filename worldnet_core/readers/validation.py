"""The one check every reader's rows go through before they become ``ImageRecord``\\ s.

Readers differ in how they find rows (a labels CSV, a manifest, EXIF tags, GSV-Cities
frames), not in what a good row is. Each reader yields ``Candidate``\\ s; ``validate``
checks them all, in one place:

- the image path: not empty, relative, inside the set's folder (symbolic links
  included), within the file system's name lengths, free of control characters;
- the image itself: present, listed once, fully decoded (``load()``, not ``verify()``,
  which passes truncated files) under an explicit pixel limit, orientation applied;
- the coordinates: numbers, finite, in range;
- the text fields: within the lengths the database stores, no control characters;
- the credit (author, licence, source): text like the others, a source an http(s) URL;
  where the row gives none, the image's EXIF Artist and Copyright (a row's value wins).

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
from urllib.parse import urlsplit

from PIL import Image, ImageOps, UnidentifiedImageError

from worldnet_core.manifest import ImageRecord, ImageSetError, Manifest, Problem, parse_coordinate

#: File names the formats we read are decoded with; anything else is refused by suffix.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"})
#: Photo formats people have that Pillow cannot read: named, so the message can say what to do.
UNSUPPORTED_PHOTO_SUFFIXES = frozenset({".heic", ".heif", ".avif", ".dng", ".cr2", ".nef", ".arw"})
#: One component of a path: Linux, macOS and Windows file systems all stop at 255.
MAX_NAME_BYTES = 255
#: The EXIF tags of a photo's credit (IFD0): Artist becomes the author, Copyright the licence.
EXIF_ARTIST, EXIF_COPYRIGHT = 0x013B, 0x8298
#: The schemes a source may have: a page a player can open, never ``javascript:`` or ``data:``.
SOURCE_SCHEMES = ("http", "https")
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
    max_author_chars: int = 200
    max_licence_chars: int = 200
    max_source_chars: int = 500
    #: Decode JPEGs at a reduced scale (down to libjpeg's 1/8) no smaller than this on each side:
    #: every byte of the file is still entropy-decoded (truncation and corruption show), at a
    #: fraction of the cost. A 12 MP photo decodes at 500×375.
    decode_side: int = 256


@dataclass(frozen=True)
class Credits:
    """A photo's credit: who took it, under which licence, where it comes from; each may be empty.

    An import's set-wide defaults are one (``credits_check`` checks them as rows are checked):
    ``credits.or_(defaults)`` fills what a photo lacks, field by field.

    >>> Credits(author="Ann").or_(Credits("OSV-5M authors", "CC BY-SA 4.0"))
    Credits(author='Ann', licence='CC BY-SA 4.0', source='')
    """

    author: str = ""
    licence: str = ""
    source: str = ""

    def or_(self, fallback: Credits) -> Credits:
        return Credits(self.author or fallback.author, self.licence or fallback.licence, self.source or fallback.source)


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
    #: The photo's credit as the row gives it (empty: none; the image's EXIF may give the author and licence).
    author: str = ""
    licence: str = ""
    source: str = ""
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
        given = credits_check(c.author, c.licence, c.source, limits)  # before the group, which may be the author's column
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
    unreadable, tags = inspect_image(path, limits, credits=not (given.author and given.licence))
    if unreadable:
        return refuse(f"{subject}{unreadable}")
    try:
        tagged = Credits(
            author=exif_text(tags.get(EXIF_ARTIST), "EXIF Artist", limits.max_author_chars) if not given.author else "",
            licence=exif_text(tags.get(EXIF_COPYRIGHT), "EXIF Copyright", limits.max_licence_chars) if not given.licence else "",
        )
    except ValueError as error:
        where = f"image {_shown(image_text)}: " if subject else ""
        return refuse(f"{where}{error}; correct the tag, or give the photo's credit in a labels CSV")
    credit = given.or_(tagged)
    return ImageRecord(
        path=relative,
        lat=lat,
        lon=lon,
        place=place,
        country=country,
        group=group,
        author=credit.author,
        licence=credit.licence,
        source=credit.source,
    )


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


def source_url(value: str | None, name: str, max_chars: int) -> str:
    """A credit's source: empty, or an absolute http(s) URL (a page a player may open from the reveal).

    Anything else, ``javascript:`` and ``data:`` URLs included, is refused, never stored.

    >>> source_url(" https://example.org/photo/1 ", "source", 500)
    'https://example.org/photo/1'
    >>> source_url("javascript:alert(1)", "source", 500)
    Traceback (most recent call last):
    ...
    ValueError: source 'javascript:alert(1)' is not an http(s) URL: give one that starts with https:// or http://
    """
    text = str(value or "").strip()
    if not text:
        return ""
    if _has_control(text):
        raise ValueError(f"{name} {_shown(text, 40)} has a control character")
    if len(text) > max_chars:
        raise ValueError(f"{name} is {len(text)} characters long; at most {max_chars} are stored")
    if any(ch.isspace() for ch in text):
        raise ValueError(f"{name} {_shown(text, 40)} has a space in it: a URL has none (write it %20)")
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        host, parts = None, None
    if parts is None or parts.scheme.lower() not in SOURCE_SCHEMES or not host:
        raise ValueError(f"{name} {_shown(text, 40)} is not an http(s) URL: give one that starts with https:// or http://")
    return text


def credits_check(author: str | None, licence: str | None, source: str | None, limits: Limits | None = None) -> Credits:
    """A credit as given (a row's cells, an import's set-wide defaults), checked: ``ValueError`` names the field."""
    limits = limits or Limits()
    return Credits(
        author=text_field(author, "author", limits.max_author_chars),
        licence=text_field(licence, "licence", limits.max_licence_chars),
        source=source_url(source, "source", limits.max_source_chars),
    )


def exif_text(value: object, name: str, max_chars: int) -> str:
    r"""The text of an EXIF ASCII tag (Artist, Copyright), checked like a cell; ``ValueError`` says why not.

    Pillow hands the tag's bytes over decoded as Latin-1; they are taken back as UTF-8 where they are
    (what cameras and editors write today), else as Windows-1252. NULs pad the tag or separate the
    photographer's and the editor's notices (EXIF's Copyright): the parts are joined with "; ".

    >>> exif_text("Zo\xc3\xab\x00", "EXIF Artist", 200), exif_text(" \x00Ed Itor\x00", "EXIF Copyright", 200)
    ('Zoë', 'Ed Itor')
    """
    if isinstance(value, str):
        raw = value.encode("latin-1", "replace")
    elif isinstance(value, bytes):
        raw = value
    else:
        return ""  # not text (a number, a list): no credit
    parts = [part for part in (_decoded(piece).strip() for piece in raw.split(b"\0")) if part]
    return text_field("; ".join(parts), name, max_chars)


def _decoded(raw: bytes) -> str:
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")  # bytes no text encoding has: control characters, refused by the check


def check_image(path: Path, limits: Limits | None = None) -> str | None:
    """None when ``path`` decodes whole, within the pixel limit, with a usable orientation; else why not.

    The message never holds the server's path: it goes to whoever uploaded the set.
    """
    return inspect_image(path, limits)[0]


def inspect_image(path: Path, limits: Limits | None = None, *, credits: bool = False) -> tuple[str | None, dict[int, object]]:
    """``check_image``'s answer, and with ``credits`` the image's EXIF Artist and Copyright tags as
    Pillow reads them (by tag number; absent when it has none), from the one opening of the file."""
    limits = limits or Limits()
    tags: dict[int, object] = {}
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED_PHOTO_SUFFIXES:
        return f"is a {suffix[1:].upper()} file, which cannot be read here: export it as JPEG", tags
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
                    ), tags
                if width < 1 or height < 1:
                    return "has no pixels", tags
                if credits:
                    exif = image.getexif()
                    tags = {tag: exif[tag] for tag in (EXIF_ARTIST, EXIF_COPYRIGHT) if tag in exif}
                if image.format == "JPEG":
                    image.draft(image.mode, (limits.decode_side, limits.decode_side))
                image.load()
                ImageOps.exif_transpose(image, in_place=True)  # a broken orientation tag fails here, not at serving time
    except Image.DecompressionBombError as error:
        found = re.search(r"\((\d+) pixels\)", str(error))
        size = f"{int(found.group(1)) / 1e6:.0f} megapixels" if found else "far larger"
        return f"is {size}, more than the {limits.max_pixels / 1e6:.0f} megapixels allowed", tags
    except UnidentifiedImageError:
        return "cannot be read: it is not an image in a format we read (JPEG, PNG, WebP, GIF, BMP, TIFF)", tags
    except (OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError, ZeroDivisionError, MemoryError, EOFError) as error:
        # Pillow's decoders raise all of these on damaged files; the text says which damage.
        return f"cannot be read ({_without_paths(str(error), path) or type(error).__name__})", tags
    return None, tags


# --- helpers ---------------------------------------------------------------------------------


#: Unicode's bidirectional embedding, override and isolate controls: invisible, they reorder the text
#: after them ("Trojan Source"), so a credit or a place could show other words than it holds.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS for ch in text)


def _shown(text: str, limit: int = 80) -> str:
    """A user's text, quoted and cut short, for a message."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _without_paths(message: str, path: Path) -> str:
    for prefix in (str(path.resolve()), str(path), str(path.parent)):
        message = message.replace(prefix, path.name)
    return message.strip()
