"""A round's image: the photo's served copy, varied for this round alone; and, after the guess, where worldNET looked."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from django.utils.crypto import salted_hmac
from PIL import Image

from geoguess.game.errors import Code, GameError
from geoguess.game.models import Round
from geoguess.imagesets.services import SERVED_JPEG_QUALITY, served_image_path
from geoguess.opponent.services import attention_jpeg

#: Pixels cropped from each edge, at most; intensity noise, at most (of 255); JPEG qualities.
ROUND_IMAGE_MAX_CROP = 4
ROUND_IMAGE_NOISE = 2
ROUND_IMAGE_QUALITIES = (SERVED_JPEG_QUALITY - 5, SERVED_JPEG_QUALITY + 5)


def round_image_bytes(*, round: Round) -> bytes:
    """The round's JPEG: the photo's served copy, varied for this round alone.

    The stored served copy is the same file in every game, so serving it as is would let a
    player recognise a photo by its hash (or size) and look up its answer from an earlier game.
    Each round gets its own tiny crop (0 to 4 px an edge), noise (at most ±2 of 255 a channel)
    and JPEG quality (80 to 90): invisible, yet no two rounds share bytes, size or dimensions.
    The variation is drawn from a keyed hash of the round's token, so a reload gets the same
    bytes, and the token (which the player sees in the URL) does not tell the variation without
    the secret key. Re-encoded from pixels into a fresh image: no EXIF or other metadata.
    (A perceptual hash can still match two variants of one photo: this stops exact matching.)
    """
    seed = salted_hmac("geoguess.game.round_image", round.image_token, algorithm="sha256").digest()
    return jpeg_variant(served_image_path(round.photo), seed=seed)


def round_attention_bytes(*, round: Round) -> bytes:
    """The round's image with where worldNET looked laid over it. Only after the guess, like the answer."""
    if not round.is_done:
        raise GameError(Code.ANSWER_AFTER_GUESS, "what worldNET saw is shown after the guess", status=409)
    if round.worldnet_heatmap is None:
        raise GameError(Code.NO_ATTENTION_MAP, "worldNET has no map of what it saw for this photo", status=404)
    return attention_jpeg(round_image_bytes(round=round), bytes(round.worldnet_heatmap))


def jpeg_variant(source: Path, *, seed: bytes) -> bytes:
    """``source`` as a JPEG varied by ``seed`` (crop, noise, quality; see ``round_image_bytes``)."""
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
