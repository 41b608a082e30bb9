import numpy as np
import pytest

from worldnet_core.geo import WORLD_SCALE_KM, haversine_km
from worldnet_core.metrics import METRIC_KEYS, geolocation_metrics


def test_it_returns_every_named_metric():
    metrics = geolocation_metrics([0.0], [0.0], [0.0], [0.0])
    assert (
        tuple(metrics)
        == METRIC_KEYS
        == (
            "mean_km",
            "median_km",
            "acc_1km",
            "acc_25km",
            "acc_200km",
            "acc_750km",
            "acc_1000km",
            "acc_2500km",
            "continent_acc",
            "points",
            "coherence",
        )
    )
    assert metrics["coherence"] is None  # no candidates shown, nothing to contradict


def test_it_computes_distances_shares_continents_and_points():
    # Paris truth: exact; 343 km (London); 5840 km (New York); 9700 km (Tokyo).
    true_lat, true_lon = [48.8566] * 4, [2.3522] * 4
    pred_lat, pred_lon = [48.8566, 51.5074, 40.7128, 35.6762], [2.3522, -0.1278, -74.006, 139.6503]
    distances = haversine_km(np.array(true_lat), np.array(true_lon), np.array(pred_lat), np.array(pred_lon))
    metrics = geolocation_metrics(true_lat, true_lon, pred_lat, pred_lon)
    assert metrics["mean_km"] == pytest.approx(distances.mean())
    assert metrics["median_km"] == pytest.approx(np.median(distances))
    assert metrics["acc_1km"] == 0.25
    assert metrics["acc_200km"] == 0.25
    assert metrics["acc_750km"] == 0.5
    assert metrics["acc_2500km"] == 0.5
    assert metrics["continent_acc"] == 0.5  # Paris and London in Europe; New York, Tokyo not
    expected_points = np.mean([round(5000 * np.exp(-10 * d / WORLD_SCALE_KM)) for d in distances])
    assert metrics["points"] == pytest.approx(expected_points)


def test_it_scores_points_on_the_image_sets_scale():
    world = geolocation_metrics([0.0], [0.0], [0.0], [1.0])
    city = geolocation_metrics([0.0], [0.0], [0.0], [1.0], scale_km=100.0)
    assert city["points"] < world["points"]


def test_it_rejects_mismatched_or_empty_inputs():
    with pytest.raises(ValueError):
        geolocation_metrics([0.0, 1.0], [0.0], [0.0], [0.0])
    with pytest.raises(ValueError):
        geolocation_metrics([], [], [], [])


def test_coherence_counts_guesses_far_from_every_shown_candidate():
    london, sydney, melbourne = (51.5, -0.13, 0.40), (-33.87, 151.21, 0.24), (-37.81, 144.96, 0.22)
    tiny_far = (35.7, 139.7, 0.05)  # Tokyo at 5%: not a candidate the coherence counts
    guesses = [(55.75, 37.62), (51.0, 0.5), (-35.0, 149.0), (35.7, 139.7)]  # Moscow, Kent, Canberra, Tokyo
    shown = [[london, sydney, melbourne]] * 3 + [[london, sydney, tiny_far]]
    metrics = geolocation_metrics([0.0] * 4, [0.0] * 4, [g[0] for g in guesses], [g[1] for g in guesses], candidates=shown)
    assert metrics["coherence"] == 0.5  # Moscow and Tokyo contradict the bars; Kent and Canberra sit by a candidate


def test_coherence_falls_back_to_the_top_candidate_when_none_holds_ten_percent():
    flat = [[(48.85, 2.35, 0.08), (40.4, -3.7, 0.07)]]
    assert geolocation_metrics([0.0], [0.0], [48.0], [3.0], candidates=flat)["coherence"] == 0.0
    assert (
        geolocation_metrics([0.0], [0.0], [55.75], [37.62], candidates=flat)["coherence"] == 1.0
    )  # Moscow: 2,500 km from Paris, the top one
