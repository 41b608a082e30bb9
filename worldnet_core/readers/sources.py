"""Folders and zips as sources of images: safe unpacking and the files they hold."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError

from worldnet_core.manifest import ImageSetError, Problem

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
#: Refuse archives that would unpack past this: a guard against zip bombs.
MAX_UNPACKED_BYTES = 20 * 1024**3
_IGNORED_PARTS = {"__MACOSX", ".DS_Store"}


def unpack_zip(archive: Path, dest: Path, *, max_bytes: int = MAX_UNPACKED_BYTES) -> Path:
    """Checks every entry of ``archive`` first, then unpacks it into ``dest``.

    Nothing is written when any entry is unsafe (absolute, escaping with ``..``, a
    symlink) or the total is too large. Returns the folder that holds the image set:
    ``dest`` itself, or its single top-level folder when the zip wraps one.
    """
    name = archive.name
    try:
        with zipfile.ZipFile(archive) as zf:
            problems: list[Problem] = []
            total = 0
            for info in zf.infolist():
                entry = PurePosixPath(info.filename.replace("\\", "/"))
                if entry.is_absolute() or ".." in entry.parts or (entry.parts and entry.parts[0].endswith(":")):
                    problems.append(Problem(name, f"entry {info.filename!r} escapes its folder"))
                elif stat.S_ISLNK(info.external_attr >> 16):
                    problems.append(Problem(name, f"entry {info.filename!r} is a symbolic link"))
                total += info.file_size
            if total > max_bytes:
                problems.append(Problem(name, f"unpacks to {total / 1024**3:.1f} GiB, more than the {max_bytes / 1024**3:.0f} GiB allowed"))
            if problems:
                raise ImageSetError(problems)
            dest.mkdir(parents=True, exist_ok=True)
            for info in zf.infolist():
                if not set(PurePosixPath(info.filename).parts) & _IGNORED_PARTS:
                    zf.extract(info, dest)
    except zipfile.BadZipFile as error:
        raise ImageSetError([Problem(name, f"is not a readable zip file ({error})")]) from None
    return dataset_root(dest)


def dataset_root(folder: Path) -> Path:
    """Descends through folders that hold nothing but one folder (how zips often wrap)."""
    while True:
        entries = [p for p in folder.iterdir() if p.name not in _IGNORED_PARTS and not p.name.startswith(".")]
        if len(entries) == 1 and entries[0].is_dir():
            folder = entries[0]
        else:
            return folder


def image_files(root: Path) -> list[Path]:
    """Every image under ``root``, sorted, hidden files and macOS metadata excluded."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not (set(p.relative_to(root).parts) & _IGNORED_PARTS) and not p.name.startswith(".")
    )


def check_image(path: Path) -> str | None:
    """None when ``path`` is an image Pillow can read; otherwise why not."""
    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        return f"image {path.name!r} cannot be read ({type(error).__name__}: {error})"
    return None
