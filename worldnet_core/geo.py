"""Great-circle geometry on a spherical Earth, in NumPy (the same in torch, for training: ``geo_torch``).

Every coordinate in this project is ``(lat, lon)`` in degrees; distances are
great-circle kilometres.

>>> round(float(haversine_km(51.5074, -0.1278, 48.8566, 2.3522)), 1)  # London-Paris
343.6
>>> lat, lon = spherical_mean([0.0, 0.0], [179.0, -179.0])
>>> round(float(lat), 6), round(abs(float(lon)), 6)  # on the antimeridian, not at 0
(0.0, 180.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeAlias, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Arguments for which the functions here (and in ``land``) answer with arrays rather than single numbers.
Many: TypeAlias = NDArray[Any] | Sequence[float]

#: Mean Earth radius (IUGG), the one geopy uses.
EARTH_RADIUS_KM = 6371.0088

#: GeoGuessr's scale for a world map: the D in ``5000 * exp(-10 * d / D)``.
WORLD_SCALE_KM = 14916.862

#: Smallest scale we allow, so that a one-place image set still scores sensibly.
MIN_SCALE_KM = 1.0

MAX_POINTS = 5000


# Blocks of this many pairs fit the scratch arrays in L2 cache; on 10^6 pairs this
# is ~40% faster than whole-array NumPy, which spends its time on memory traffic.
_HAVERSINE_BLOCK = 16384
_HALF_RAD = math.pi / 360.0


@overload
def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float: ...
@overload
def haversine_km(lat1: Many, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> NDArray[np.float64]: ...
@overload
def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> NDArray[np.float64] | float: ...
def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> NDArray[np.float64] | float:
    """Great-circle distance in km between points given in degrees; broadcasts like NumPy.

    Returns a float when every argument is a scalar, otherwise an array of the
    broadcast shape.
    """
    args = [np.asarray(x, dtype=np.float64) for x in (lat1, lon1, lat2, lon2)]
    scalar = all(x.ndim == 0 for x in args)
    lats1, lons1, lats2, lons2 = (x.reshape(-1) for x in np.broadcast_arrays(*args))
    shape = np.broadcast_shapes(*(x.shape for x in args))
    out = np.empty(lats1.size)
    block = min(_HAVERSINE_BLOCK, max(lats1.size, 1))
    hav, term, scratch = np.empty(block), np.empty(block), np.empty(block)
    for start in range(0, lats1.size, block):
        stop = min(start + block, lats1.size)
        n = stop - start
        h, t, c = hav[:n], term[:n], scratch[:n]
        # h = sin^2(dlat/2) + cos(lat1) cos(lat2) sin^2(dlon/2)
        np.subtract(lats2[start:stop], lats1[start:stop], out=h)
        h *= _HALF_RAD
        np.sin(h, out=h)
        h *= h
        np.subtract(lons2[start:stop], lons1[start:stop], out=t)
        t *= _HALF_RAD
        np.sin(t, out=t)
        t *= t
        for lats in (lats1, lats2):
            np.multiply(lats[start:stop], 2.0 * _HALF_RAD, out=c)
            np.cos(c, out=c)
            t *= c
        h += t
        np.minimum(h, 1.0, out=h)  # rounding can push antipodes just past 1
        np.sqrt(h, out=h)
        np.arcsin(h, out=out[start:stop])
    out *= 2.0 * EARTH_RADIUS_KM
    return float(out[0]) if scalar else out.reshape(shape)


def latlon_to_unit(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Unit vectors (..., 3) on the sphere for degrees ``lat``, ``lon``."""
    lat = np.radians(np.asarray(lat, dtype=np.float64))
    lon = np.radians(np.asarray(lon, dtype=np.float64))
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=-1)


