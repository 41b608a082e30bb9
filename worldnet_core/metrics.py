"""The paper's evaluation: distances, accuracy within radii, continents and points.

>>> m = geolocation_metrics([48.86, 51.51], [2.35, -0.13], [48.86, 48.86], [2.35, 2.35])
>>> m["median_km"] > 0, m["acc_1km"], m["continent_acc"]
(True, 0.5, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from worldnet_core.geo import WORLD_SCALE_KM, geoguessr_points, haversine_km

#: The radii of ``acc_<r>km``: street, city, region, country, the paper's 1000 km, continent.
ACCURACY_RADII_KM = (1, 25, 200, 750, 1000, 2500)

METRIC_KEYS = (
    "mean_km",
    "median_km",
    *(f"acc_{radius}km" for radius in ACCURACY_RADII_KM),
    "continent_acc",
    "points",
    "coherence",
)
#: Fewer test images than this measure nothing worth a mean or a median: a table over them says so instead
#: (the report, the training programs' logs; the site's ``WORLDNET_MIN_TEST_PHOTOS`` defaults to it).
MIN_TEST_IMAGES = 30
#: A guess farther than this from every candidate the player is shown contradicts them.
COHERENCE_KM = 1500.0
#: The candidates a player is shown: the top ``SHOWN_CANDIDATES`` (the game's bars) holding at least
#: ``CANDIDATE_MIN_PROB``, the top one always. worldNET anchors its guess on them; coherence counts them.
SHOWN_CANDIDATES = 3
CANDIDATE_MIN_PROB = 0.1


def geolocation_metrics(
    true_lat: ArrayLike,
    true_lon: ArrayLike,
    pred_lat: ArrayLike,
    pred_lon: ArrayLike,
    *,
    scale_km: float = WORLD_SCALE_KM,
    candidates: Sequence[Sequence[tuple[float, float, float]]] | None = None,
) -> dict[str, float | None]:
    """Every metric of ``METRIC_KEYS`` for predictions against the truth.

    ``continent_acc`` compares the continent of the nearest country for both points
    (so points just at sea still count); ``points`` is the mean GeoGuessr score with
    scale ``scale_km`` (see ``worldnet_core.geo.scale_km``). ``coherence`` is the share
    of *incoherent* guesses (lower is better; see ``incoherent``), None for models that
    show no candidates: ``candidates`` gives each prediction's ``(lat, lon, probability)``.
    """
    from worldnet_core.land import continent_of  # loads the land data on first use

    true_lat, true_lon, pred_lat, pred_lon = (np.asarray(x, dtype=np.float64).reshape(-1) for x in (true_lat, true_lon, pred_lat, pred_lon))
    if not (len(true_lat) == len(true_lon) == len(pred_lat) == len(pred_lon)):
        raise ValueError("true and predicted coordinates must have the same length")
    if len(true_lat) == 0:
        raise ValueError("no predictions to evaluate")
    distance = haversine_km(true_lat, true_lon, pred_lat, pred_lon)
    metrics: dict[str, float | None] = {"mean_km": float(distance.mean()), "median_km": float(np.median(distance))}
    for radius in ACCURACY_RADII_KM:
        metrics[f"acc_{radius}km"] = float((distance <= radius).mean())
    same_continent = continent_of(true_lat, true_lon, margin_km=None) == continent_of(pred_lat, pred_lon, margin_km=None)
    metrics["continent_acc"] = float(np.mean(same_continent))
    metrics["points"] = float(np.mean(geoguessr_points(distance, scale_km)))
    metrics["coherence"] = None if candidates is None else float(np.mean(incoherent(pred_lat, pred_lon, candidates)))
    return metrics


def incoherent(
    pred_lat: ArrayLike,
    pred_lon: ArrayLike,
    candidates: Sequence[Sequence[tuple[float, float, float]]],
    *,
    min_prob: float = CANDIDATE_MIN_PROB,
) -> NDArray[np.bool_]:
    """Whether each guess lies more than ``COHERENCE_KM`` from every candidate holding at least
    ``min_prob`` of the probability (the most probable one when none does): a pin that
    contradicts the bars shown beside it.

    >>> bool(incoherent([55.8], [37.6], [[(51.5, -0.1, 0.4), (-33.9, 151.2, 0.24), (-37.8, 145.0, 0.22)]])[0])
    True
    """
    flags = []
    for lat, lon, shown in zip(
        np.asarray(pred_lat, dtype=np.float64).reshape(-1), np.asarray(pred_lon, dtype=np.float64).reshape(-1), candidates
    ):
        held = [c for c in shown if c[2] >= min_prob] or sorted(shown, key=lambda c: -c[2])[:1]
        if not held:
            flags.append(False)  # nothing shown, nothing contradicted
            continue
        near = haversine_km(lat, lon, np.array([c[0] for c in held]), np.array([c[1] for c in held]))
        flags.append(bool(np.min(near) > COHERENCE_KM))
    return np.array(flags, dtype=bool)
