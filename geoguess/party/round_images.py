"""A member's image of a party round: the photo's served copy, varied for this member and round alone.

The same variation as the game's rounds (``geoguess.game.round_images.jpeg_variant``: a few pixels of
crop, invisible noise, another JPEG quality, no metadata), drawn from a keyed hash of the member's
image token: no two members of a party share bytes, and the token in the URL says nothing. Made once,
on the first request, and kept as a file under ``MEDIA_ROOT/party-rounds/`` (a folder of its own: the
game's sweep of ``rounds/`` knows only the game's rounds), removed with its party (``receivers``).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.utils.crypto import salted_hmac

from geoguess.game.round_image_files import open_or_make
from geoguess.game.round_images import jpeg_variant
from geoguess.imagesets.services import served_image_path
from geoguess.party.models import PartyGuess


def party_rounds_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "party-rounds"


def party_image_path(*, party_id: int, image_token: str) -> Path:
    """``<party id>/<digest>.jpg``: the digest a keyed hash of the token (not guessable from the URL without the secret key)."""
    digest = salted_hmac("geoguess.party.round_image_file", image_token, algorithm="sha256").hexdigest()[:32]
    return party_rounds_root() / str(party_id) / f"{digest}.jpg"


def party_image_open(*, guess: PartyGuess) -> BinaryIO:
    """The member's JPEG of the round, open for reading (made first on its first request)."""

    def make() -> bytes:
        seed = salted_hmac("geoguess.party.round_image", guess.image_token, algorithm="sha256").digest()
        return jpeg_variant(served_image_path(guess.round.photo), seed=seed)

    return open_or_make(party_image_path(party_id=guess.round.party_id, image_token=guess.image_token), make)