def unit_to_latlon(xyz: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Degrees ``(lat, lon)`` of vectors (..., 3); the vectors need not be normalised."""
    xyz = np.asarray(xyz, dtype=np.float64)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    lat = np.degrees(np.arctan2(z, np.hypot(x, y)))
    lon = np.degrees(np.arctan2(y, x))
    return lat, lon


def spherical_mean(lat: ArrayLike, lon: ArrayLike, weights: ArrayLike | None = None) -> tuple[float, float]:
    """Weighted mean of points on the sphere: the normalised sum of their unit vectors.

    Unlike averaging degrees, it is right across the antimeridian and near the poles.
    Raises ``ValueError`` when the points balance out (e.g. two antipodes), where no
    mean direction exists.
    """
    vectors = latlon_to_unit(lat, lon).reshape(-1, 3)
    w = np.ones(len(vectors)) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    if len(w) != len(vectors):
        raise ValueError(f"{len(w)} weights for {len(vectors)} points")
    if len(vectors) == 0 or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("spherical_mean needs at least one point and non-negative weights with a positive sum")
    total = (vectors * w[:, None]).sum(axis=0)
    if np.linalg.norm(total) < 1e-12 * w.sum():
        raise ValueError("the points balance out on the sphere; their mean direction is undefined")
    mean_lat, mean_lon = unit_to_latlon(total)
    return float(mean_lat), float(mean_lon)


def longitude_span(lon: ArrayLike) -> tuple[float, float]:
    """The shortest arc of longitudes holding every point, as ``(west, span)`` in degrees.

    Sets that straddle the antimeridian (Fiji, the Bering Strait) get their true
    span rather than nearly 360 degrees.
    """
    lons = np.sort(np.mod(np.asarray(lon, dtype=np.float64).reshape(-1) + 180.0, 360.0) - 180.0)
    if len(lons) == 0:
        raise ValueError("longitude_span needs at least one longitude")
    gaps = np.diff(np.concatenate([lons, lons[:1] + 360.0]))
    widest = int(np.argmax(gaps))
    west = lons[(widest + 1) % len(lons)]
    return float(west), float(360.0 - gaps[widest])


def scale_km(lat: ArrayLike, lon: ArrayLike) -> float:
    """GeoGuessr's ``D`` for a set of locations: the great-circle diagonal of their bounding box.

    A set whose box is as large as the world's or larger gets the world's
    ``WORLD_SCALE_KM``; a single place gets at least ``MIN_SCALE_KM``.
    """
    lats = np.asarray(lat, dtype=np.float64).reshape(-1)
    if len(lats) == 0:
        raise ValueError("scale_km needs at least one location")
    _, span = longitude_span(lon)
    diagonal = haversine_km(lats.min(), 0.0, lats.max(), min(span, 180.0))
    return float(min(max(diagonal, MIN_SCALE_KM), WORLD_SCALE_KM))


@overload
def geoguessr_points(distance_km: float, scale: float = WORLD_SCALE_KM) -> int: ...
@overload
def geoguessr_points(distance_km: Many, scale: float = WORLD_SCALE_KM) -> NDArray[np.int64]: ...
@overload
def geoguessr_points(distance_km: ArrayLike, scale: float = WORLD_SCALE_KM) -> NDArray[np.int64] | int: ...
def geoguessr_points(distance_km: ArrayLike, scale: float = WORLD_SCALE_KM) -> NDArray[np.int64] | int:
    """``round(5000 * exp(-10 * d / D))``: 5000 for a perfect guess, falling with distance."""
    d = np.asarray(distance_km, dtype=np.float64)
    points = np.rint(MAX_POINTS * np.exp(-10.0 * d / scale)).astype(np.int64)
    return points if points.ndim else int(points)


__all__ = [
    "EARTH_RADIUS_KM",
    "WORLD_SCALE_KM",
    "geoguessr_points",
    "haversine_km",
    "latlon_to_unit",
    "longitude_span",
    "scale_km",
    "spherical_mean",
    "unit_to_latlon",
]
