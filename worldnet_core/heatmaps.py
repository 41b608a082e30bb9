"""worldNET's activation maps as the site stores them: small grey PNGs of values in [0, 1].

The predictor encodes them in a worker; the site decodes them to draw a reveal's attention overlay,
so this module imports no torch.

>>> grid = np.array([[0.0, 0.5], [1.0, 0.25]])
>>> np.abs(decode_heatmap(encode_heatmap(grid)) - grid).max() < 1 / 255
np.True_
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image


def encode_heatmap(values: NDArray[np.floating[Any]]) -> bytes:
    """A map in [0, 1] as an 8-bit grey PNG: a few hundred bytes for a 6×8 grid."""
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8), mode="L").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def decode_heatmap(data: bytes) -> NDArray[np.float32]:
    """The map back as floats in [0, 1], ``(h, w)``."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L"), dtype=np.float32) / 255.0
