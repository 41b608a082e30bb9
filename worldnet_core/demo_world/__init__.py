"""The demo world: procedural street scenes of real places, an image set that needs no photos.

>>> from worldnet_core.demo_world import DEFAULT_PLACES, render_image
>>> image = render_image(DEFAULT_PLACES[0], seed=0, index=0)
>>> image.size
(800, 600)

``generate_world(out, per_city=100, seed=0)`` writes ``out/images/<place>/<n>.jpg``,
``out/manifest.csv`` (``path,lat,lon,place,country``) and ``out/unseen_places.txt``
(the places beyond the paper's 23). Every image depends only on ``(seed, place,
index)``: the same seed gives byte-identical files, in any order or process.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from worldnet_core.demo_world.places import DEFAULT_PLACES, PAPER_CITIES, UNSEEN_CITIES, Place, read_places
from worldnet_core.demo_world.render import HEIGHT, WIDTH, render_scene
from worldnet_core.demo_world.styles import SceneStyle, style_for
from worldnet_core.geo import EARTH_RADIUS_KM
from worldnet_core.manifest import ImageRecord, Manifest, write_manifest

JPEG_QUALITY = 88
#: Median distance of an image from its city centre, km (log-normal, capped).
SCATTER_MEDIAN_KM = 7.0
SCATTER_MAX_KM = 40.0


@cache
def _style(place: Place) -> SceneStyle:
    return style_for(place)


def slug(name: str) -> str:
    """A folder name for a place: ASCII, lower case, hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "place"


def _rng(seed: int, place: Place, index: int, stream: int) -> np.random.Generator:
    """Independent streams per image: stream 0 draws the scene, 1 its location."""
    return np.random.default_rng([seed, *(ord(c) for c in place.name), index, stream])


def render_image(place: Place, *, seed: int, index: int) -> Image.Image:
    return render_scene(_style(place), _rng(seed, place, index, 0))


def image_location(place: Place, *, seed: int, index: int) -> tuple[float, float]:
    """Where image ``index`` of ``place`` was "taken": a few to tens of km from the centre, on land."""
    from worldnet_core.land import is_land

    rng = _rng(seed, place, index, 1)
    distance = min(SCATTER_MAX_KM, SCATTER_MEDIAN_KM * float(rng.lognormal(0.0, 0.7)))
    bearing = float(rng.uniform(0, 2 * np.pi))
    for _ in range(6):  # coastal cities: pull a point at sea back towards the centre
        lat, lon = _destination(place.lat, place.lon, bearing, distance)
        if is_land(lat, lon) or not is_land(place.lat, place.lon):
            return lat, lon
        distance /= 2
    return place.lat, place.lon


def _destination(lat: float, lon: float, bearing: float, km: float) -> tuple[float, float]:
    """The point ``km`` from ``(lat, lon)`` along ``bearing`` (radians) on the sphere."""
    phi, lam, delta = np.radians(lat), np.radians(lon), km / EARTH_RADIUS_KM
    phi2 = np.arcsin(np.sin(phi) * np.cos(delta) + np.cos(phi) * np.sin(delta) * np.cos(bearing))
    lam2 = lam + np.arctan2(np.sin(bearing) * np.sin(delta) * np.cos(phi), np.cos(delta) - np.sin(phi) * np.sin(phi2))
    return float(np.degrees(phi2)), float((np.degrees(lam2) + 540.0) % 360.0 - 180.0)


@dataclass(frozen=True)
class _Job:
    place: Place
    index: int
    seed: int
    path: Path


def _write(job: _Job) -> ImageRecord:
    image = render_image(job.place, seed=job.seed, index=job.index)
    image.save(job.path, format="JPEG", quality=JPEG_QUALITY)
    lat, lon = image_location(job.place, seed=job.seed, index=job.index)
    return ImageRecord(job.path.parent.name + "/" + job.path.name, lat, lon, place=job.place.name, country=job.place.country)


def generate_world(
    out: Path,
    *,
    places: Sequence[Place] = DEFAULT_PLACES,
    per_city: int,
    seed: int,
    workers: int = 1,
    progress: Callable[[Iterable[ImageRecord]], Iterable[ImageRecord]] | None = None,
) -> Manifest:
    """Writes the image set into ``out`` and returns its manifest.

    ``progress`` wraps the stream of finished images (e.g. ``tqdm``).
    """
    out = Path(out)
    if per_city < 1:
        raise ValueError("per_city must be at least 1")
    names = [p.name for p in places]
    if len(set(map(slug, names))) != len(names):
        raise ValueError("place names must be distinct (after reducing them to folder names)")
    image_dir = out / "images"
    jobs = []
    for place in places:
        (image_dir / slug(place.name)).mkdir(parents=True, exist_ok=True)
        jobs += [_Job(place, i, seed, image_dir / slug(place.name) / f"{i:05d}.jpg") for i in range(per_city)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results: Iterable[ImageRecord] = pool.map(_write, jobs, chunksize=16)
            records = list(progress(results) if progress else results)
    else:
        results = map(_write, jobs)
        records = list(progress(results) if progress else results)
    manifest = Manifest(image_dir, records)
    write_manifest(
        Manifest(out, [ImageRecord(f"images/{r.path}", r.lat, r.lon, r.place, r.country) for r in records]), out / "manifest.csv"
    )
    paper = {p.name for p in PAPER_CITIES}
    unseen = [p.name for p in places if p.name not in paper]
    (out / "unseen_places.txt").write_text("".join(f"{name}\n" for name in unseen), encoding="utf-8")
    return manifest


def _label_font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """DejaVu where Debian's fonts-dejavu-core is installed (it has every accent), else Pillow's own."""
    try:
        return ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 13)
    except OSError:
        return ImageFont.load_default(13)


def contact_sheet(places: Sequence[Place], *, seed: int = 0, per_row: int = 6, thumb: tuple[int, int] = (160, 120)) -> Image.Image:
    """One row of samples per place, labelled, for the README and for reviewers."""
    label_width = 150
    tw, th = thumb
    font = _label_font()
    sheet = Image.new("RGB", (label_width + per_row * (tw + 4), len(places) * (th + 4)), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    paper = {p.name for p in PAPER_CITIES}
    for row, place in enumerate(places):
        y = row * (th + 4)
        tag = "" if place.name in paper else " (unseen)"
        style = _style(place)
        draw.text((6, y + th / 2 - 16), f"{place.name}{tag}", fill=(20, 20, 20), font=font)
        draw.text((6, y + th / 2 + 2), f"{place.country} {style.climate.zone}", fill=(90, 90, 90), font=font)
        for column in range(per_row):
            image = render_image(place, seed=seed, index=column).resize(
                thumb, Image.Resampling.BOX
            )  # BOX: a true average when shrinking 5x
            sheet.paste(image, (label_width + column * (tw + 4), y + 2))
    return sheet


__all__ = [
    "DEFAULT_PLACES",
    "HEIGHT",
    "JPEG_QUALITY",
    "PAPER_CITIES",
    "UNSEEN_CITIES",
    "WIDTH",
    "Place",
    "contact_sheet",
    "generate_world",
    "image_location",
    "read_places",
    "render_image",
    "slug",
]
