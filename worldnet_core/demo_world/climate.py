"""A coarse, smooth climate from latitude, longitude and a few dry regions.

Scenes read their vegetation, snow and haze from two numbers, so that any place,
seen or not, gets a plausible look, and nearby places a similar one:

- ``warmth``: a rough mean annual temperature in °C, falling with latitude
  (colder inside continents, milder on western coasts in the westerlies);
- ``aridity``: 0 (wet) to 1 (desert), from soft-edged boxes around the world's
  large dry regions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: A box of ``(lat_min, lat_max, lon_min, lon_max)`` degrees.
Box = tuple[float, float, float, float]

# ((lat_min, lat_max, lon_min, lon_max), peak aridity): the large dry regions.
_DRY_REGIONS: tuple[tuple[Box, float], ...] = (
    ((15.0, 35.0, -17.0, 60.0), 1.0),  # Sahara and Arabia
    ((24.0, 42.0, 44.0, 72.0), 0.8),  # Iran, Afghanistan, Pakistan, Central Asia
    ((22.0, 37.0, -119.5, -103.0), 0.9),  # Sonoran, Mojave, Chihuahuan deserts
    ((-30.0, -4.0, -81.5, -69.0), 0.9),  # Atacama and coastal Peru
    ((-32.0, -18.0, 115.0, 145.0), 0.9),  # Australian interior
    ((-29.0, -17.0, 11.0, 25.0), 0.8),  # Namib and Kalahari
    ((36.0, 46.0, 75.0, 110.0), 0.7),  # Taklamakan and Gobi
)
#: Degrees over which a dry region's edge fades out.
_DRY_EDGE_DEG = 4.0

# Regions deep inside a continent have colder winters than their latitude says.
_CONTINENTAL: tuple[Box, ...] = ((38.0, 65.0, -105.0, -65.0), (35.0, 65.0, 100.0, 130.0), (45.0, 65.0, 30.0, 100.0))
# Western coasts in the westerlies are milder (the Gulf Stream, the Pacific).
_MARITIME: tuple[Box, ...] = ((43.0, 72.0, -12.0, 30.0), (40.0, 60.0, -130.0, -120.0), (-48.0, -36.0, 140.0, 180.0))


@dataclass(frozen=True)
class Climate:
    warmth: float
    aridity: float

    @property
    def zone(self) -> str:
        """The coarse class: tropical, arid, subtropical, temperate or boreal."""
        if self.aridity > 0.5:
            return "arid"
        if self.warmth >= 22.0:
            return "tropical"
        if self.warmth >= 14.0:
            return "subtropical"
        if self.warmth >= 6.0:
            return "temperate"
        return "boreal"


def _box_weight(lat: float, lon: float, box: Box, edge: float) -> float:
    """1 inside the box, fading linearly to 0 at ``edge`` degrees outside it."""
    lat_min, lat_max, lon_min, lon_max = box
    dlat = max(lat_min - lat, 0.0, lat - lat_max)
    dlon = max(lon_min - lon, 0.0, lon - lon_max)
    return max(0.0, 1.0 - math.hypot(dlat, dlon) / edge)


def climate_of(lat: float, lon: float) -> Climate:
    # Calibrated on annual means: Bangkok 29, Madrid 15, Paris 12, Chicago 10, Oslo 6 °C.
    warmth = 27.5 - 0.5 * max(0.0, abs(lat) - 15.0)
    warmth -= 4.0 * max((_box_weight(lat, lon, box, 6.0) for box in _CONTINENTAL), default=0.0)
    warmth += 2.0 * max((_box_weight(lat, lon, box, 6.0) for box in _MARITIME), default=0.0)
    aridity = max(peak * _box_weight(lat, lon, box, _DRY_EDGE_DEG) for box, peak in _DRY_REGIONS)
    return Climate(warmth=warmth, aridity=min(1.0, aridity))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def vegetation_weights(climate: Climate) -> dict[str, float]:
    """How often each kind of plant lines the street, summing to 1."""
    t, a = climate.warmth, climate.aridity
    wet = 1.0 - a
    weights = {
        "palm": sigmoid((t - 19.0) / 2.0) * (1.0 - 0.6 * a),
        "broadleaf": sigmoid((t - 23.0) / 1.5) * wet,
        "deciduous": math.exp(-(((t - 11.0) / 5.0) ** 2)) * wet,
        "conifer": sigmoid((7.0 - t) / 2.0) * wet + 0.1 * math.exp(-(((t - 14.0) / 3.0) ** 2)),
        "shrub": 0.15 + a,
        "cactus": a * sigmoid((t - 15.0) / 3.0),
    }
    total = sum(weights.values())
    return {kind: w / total for kind, w in weights.items()}


def snow_probability(climate: Climate) -> float:
    """Share of a place's images taken with snow on the ground."""
    return 0.6 * sigmoid((6.0 - climate.warmth) / 2.5) * (1.0 - climate.aridity)


def winter_probability(climate: Climate) -> float:
    """Share of images where deciduous trees are bare."""
    return 0.45 * sigmoid((13.0 - climate.warmth) / 2.0)
