"""Colour histograms and edge statistics of images: the "simple model" features of the cue test."""

from __future__ import annotations

import numpy as np
from PIL import Image


def scene_features(image: Image.Image) -> np.ndarray:
    small = np.asarray(image.convert("RGB").resize((100, 75), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    hsv = np.asarray(image.convert("HSV").resize((100, 75), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    features = []
    for band in np.array_split(np.arange(75), 3):  # sky, middle, ground
        rgb, h = small[band], hsv[band]
        for channel in range(3):
            features.append(np.histogram(rgb[..., channel], bins=8, range=(0, 1))[0] / rgb[..., 0].size)
        features.append(np.histogram(h[..., 0], bins=12, range=(0, 1), weights=h[..., 1])[0] / rgb[..., 0].size)
        grey = rgb.mean(axis=-1)
        gx, gy = np.abs(np.diff(grey, axis=1)), np.abs(np.diff(grey, axis=0))
        features.append(np.array([gx.mean(), gy.mean(), (gx > 0.1).mean(), (gy > 0.1).mean()]))
    return np.concatenate(features)
