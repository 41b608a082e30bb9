"""Small images and image sets the tests make: JPEGs (with EXIF GPS when asked) and a four-city demo world."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

from PIL import Image


def jpeg_bytes(
    color: tuple[int, int, int] = (90, 120, 160),
    size: tuple[int, int] = (32, 24),
    gps: tuple[float, float] | None = None,
    artist: str | bytes | None = None,
    copyright: str | bytes | None = None,
) -> bytes:
    """A small JPEG, with EXIF GPS tags when ``gps`` is given, and EXIF Artist and Copyright when given
    (bytes are written as they are: UTF-8, Windows-1252 or worse; text must be ASCII)."""
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    exif = Image.Exif()
    if artist is not None:
        exif[0x013B] = artist
    if copyright is not None:
        exif[0x8298] = copyright
    if gps is not None:
        lat, lon = gps

        def dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
            value = abs(value)
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            seconds = Fraction((value - degrees - minutes / 60) * 3600).limit_denominator(10000)
            return Fraction(degrees), Fraction(minutes), seconds

        exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def write_jpeg(path: Path, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jpeg_bytes(**kwargs))
    return path


def small_world(folder: Path, per_city: int = 3) -> Path:
    from worldnet_core.demo_world import PAPER_CITIES, generate_world

    generate_world(folder, places=[PAPER_CITIES[i] for i in (7, 17, 9, 15)], per_city=per_city, seed=0)  # London, Paris, Madrid, Osaka
    return folder
