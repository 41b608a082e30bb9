"""Land, countries and continents from Natural Earth 1:110m, shipped in ``data/``.

>>> bool(is_land(48.8566, 2.3522)), bool(is_land(30.0, -40.0))   # Paris, mid-Atlantic
(True, False)
>>> lat, lon = snap_to_land(38.70, -9.60)                         # just off Lisbon
>>> country_of(lat, lon)
'Portugal'

Snapping uses a KD-tree over coastline samples placed every ``COAST_SPACING_KM`` and
nudged ``INLAND_OFFSET_KM`` inland, searched by chord length on the unit sphere (the
same order as great-circle distance). A snapped point is therefore on land, within
about ``COAST_SPACING_KM / 2 + INLAND_OFFSET_KM`` of the exactly nearest coast point.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, overload

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from worldnet_core.geo import EARTH_RADIUS_KM, Many, latlon_to_unit

if TYPE_CHECKING:  # SciPy loads with the land data (_world), not with the module: web processes import it for names
    from scipy.spatial import cKDTree

COUNTRIES_FILE = Path(__file__).parent / "data" / "ne_110m_countries.geojson"
COUNTRY_LABELS_FILE = Path(__file__).parent / "data" / "basemap" / "country-labels.json"
CONTINENTS = ("Africa", "Antarctica", "Asia", "Europe", "North America", "Oceania", "South America")

COAST_SPACING_KM = 5.0
INLAND_OFFSET_KM = 0.5
#: How far off a drawn coast a point still counts as in that coast's country.
DEFAULT_COUNTRY_MARGIN_KM = 50.0
#: Areas of the shipped map whose country is itself in dispute, by their map name (``country_of``'s answer).
#: Each shares a land border with a state that claims it, and maps drawn by another convention put it inside
#: that state: Western Sahara (Morocco), Northern Cyprus (Cyprus), Somaliland (Somalia), Kosovo (Serbia) and
#: Palestine (Israel, or the reverse in East Jerusalem). A player who knows exactly where a photo was taken
#: could be marked wrong there for following the other line, so a game that asks for the country (the
#: country streak) never draws a photo in them. Taiwan and the Falklands are claimed too, but are islands of
#: their own on every map: a click on them is the same click whoever's claim one follows, so they stay.
DISPUTED_AREAS = frozenset({"W. Sahara", "N. Cyprus", "Somaliland", "Kosovo", "Palestine"})

_KM_PER_DEGREE = np.pi * EARTH_RADIUS_KM / 180.0


@dataclass(frozen=True)
class _World:
    names: NDArray[np.str_]
    iso_a3: NDArray[np.str_]
    continents: NDArray[np.str_]
    polygons: NDArray[np.object_]  # shapely geometries, (lon, lat), one per country
    land: shapely.Geometry  # their union, prepared
    tree: shapely.STRtree
    coast_tree: cKDTree  # unit vectors of inland coast samples
    coast_latlon: NDArray[np.float64]  # (n, 2) degrees
    coast_country: NDArray[np.int64]  # index into names


@functools.cache
def _world() -> _World:
    """Loads the shipped countries once per process (about 0.3 s).

    Read as plain GeoJSON with shapely, not geopandas: a web process scores guesses with this,
    and pandas, pyogrio and pyproj would add about 70 MB to each of its workers for one small file.
    """
    from scipy.spatial import cKDTree  # imported here: land is optional for most callers

    features = json.loads(COUNTRIES_FILE.read_text(encoding="utf-8"))["features"]
    polygons = np.array([shapely.geometry.shape(feature["geometry"]) for feature in features], dtype=object)
    properties = [feature["properties"] for feature in features]
    land = shapely.union_all(polygons)
    shapely.prepare(land)
    for polygon in polygons:
        shapely.prepare(polygon)
    coast_lonlat, coast_country = _inland_coast_samples(polygons)
    coast_latlon = coast_lonlat[:, ::-1].copy()
    return _World(
        names=np.array([p["name"] for p in properties], dtype=str),
        iso_a3=np.array([p["iso_a3"] for p in properties], dtype=str),
        continents=np.array([p["continent"] for p in properties], dtype=str),
        polygons=polygons,
        land=land,
        tree=shapely.STRtree(polygons),
        coast_tree=cKDTree(latlon_to_unit(coast_latlon[:, 0], coast_latlon[:, 1])),
        coast_latlon=coast_latlon,
        coast_country=coast_country,
    )


def _inland_coast_samples(polygons: NDArray[np.object_]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Points every ``COAST_SPACING_KM`` along each country's rings, moved just inland.

    ``segmentize`` leaves at most ``COAST_SPACING_KM`` between samples (less at high
    latitudes, where a degree of longitude is shorter). Rings are oriented so the interior lies to the left of travel (exterior counter-
    clockwise, holes clockwise); the left normal of each segment then points inland.
    Samples that still fall outside (slivers narrower than the offset) are dropped.
    """
    samples, owners = [], []
    spacing_deg = COAST_SPACING_KM / _KM_PER_DEGREE
    offset_deg = INLAND_OFFSET_KM / _KM_PER_DEGREE
    for index, geometry in enumerate(polygons):
        for polygon in shapely.get_parts(geometry):
            polygon = shapely.geometry.polygon.orient(polygon, sign=1.0)
            for ring in [polygon.exterior, *polygon.interiors]:
                dense = np.asarray(shapely.segmentize(ring, spacing_deg).coords)
                start, end = dense[:-1], dense[1:]
                direction = end - start
                length = np.hypot(direction[:, 0], direction[:, 1])
                keep = length > 0
                start, direction, length = start[keep], direction[keep], length[keep]
                # The left normal, with longitude steps shrunk by cos(lat) so the
                # offset is roughly the same number of km everywhere.
                cos_lat = np.maximum(np.cos(np.radians(start[:, 1])), 0.05)
                normal = np.stack([-direction[:, 1] / cos_lat, direction[:, 0] * cos_lat], axis=1)
                normal /= np.linalg.norm(normal, axis=1, keepdims=True)
                moved = start + normal * offset_deg
                moved[:, 1] = np.clip(moved[:, 1], -89.999, 89.999)
                inside = shapely.contains_xy(geometry, moved[:, 0], moved[:, 1])
                samples.append(moved[inside])
                owners.append(np.full(int(inside.sum()), index))
    return np.concatenate(samples), np.concatenate(owners)


