"""A round's image: the photo's served copy, varied for this round alone; and, after the guess, where worldNET looked.

Each is made once, on the round's first request for it, and kept as a file (``round_image_files``).
Why then and not when the round is drawn: a classic game draws its five rounds as it starts, so
making them there would add five encodes (150 to 200 ms) to the wait for the first round, and a
duel draws its next round inside the guess's transaction, which would hold the round's lock as
long; a round never shown (a game left early) costs nothing; and the first request is what the
player waited for before this change too. Every later request (a reload, a second tab, the
attention overlay built on it) reads the file.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import numpy as np
from django.utils.crypto import salted_hmac
from PIL import Image

from geoguess.game.errors import Code, GameError
from geoguess.game.models import Round
from geoguess.game.round_image_files import open_or_make, round_file_path
from geoguess.imagesets.services import SERVED_JPEG_QUALITY, served_image_path
from geoguess.opponent.services import attention_jpeg

#: Pixels cropped from each edge, at most; intensity noise, at most (of 255); JPEG qualities.
ROUND_IMAGE_MAX_CROP = 4
ROUND_IMAGE_NOISE = 2
ROUND_IMAGE_QUALITIES = (SERVED_JPEG_QUALITY - 5, SERVED_JPEG_QUALITY + 5)


def round_image_open(*, round: Round) -> BinaryIO:
    """The round's JPEG file, open for reading (made first on the round's first request).

    The stored served copy is the same file in every game, so serving it as is would let a
    player recognise a photo by its hash (or size) and look up its answer from an earlier game.
    Each round gets its own tiny crop (0 to 4 px an edge), noise (at most ±2 of 255 a channel)
    and JPEG quality (80 to 90): invisible, yet no two rounds share bytes, size or dimensions.
    The variation is drawn from a keyed hash of the round's token, so a reload gets the same
    bytes (and so would a file made again after a sweep, or on another machine), and the token
    (which the player sees in the URL) does not tell the variation without the secret key.
    Re-encoded from pixels into a fresh image: no EXIF or other metadata.
    (A perceptual hash can still match two variants of one photo: this stops exact matching.)
    """
    path = round_file_path(round_id=round.pk, image_token=round.image_token, kind="image")
    return open_or_make(path, lambda: _varied_jpeg(round))


def _varied_jpeg(round: Round) -> bytes:
    seed = salted_hmac("geoguess.game.round_image", round.image_token, algorithm="sha256").digest()
    return jpeg_variant(served_image_path(round.photo), seed=seed)


def round_attention_open(*, round: Round) -> BinaryIO:
    """The round's image with where worldNET looked laid over it, open for reading. Only after the guess, like the answer."""
    if not round.is_done:
        raise GameError(Code.ANSWER_AFTER_GUESS, "what worldNET saw is shown after the guess", status=409)
    heatmap = round.worldnet_heatmap
    if heatmap is None:
        raise GameError(Code.NO_ATTENTION_MAP, "worldNET has no map of what it saw for this photo", status=404)

    def make() -> bytes:
        with round_image_open(round=round) as image:
            return attention_jpeg(image.read(), bytes(heatmap))

    # worldNET's map is decided once, when its guess is attached to the round: the overlay never changes after.
    return open_or_make(round_file_path(round_id=round.pk, image_token=round.image_token, kind="attention"), make)


def jpeg_variant(source: Path, *, seed: bytes) -> bytes:
    """``source`` as a JPEG varied by ``seed`` (crop, noise, quality; see ``round_image_open``)."""
    rng = np.random.default_rng(np.frombuffer(seed, dtype=np.uint32))
    with Image.open(source) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    height, width = pixels.shape[:2]
    if min(height, width) > 8 * ROUND_IMAGE_MAX_CROP:  # never crop a thumbnail away
        top, bottom, left, right = rng.integers(0, ROUND_IMAGE_MAX_CROP + 1, size=4)
        pixels = pixels[top : height - bottom, left : width - right]
    pixels += rng.integers(-ROUND_IMAGE_NOISE, ROUND_IMAGE_NOISE + 1, size=pixels.shape, dtype=np.int16)
    quality = int(rng.integers(ROUND_IMAGE_QUALITIES[0], ROUND_IMAGE_QUALITIES[1] + 1))
    buffer = io.BytesIO()
    # A fresh image from the pixel array: no info dict, EXIF, ICC profile or comment comes along.
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB").save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
