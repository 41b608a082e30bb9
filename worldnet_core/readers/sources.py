"""Folders and zips as sources of images: archives checked whole before a byte is unpacked.

A zip is refused, with every reason at once, when an entry would land outside the
destination, is a link, is encrypted or compressed in a way we cannot read, has a name
no file system holds, or when the archive would unpack past the size limit or expand
suspiciously (a zip bomb: a 1.5 MB zip that writes 1.5 GiB). Entries are then copied
out by our own loop, which also counts what it writes, so a lying header cannot make
it write more than it declared.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from worldnet_core.manifest import ImageSetError, Problem
from worldnet_core.readers.validation import IMAGE_SUFFIXES, MAX_NAME_BYTES, UNSUPPORTED_PHOTO_SUFFIXES

_IGNORED_PARTS = {"__MACOSX", ".DS_Store"}
_READABLE_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "Deflate", zipfile.ZIP_BZIP2: "BZIP2", zipfile.ZIP_LZMA: "LZMA"}
_METHOD_NAMES = {9: "Deflate64", 6: "Implode", 93: "Zstandard", 95: "XZ", 98: "PPMd", 99: "AES"}
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """How far an archive may unpack. Photos barely compress (JPEG inside Deflate: about 1:1),
    so an honest image set is far from the ratios; a bomb is far past them."""

    max_bytes: int = 20 * 1024**3
    max_entries: int = 500_000
    #: Uncompressed over compressed size, for one entry larger than ``ratio_floor_bytes``.
    max_entry_ratio: float = 200.0
    #: The same over the whole archive, once it unpacks past ``ratio_floor_bytes``.
    max_total_ratio: float = 50.0
    #: Small files may compress as well as they like (a CSV of repeated rows does).
    ratio_floor_bytes: int = 16 * 1024**2


def unpack_zip(archive: Path, dest: Path, *, limits: ArchiveLimits | None = None) -> Path:
    """Checks every entry of ``archive`` first, then unpacks it into ``dest``.

    Nothing is written when any entry is refused. Returns the folder that holds the
    image set: ``dest`` itself, or its single top-level folder when the zip wraps one.
    """
    limits = limits or ArchiveLimits()
    name = archive.name
    created = not dest.exists()  # a failed unpack removes only a folder it made itself
    try:
        with zipfile.ZipFile(archive) as zf:
            entries = _checked_entries(zf, name, archive.stat().st_size, dest, limits)
            dest.mkdir(parents=True, exist_ok=True)
            for info, relative in entries:
                _extract(zf, info, dest / relative, name)
    except ImageSetError:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as error:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        message = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ImageSetError([Problem(name, f"is not a readable zip file ({message or type(error).__name__})")]) from None
    return dataset_root(dest)


def _checked_entries(
    zf: zipfile.ZipFile, name: str, archive_size: int, dest: Path, limits: ArchiveLimits
) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    problems: list[Problem] = []
    entries: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise ImageSetError([Problem(name, f"holds {len(infos):,} entries; at most {limits.max_entries:,} are allowed")])
    total = 0
    for info in infos:
        shown = repr(info.filename if len(info.filename) <= 80 else info.filename[:79] + "…")
        entry = PurePosixPath(info.filename.replace("\\", "/"))
        if entry.is_absolute() or ".." in entry.parts or (entry.parts and entry.parts[0].endswith(":")):
            problems.append(Problem(name, f"entry {shown} escapes its folder"))
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            problems.append(Problem(name, f"entry {shown} is a symbolic link"))
            continue
        if any(ord(ch) < 32 for ch in info.filename):
            problems.append(Problem(name, f"entry {shown} has a control character in its name"))
            continue
        if any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for part in entry.parts):
            problems.append(Problem(name, f"entry {shown} has a name longer than the {MAX_NAME_BYTES} bytes file systems allow"))
            continue
        if set(entry.parts) & _IGNORED_PARTS or info.is_dir():
            continue
        if info.flag_bits & 0x1:
            problems.append(Problem(name, f"entry {shown} is encrypted; zip it again without a password"))
            continue
        if info.compress_type not in _READABLE_METHODS:
            method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
            problems.append(
                Problem(name, f"entry {shown} is compressed with {method}, which cannot be read; zip it again with ordinary Deflate")
            )
            continue
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_entry_ratio * max(info.compress_size, 1):
            problems.append(
                Problem(
                    name,
                    f"entry {shown} would expand {info.file_size / max(info.compress_size, 1):,.0f} times "
                    f"(at most {limits.max_entry_ratio:,.0f}): refused as a possible zip bomb",
                )
            )
            continue
        total += info.file_size
        entries.append((info, entry))
    if total > limits.max_bytes:
        problems.append(Problem(name, f"unpacks to {total / 1024**3:.1f} GiB, more than the {limits.max_bytes / 1024**3:.1f} GiB allowed"))
    elif total > limits.ratio_floor_bytes and total > limits.max_total_ratio * max(archive_size, 1):
        problems.append(
            Problem(
                name,
                f"would expand {total / max(archive_size, 1):,.0f} times its size "
                f"(at most {limits.max_total_ratio:,.0f}): refused as a possible zip bomb",
            )
        )
    else:
        free = shutil.disk_usage(_existing_parent(dest)).free
        if total > free:
            problems.append(Problem(name, f"unpacks to {total / 1024**3:.1f} GiB but the server has {free / 1024**3:.1f} GiB free"))
    if problems:
        raise ImageSetError(problems)
    return entries


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, name: str) -> None:
    """Copies one entry, never more than the size it declared."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with zf.open(info) as source, target.open("wb") as out:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > info.file_size:
                    raise ImageSetError(
                        [Problem(name, f"entry {info.filename!r} holds more than it declares: refused as a possible zip bomb")]
                    )
                out.write(chunk)
    except (RuntimeError, NotImplementedError, zlib.error, zipfile.BadZipFile, EOFError) as error:
        # RuntimeError: a password is needed; NotImplementedError: a method we cannot decompress.
        raise ImageSetError([Problem(name, f"entry {info.filename!r} cannot be unpacked ({error})")]) from None


def _existing_parent(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def dataset_root(folder: Path) -> Path:
    """Descends through folders that hold nothing but one folder (how zips often wrap)."""
    while True:
        entries = [p for p in folder.iterdir() if p.name not in _IGNORED_PARTS and not p.name.startswith(".")]
        if len(entries) == 1 and entries[0].is_dir():
            folder = entries[0]
        else:
            return folder


def _visible_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*") if p.is_file() and not (set(p.relative_to(root).parts) & _IGNORED_PARTS) and not p.name.startswith(".")
    )


def image_files(root: Path) -> list[Path]:
    """Every image under ``root`` by suffix (any case), sorted; hidden files and macOS metadata excluded."""
    return [p for p in _visible_files(root) if p.suffix.lower() in IMAGE_SUFFIXES]


def unsupported_photos(root: Path) -> list[Path]:
    """Photos under ``root`` in formats people have but we cannot read (HEIC, raw)."""
    return [p for p in _visible_files(root) if p.suffix.lower() in UNSUPPORTED_PHOTO_SUFFIXES]
