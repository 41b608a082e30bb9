"""Zips of many camera-size photos, made cheaply for the import tests and benchmarks.

A few distinct JPEG encodings (flat colour fields, so they compress well in the zip) are
reused under different names, each row of the labels CSV at its own coordinates: the
importer still opens, checks, decodes and re-encodes every one of them in full.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw


def distinct_jpegs(size: tuple[int, int], count: int = 4, mode: str = "RGB") -> list[bytes]:
    """``count`` different JPEGs of ``size``: a colour field with a few blocks, like a coarse scene.

    ``mode="L"``: greyscale photos, which decode about 8 times faster than colour ones at 12 MP:
    what lets a test import 2,000 camera-size photos in a minute or two on two cores.
    """
    width, height = size
    encoded = []
    for n in range(count):
        image = Image.new("RGB", size, (60 + 40 * n, 110, 180 - 30 * n))
        draw = ImageDraw.Draw(image)
        for k in range(6):
            left, top = (width * (k + n) // 9) % width, (height * (2 * k + n) // 11) % height
            draw.rectangle([left, top, left + width // 5, top + height // 6], fill=(30 * k % 256, 200 - 20 * k, 40 * n % 256))
        buffer = io.BytesIO()
        image.convert(mode).save(buffer, format="JPEG", quality=80)
        encoded.append(buffer.getvalue())
    return encoded


def photo_zip(path: Path, *, count: int, size: tuple[int, int] = (4000, 3000), mode: str = "RGB") -> Path:
    """``path``: a zip of ``count`` photos of ``size`` plus ``labels.csv``; made once, then reused."""
    if path.is_file():
        return path
    jpegs = distinct_jpegs(size, mode=mode)
    partial = path.with_suffix(".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["filename", "lat", "lon", "city"])
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for i in range(count):
            name = f"photo{i:05d}.jpg"
            # Spread over the inhabited world, each photo at a place of its own.
            writer.writerow([name, f"{-50 + (i * 37) % 1150 / 10:.4f}", f"{-179 + (i * 53) % 3580 / 10:.4f}", f"Place {i % 97}"])
            archive.writestr(f"photos/{name}", jpegs[i % len(jpegs)])
        archive.writestr("photos/labels.csv", rows.getvalue())
    partial.replace(path)  # whole or absent: a test interrupted while writing leaves no half zip
    return path
