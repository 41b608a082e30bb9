"""Images as model input: decoded, resized and stacked once, with Pillow and NumPy (no torch here:
the web process, which imports this module for ``upright_rgb``, never loads PyTorch).

Images become ``uint8`` arrays ``(3, h, w)``; training keeps a whole image set in memory
so (an image set of 5,000 images at 96 × 128 is 180 MB). Models take them as float
tensors in ``[0, 1]`` (``worldnet_core.models.to_float``) and normalise them themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

_WHITE = (255, 255, 255)


def upright_rgb(image: Image.Image) -> Image.Image:
    """The picture as a person sees it: EXIF orientation applied, 8-bit RGB, transparency on white.

    Pillow's plain ``convert("RGB")`` clips 16-bit grey to white and turns transparent
    pixels black; photos come in all these modes (CMYK, 16-bit and palette PNG, GIF).
    """
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit or 32-bit grey: scale to 8 bits by the range actually used.
        values = np.asarray(image, dtype=np.float64)
        top = max(float(values.max()), 1.0)
        scale = 255.0 / (65535.0 if top > 255 and image.mode.startswith("I;16") else max(top, 255.0))
        image = Image.fromarray(np.clip(values * scale, 0, 255).astype(np.uint8), mode="L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGB", image.size, _WHITE)
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")


def load_image(source: Path | Image.Image, size: tuple[int, int]) -> NDArray[np.uint8]:
    """``(3, h, w)`` uint8 from a file or PIL image, resized to ``size = (h, w)``."""
    image = Image.open(source) if not isinstance(source, Image.Image) else source
    try:
        height, width = size
        if image.format == "JPEG":
            image.draft("RGB", (width, height))  # decode at a reduced scale: 2-4x faster
        pixels = np.asarray(upright_rgb(image).resize((width, height), Image.Resampling.BILINEAR))
    finally:
        if not isinstance(source, Image.Image):
            image.close()
    return np.ascontiguousarray(pixels.transpose(2, 0, 1))


def load_images(
    paths: Sequence[Path | Image.Image],
    size: tuple[int, int],
    progress: Callable[[Sequence[Path | Image.Image]], Iterable[Path | Image.Image]] | None = None,
) -> NDArray[np.uint8]:
    """``(N, 3, h, w)`` uint8 array of every image; ``progress`` wraps the sequence (e.g. ``tqdm``)."""
    out = np.empty((len(paths), 3, *size), dtype=np.uint8)
    for i, path in enumerate(progress(paths) if progress else paths):
        out[i] = load_image(path, size)
    return out
