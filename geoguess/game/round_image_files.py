"""Where a round's images are kept: one file each, made on the round's first request, then served as they are.

A round's varied JPEG (``round_images``) costs 30 to 45 ms of CPU to make; reading its file costs well
under one. So each is made once and kept under ``MEDIA_ROOT/rounds/``:

- **Private.** No URL serves ``MEDIA_ROOT`` (originals live there too); a file is reached only through
  the views, which check the round's owner and, for worldNET's overlay, that the guess is stored.
- **Opaque names.** ``<shard>/<round id>-<digest>.jpg`` (``.attention.jpg`` for the overlay): the digest
  is a keyed hash of the round's image token, so a name says nothing of the photo and cannot be guessed
  from the URL without the secret key. The round id lets the sweep find the files of rounds gone.
- **Made once, race-safe.** Two requests that find no file both make it: the bytes are the same
  (drawn from a keyed hash of the token), each writes a temporary file of its own and renames it
  into place (``os.replace``, atomic), so a reader sees a whole file or none, never half of one.
- **Removed with the round** (``receivers``: a game, a photo or an image set deleted takes its rounds
  with it), and by ``manage.py sweep_round_images`` when old: any file can be made again, byte for
  byte, by the next request that wants it.

Several gunicorn workers, or ASGI servers, on one machine share the folder. Several web machines
share it on the media volume they already share (``docs/deployment.md``); a machine with a folder of
its own still serves the same bytes (it makes them on its first request), but then run the sweep on
every machine, since a deletion removes only the files of the machine that deleted.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Literal

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from geoguess.game.models import Round

#: Rounds per folder: a site with millions of rounds keeps folders of a size any file system lists quickly.
ROUNDS_PER_SHARD = 10_000
#: Temporary files older than this are a killed writer's: the sweep removes them.
TEMPORARY_MAX_AGE = timedelta(hours=1)
#: A round's two images: its own, and worldNET's overlay on it.
Kind = Literal["image", "attention"]
_KINDS: dict[Kind, str] = {"image": ".jpg", "attention": ".attention.jpg"}
_NAME = re.compile(r"(?P<round_id>[0-9]+)-(?P<digest>[0-9a-f]{32})(\.attention)?\.jpg")
_TEMPORARY_PREFIX, _TEMPORARY_SUFFIX = ".", ".tmp"


def rounds_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "rounds"


def _digest(image_token: str) -> str:
    return salted_hmac("geoguess.game.round_image_file", image_token, algorithm="sha256").hexdigest()[:32]


def round_file_path(*, round_id: int, image_token: str, kind: Kind) -> Path:
    """The file of the round's ``kind`` of image (``image`` or ``attention``)."""
    return rounds_root() / str(round_id // ROUNDS_PER_SHARD) / f"{round_id}-{_digest(image_token)}{_KINDS[kind]}"


def open_or_make(path: Path, make: Callable[[], bytes]) -> BinaryIO:
    """``path`` opened for reading; made first with ``make()`` if it is not there yet.

    The file handed back is the one written (renamed into place while open): a sweep that removes
    the path at that moment cannot take the bytes from under the response.
    """
    try:
        return path.open("rb")
    except FileNotFoundError:
        pass
    data = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=_TEMPORARY_PREFIX, suffix=_TEMPORARY_SUFFIX)
    file = os.fdopen(handle, "w+b")
    try:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())  # a power cut must not leave a name over a half-written JPEG: it would be served as found
        os.replace(temporary, path)
    except BaseException:
        file.close()
        Path(temporary).unlink(missing_ok=True)
        raise
    file.seek(0)
    return file


def round_files_remove(*, round_id: int, image_token: str) -> None:
    """Deletes the round's files, whichever were made."""
    for kind in _KINDS:
        round_file_path(round_id=round_id, image_token=image_token, kind=kind).unlink(missing_ok=True)


def _files() -> Iterator[Path]:
    root = rounds_root()
    if root.is_dir():
        for shard in root.iterdir():
            if shard.is_dir():
                yield from (path for path in shard.iterdir() if path.is_file())


def round_files_sweep(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Removes the files of rounds that are gone (or named under an earlier secret key), files made more
    than ``older_than`` ago (the next request that wants one makes it again, the same bytes) and a killed
    writer's temporary files. Returns how many files it removed."""
    now = now or timezone.now()
    removed = 0
    kept: dict[int, list[tuple[str, Path]]] = {}
    for path in _files():
        try:
            age = now.timestamp() - path.stat().st_mtime
        except FileNotFoundError:  # renamed into place or removed with its round since it was listed
            continue
        named = _NAME.fullmatch(path.name)
        if path.name.startswith(_TEMPORARY_PREFIX) and path.name.endswith(_TEMPORARY_SUFFIX):
            stale = age > TEMPORARY_MAX_AGE.total_seconds()
        else:
            stale = named is not None and age > older_than.total_seconds()
        if stale:
            path.unlink(missing_ok=True)
            removed += 1
        elif named is not None:
            kept.setdefault(int(named["round_id"]), []).append((named["digest"], path))
    ids = sorted(kept)
    for start in range(0, len(ids), 1000):  # the rounds still there, a thousand a query
        tokens = dict(Round.objects.filter(pk__in=ids[start : start + 1000]).values_list("pk", "image_token"))
        for round_id in ids[start : start + 1000]:
            for digest, path in kept[round_id]:
                if round_id not in tokens or digest != _digest(tokens[round_id]):
                    path.unlink(missing_ok=True)
                    removed += 1
    return removed
