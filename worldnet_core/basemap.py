"""The offline basemap's layers: shipped files in ``data/basemap/``, what each holds, and when the map needs it.

The files are made by ``python -m training make-basemap-data`` from pinned packages
(see ``data/basemap/README.md``); nothing here reaches the network. The web app
serves them gzip-compressed (``layer_gzip``), and ``static/js/maps.js`` loads each
one the first time the map's zoom reaches the layer's ``min_zoom`` with the layer's
``bbox`` in view (the larger layers are split by region): the world view a round opens
on loads only these:

>>> sorted(first_load_layers())
['cities-0', 'countries-110m', 'country-labels', 'lakes-110m']
>>> layer_bytes("country-labels")[:1]
b'{'
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
BASEMAP_DIR = DATA_DIR / "basemap"

#: Below a round's whole-world view (zoom 0.8 to 1.5 by the map's width), above the home
#: page's zoom-0 thumbnails, which draw no labels (basemap.js's LABEL_MIN_ZOOM).
WORLD_ZOOM = 0.5
#: From this zoom on the map draws Natural Earth 1:50m instead of 1:110m: at zoom 4 a
#: 1:110m vertex is ~10 px from the next, and coasts turn visibly into straight lines.
DETAIL_ZOOM = 4.0


@dataclass(frozen=True)
class Layer:
    path: Path
    kind: str  # how maps.js draws it: outline-110m, outline-50m, lakes, admin1, country-labels, cities
    min_zoom: float  # the map fetches the file once its zoom reaches this ...
    bbox: tuple[float, ...]  # ... and the view meets this (west, south, east, north)

    @property
    def content_type(self) -> str:
        return "application/geo+json" if self.path.suffix == ".geojson" else "application/json"


def _load_layers() -> dict[str, Layer]:
    """The 1:110m countries (shared with ``land``) and the layers ``index.json`` lists."""
    layers = {"countries-110m": Layer(DATA_DIR / "ne_110m_countries.geojson", "outline-110m", 0.0, (-180.0, -90.0, 180.0, 90.0))}
    for row in json.loads((BASEMAP_DIR / "index.json").read_text())["layers"]:
        layers[row["name"]] = Layer(BASEMAP_DIR / row["file"], row["kind"], float(row["min_zoom"]), tuple(row["bbox"]))
    return layers


#: name -> layer; names are the URL path segment the site serves each file under.
LAYERS: dict[str, Layer] = _load_layers()

#: The first map load (world view) may send at most this many compressed bytes of basemap
#: layers (``first_load_layers``: 1:110m countries and lakes, country labels, the biggest
#: cities); ``tests/test_basemap.py`` holds the site to it, in a browser and by the test client.
FIRST_LOAD_BUDGET_BYTES = 120_000


def first_load_layers() -> list[str]:
    """The layers a map at ``WORLD_ZOOM`` fetches: what ``FIRST_LOAD_BUDGET_BYTES`` bounds."""
    return [name for name, layer in LAYERS.items() if layer.min_zoom <= WORLD_ZOOM]


def layer_bytes(name: str) -> bytes:
    """The layer's file as shipped; ``KeyError`` for an unknown name."""
    return LAYERS[name].path.read_bytes()


@functools.cache
def layer_gzip(name: str) -> bytes:
    """The layer gzip-compressed once per process (``mtime=0``: the same bytes every time)."""
    return gzip.compress(layer_bytes(name), compresslevel=9, mtime=0)


@functools.cache
def index_version() -> str:
    """A digest of the layer list as the site serves it, for its URL (which browsers cache for a year):
    each layer's file, kind, zoom and bbox, and ``DETAIL_ZOOM``. A change of any of them is a new URL."""
    listed = [(name, layer_version(name), layer.kind, layer.min_zoom, layer.bbox) for name, layer in sorted(LAYERS.items())]
    return hashlib.sha256(repr((DETAIL_ZOOM, listed)).encode()).hexdigest()[:12]


@functools.cache
def layer_version(name: str) -> str:
    """A short digest of the file, for cache-busting URLs (``?v=...``) and ETags."""
    return hashlib.sha256(layer_bytes(name)).hexdigest()[:12]


__all__ = [
    "DETAIL_ZOOM",
    "FIRST_LOAD_BUDGET_BYTES",
    "LAYERS",
    "WORLD_ZOOM",
    "Layer",
    "first_load_layers",
    "index_version",
    "layer_bytes",
    "layer_gzip",
    "layer_version",
]
