"""Images as model input: decoded, resized and stacked once, normalised in the model.

Models take float tensors ``(B, 3, h, w)`` in ``[0, 1]``; training keeps a whole image
set in memory as ``uint8`` (an image set of 5,000 images at 96 × 128 is 180 MB).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
from PIL import Image


def load_image(source: Path | Image.Image, size: tuple[int, int]) -> np.ndarray:
    """``(3, h, w)`` uint8 from a file or PIL image, resized to ``size = (h, w)``."""
    image = Image.open(source) if not isinstance(source, Image.Image) else source
    try:
        height, width = size
        if image.format == "JPEG":
            image.draft("RGB", (width, height))  # decode at a reduced scale: 2-4x faster
        pixels = np.asarray(image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR))
    finally:
        if not isinstance(source, Image.Image):
            image.close()
    return np.ascontiguousarray(pixels.transpose(2, 0, 1))


def load_images(paths: Sequence[Path | Image.Image], size: tuple[int, int], progress: Callable[[Iterable], Iterable] | None = None) -> torch.Tensor:
    """``(N, 3, h, w)`` uint8 tensor of every image."""
    out = np.empty((len(paths), 3, *size), dtype=np.uint8)
    for i, path in enumerate(progress(paths) if progress else paths):
        out[i] = load_image(path, size)
    return torch.from_numpy(out)


def to_float(batch: torch.Tensor) -> torch.Tensor:
    """uint8 images to float in [0, 1] (on the batch's device)."""
    return batch.float().div_(255.0) if batch.dtype == torch.uint8 else batch
