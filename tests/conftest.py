"""Shared fixtures: the real-photo sample from ../shared, and small images the tests make."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
OSV5M_SAMPLE = REPO.parent / "shared" / "data" / "osv5m-sample"


@pytest.fixture
def osv5m_sample() -> Path:
    """71 real street photos with a labels CSV; skipped where ../shared is absent."""
    if not (OSV5M_SAMPLE / "labels.csv").is_file():
        pytest.skip("../shared/data/osv5m-sample is not present (it is only beside CI and developer checkouts)")
    return OSV5M_SAMPLE


def jpeg_bytes(color: tuple[int, int, int] = (90, 120, 160), size: tuple[int, int] = (32, 24), gps: tuple[float, float] | None = None) -> bytes:
    """A small JPEG, with EXIF GPS tags when ``gps`` is given."""
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    exif = Image.Exif()
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
