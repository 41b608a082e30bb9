"""An upload's file: kept under its own name (made safe) without copying gigabytes inside the request."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import IO


def upload_file_name(name: str, max_bytes: int = 200) -> str:
    """The upload's own name (messages quote it), made safe to write: no folders or control
    characters, and short enough for any file system even in a multi-byte script."""
    name = "".join(ch if ch.isprintable() and ch not in "/\\" else "_" for ch in Path(name or "upload").name) or "upload"
    suffix = Path(name).suffix if len(Path(name).suffix.encode()) <= 16 else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    while len((stem + suffix).encode("utf-8")) > max_bytes:
        stem = stem[:-1]
    return (stem or "upload") + suffix


def upload_keep(archive: IO[bytes], target: Path) -> None:
    """Writes ``archive`` to ``target``; an upload Django spooled to a temporary file is moved, not copied."""
    temporary = getattr(archive, "temporary_file_path", None)
    if temporary is not None:
        shutil.move(temporary(), target)  # Django spooled the upload to disk as it arrived: a rename
        return
    with target.open("wb") as handle:
        chunks = archive.chunks() if hasattr(archive, "chunks") else iter(lambda: archive.read(1 << 20), b"")
        for chunk in chunks:
            handle.write(chunk)
