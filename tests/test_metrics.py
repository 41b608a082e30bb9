import numpy as np
import pytest

from worldnet_core.geo import WORLD_SCALE_KM, haversine_km
from worldnet_core.metrics import METRIC_KEYS, geolocation_metrics


def test_it_returns_every_named_metric():
    metrics = geolocation_metrics([0.0], [0.0], [0.0], [0.0])
    assert tuple(metrics) == METRIC_KEYS == (
        "mean_km", "median_km", "acc_1km", "acc_25km", "acc_200km", "acc_750km", "acc_1000km", "acc_2500km", "continent_acc", "points",
    )


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
