"""A member's image of a party round: the photo's served copy, varied for this member and round alone.

The same variation as the game's rounds (``geoguess.game.round_images.jpeg_variant``: a few pixels of
crop, invisible noise, another JPEG quality, no metadata), drawn from a keyed hash of the member's
image token: no two members of a party share bytes, and the token in the URL says nothing. Made once,
on the first request, and kept as a file under ``MEDIA_ROOT/party-rounds/`` (a folder of its own: the
game's sweep of ``rounds/`` knows only the game's rounds), removed with its party (``receivers``), and by
``manage.py sweep_party_images`` when old (``party_files_sweep``).
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from geoguess.game.round_image_files import TEMPORARY_MAX_AGE, open_or_make
from geoguess.game.round_images import jpeg_variant
from geoguess.imagesets.services import served_image_path
from geoguess.party.models import Party, PartyGuess

_NAME = re.compile(r"[0-9a-f]{32}\.jpg")


def party_rounds_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "party-rounds"


def _digest(image_token: str) -> str:
    return salted_hmac("geoguess.party.round_image_file", image_token, algorithm="sha256").hexdigest()[:32]


def party_image_path(*, party_id: int, image_token: str) -> Path:
    """``<party id>/<digest>.jpg``: the digest a keyed hash of the token (not guessable from the URL without the secret key)."""
    return party_rounds_root() / str(party_id) / f"{_digest(image_token)}.jpg"


def party_files_sweep(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Removes the party round images made more than ``older_than`` ago (the next request that wants one makes it
    again, the same bytes), those of parties or rounds that are gone (or named under an earlier secret key), a killed
    writer's temporary files, and the folders of parties gone once empty. Returns how many files it removed.

    The game's ``sweep_round_images`` does the same for ``MEDIA_ROOT/rounds/``; ``manage.py sweep_party_images`` runs this.
    """
    root = party_rounds_root()
    if not root.is_dir():
        return 0
    now = now or timezone.now()
    removed = 0
    for folder in root.iterdir():
        if not folder.is_dir() or not folder.name.isdigit():
            continue
        party_id = int(folder.name)
        party_there = Party.objects.filter(pk=party_id).exists()
        digests: set[str] | None = None  # the party's tokens' digests, read when a recent file needs them
        for path in folder.iterdir():
            try:
                age = now.timestamp() - path.stat().st_mtime
            except FileNotFoundError:  # renamed into place or removed with its party since it was listed
                continue
            if path.name.startswith(".") and path.name.endswith(".tmp"):  # open_or_make's temporary files
                stale = age > TEMPORARY_MAX_AGE.total_seconds()
            elif _NAME.fullmatch(path.name):
                if not party_there or age > older_than.total_seconds():
                    stale = True
                else:
                    if digests is None:
                        tokens = PartyGuess.objects.filter(round__party_id=party_id).values_list("image_token", flat=True)
                        digests = {_digest(token) for token in tokens}
                    stale = path.name.removesuffix(".jpg") not in digests
            else:
                stale = False
            if stale:
                path.unlink(missing_ok=True)
                removed += 1
        if not party_there:  # no request makes a file for a party gone: its empty folder can go
            with contextlib.suppress(OSError):  # not empty (a file the sweep does not know)
                folder.rmdir()
    return removed


def party_image_open(*, guess: PartyGuess) -> BinaryIO:
    """The member's JPEG of the round, open for reading (made first on its first request)."""

    def make() -> bytes:
        seed = salted_hmac("geoguess.party.round_image", guess.image_token, algorithm="sha256").digest()
        return jpeg_variant(served_image_path(guess.round.photo), seed=seed)

    return open_or_make(party_image_path(party_id=guess.round.party_id, image_token=guess.image_token), make)