def _as_arrays(lat: ArrayLike, lon: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64], bool]:
    lat_a, lon_a = np.broadcast_arrays(np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64))
    scalar = lat_a.ndim == 0
    return np.atleast_1d(lat_a), np.atleast_1d(lon_a), scalar


@overload
def is_land(lat: float, lon: float) -> bool: ...
@overload
def is_land(lat: Many, lon: ArrayLike) -> NDArray[np.bool_]: ...
@overload
def is_land(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.bool_] | bool: ...
def is_land(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.bool_] | bool:
    """Whether each point lies on land (a drawn country, boundary included)."""
    lats, lons, scalar = _as_arrays(lat, lon)
    inside: NDArray[np.bool_] = shapely.intersects_xy(_world().land, lons, lats)
    return bool(inside[0]) if scalar else inside


def _nearest_coast(lats: NDArray[np.float64], lons: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Great-circle km to, and index of, the nearest inland coast sample."""
    world = _world()
    chord, index = world.coast_tree.query(latlon_to_unit(lats, lons))
    km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))
    return km, index


@overload
def snap_to_land(lat: float, lon: float) -> tuple[float, float]: ...
@overload
def snap_to_land(lat: Many, lon: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
@overload
def snap_to_land(lat: ArrayLike, lon: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]] | tuple[float, float]: ...
def snap_to_land(lat: ArrayLike, lon: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]] | tuple[float, float]:
    """Moves points at sea to the nearest land; points on land stay exactly where they are."""
    lats, lons, scalar = _as_arrays(lat, lon)
    lats, lons = lats.copy(), lons.copy()
    at_sea = ~is_land(lats, lons)
    if at_sea.any():
        _, index = _nearest_coast(lats[at_sea], lons[at_sea])
        world = _world()
        lats[at_sea] = world.coast_latlon[index, 0]
        lons[at_sea] = world.coast_latlon[index, 1]
    if scalar:
        return float(lats[0]), float(lons[0])
    return lats, lons


def _country_index(lat: ArrayLike, lon: ArrayLike, margin_km: float | None) -> tuple[NDArray[np.int64], bool]:
    """Index of each point's country, -1 where none is within ``margin_km`` (None: no limit)."""
    lats, lons, scalar = _as_arrays(lat, lon)
    world = _world()
    found = np.full(lats.shape, -1, dtype=np.int64)
    point_index, country_index = world.tree.query(shapely.points(lons, lats), predicate="intersects")
    # A point on a shared border meets two countries; the first one wins, deterministically.
    found[point_index[::-1]] = country_index[::-1]
    missing = found < 0
    if missing.any():
        km, coast = _nearest_coast(lats[missing], lons[missing])
        near = np.ones_like(km, dtype=bool) if margin_km is None else km <= margin_km
        found[np.flatnonzero(missing)[near]] = world.coast_country[coast[near]]
    return found, scalar


def _named(found: NDArray[np.int64], scalar: bool, table: NDArray[np.str_]) -> NDArray[np.object_] | str | None:
    """``table``'s entry for each index in ``found``; None where it is -1."""
    named = table[np.maximum(found, 0)].astype(object)
    named[found < 0] = None
    if not scalar:
        return named
    value = named[0]
    return None if value is None else str(value)


@overload
def country_of(lat: float, lon: float, margin_km: float | None = DEFAULT_COUNTRY_MARGIN_KM) -> str | None: ...
@overload
def country_of(lat: Many, lon: ArrayLike, margin_km: float | None = DEFAULT_COUNTRY_MARGIN_KM) -> NDArray[np.object_]: ...
@overload
def country_of(lat: ArrayLike, lon: ArrayLike, margin_km: float | None = DEFAULT_COUNTRY_MARGIN_KM) -> NDArray[np.object_] | str | None: ...
def country_of(lat: ArrayLike, lon: ArrayLike, margin_km: float | None = DEFAULT_COUNTRY_MARGIN_KM) -> NDArray[np.object_] | str | None:
    """Country name at each point, or of the nearest coast within ``margin_km``; else None."""
    return _named(*_country_index(lat, lon, margin_km), _world().names)


@overload
def iso_a3_of(lat: float, lon: float, margin_km: float | None = DEFAULT_COUNTRY_MARGIN_KM) -> str | None: ...
@overload
def iso_a3_of(lat: Many, lon: ArrayLike, margin_km: float | None = DEFAULT_COUNTRY_MARGIN_KM) -> NDArray[np.object_]: ...
@overload
def iso_a3_of(lat: ArrayLike, lon: ArrayLike, margin_km: float | None = DEFAULT_COUNTRY_MARGIN_KM) -> NDArray[np.object_] | str | None: ...
def iso_a3_of(lat: ArrayLike, lon: ArrayLike, margin_km: float | None = DEFAULT_COUNTRY_MARGIN_KM) -> NDArray[np.object_] | str | None:
    """ISO 3166-1 alpha-3 code of ``country_of``."""
    return _named(*_country_index(lat, lon, margin_km), _world().iso_a3)


@overload
def continent_of(lat: float, lon: float, margin_km: float | None = DEFAULT_COUNTRY_MARGIN_KM) -> str | None: ...
@overload
def continent_of(lat: Many, lon: ArrayLike, margin_km: float | None = DEFAULT_COUNTRY_MARGIN_KM) -> NDArray[np.object_]: ...
@overload
def continent_of(
    lat: ArrayLike, lon: ArrayLike, margin_km: float | None = DEFAULT_COUNTRY_MARGIN_KM
) -> NDArray[np.object_] | str | None: ...
def continent_of(lat: ArrayLike, lon: ArrayLike, margin_km: float | None = DEFAULT_COUNTRY_MARGIN_KM) -> NDArray[np.object_] | str | None:
    """Continent (one of ``CONTINENTS``) of ``country_of``; ``margin_km=None`` always finds one."""
    return _named(*_country_index(lat, lon, margin_km), _world().continents)


@functools.cache
def _country_names() -> dict[str, str]:
    """Upper-cased ISO alpha-2 and alpha-3 codes and map names -> full English name.

    Full names are GeoNames' (``data/basemap/country-labels.json``); the map names are
    Natural Earth's, both the 1:50m labels' and this module's 1:110m countries' (joined by
    ISO alpha-3), so whatever ``country_of`` answers has its full name too.
    """
    names: dict[str, str] = {}
    columns_rows = json.loads(COUNTRY_LABELS_FILE.read_text(encoding="utf-8"))
    column = {name: i for i, name in enumerate(columns_rows["columns"])}
    for row in columns_rows["rows"]:
        full = row[column["full_name"]]
        for key in (row[column["iso_a2"]], row[column["iso_a3"]], row[column["name"]], full):
            if key:
                names.setdefault(key.upper(), full)
    for feature in json.loads(COUNTRIES_FILE.read_text(encoding="utf-8"))["features"]:
        properties = feature["properties"]
        if properties["iso_a3"].upper() in names:
            names.setdefault(properties["name"].upper(), names[properties["iso_a3"].upper()])
    return names


def country_name(code: str) -> str:
    """The full English name of a country from its ISO 3166-1 alpha-2 or alpha-3 code or a
    map name (any case); anything else comes back as given.

    >>> country_name("DE"), country_name("usa"), country_name("Dem. Rep. Congo")
    ('Germany', 'United States', 'Democratic Republic of the Congo')
    >>> country_name("Bosnia and Herz."), country_name("XKX"), country_name("Atlantis")
    ('Bosnia and Herzegovina', 'Kosovo', 'Atlantis')
    """
    return _country_names().get(code.strip().upper(), code)


def countries_geojson() -> str:
    """The shipped countries as GeoJSON text (for maps drawn in the browser)."""
    return COUNTRIES_FILE.read_text()


__all__ = [
    "CONTINENTS",
    "DISPUTED_AREAS",
    "continent_of",
    "countries_geojson",
    "country_name",
    "country_of",
    "is_land",
    "iso_a3_of",
    "snap_to_land",
]
