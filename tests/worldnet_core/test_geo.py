import numpy as np
import pytest
import torch

from worldnet_core.geo import (
    EARTH_RADIUS_KM,
    WORLD_SCALE_KM,
    geoguessr_points,
    haversine_km,
    latlon_to_unit,
    longitude_span,
    scale_km,
    spherical_mean,
    unit_to_latlon,
)
from worldnet_core.geo_torch import haversine_km_torch, haversine_loss

LONDON = (51.5074, -0.1278)
PARIS = (48.8566, 2.3522)


def test_it_measures_london_to_paris():
    assert haversine_km(*LONDON, *PARIS) == pytest.approx(343.5, abs=0.5)


def test_it_measures_antipodes_as_half_the_circumference():
    assert haversine_km(10.0, 20.0, -10.0, -160.0) == pytest.approx(np.pi * EARTH_RADIUS_KM, abs=0.001)  # within a metre
    assert haversine_km(10.0, 20.0, -10.0, -160.0) == pytest.approx(20015.1, abs=0.1)


def test_it_is_zero_for_the_same_point_and_symmetric():
    assert haversine_km(*PARIS, *PARIS) == 0.0
    assert haversine_km(*LONDON, *PARIS) == haversine_km(*PARIS, *LONDON)


def test_it_broadcasts_like_numpy():
    lats = np.array([[0.0], [10.0]])
    distances = haversine_km(lats, np.array([0.0, 1.0, 2.0]), 0.0, 0.0)
    assert distances.shape == (2, 3)
    assert distances[0, 0] == 0.0
    assert distances[0, 1] == pytest.approx(111.195, abs=0.01)  # one degree of the equator


def test_it_crosses_the_antimeridian_the_short_way():
    assert haversine_km(0.0, 179.5, 0.0, -179.5) == pytest.approx(111.195, abs=0.01)


def test_it_agrees_between_numpy_and_torch():
    rng = np.random.default_rng(1)
    a = rng.uniform([-90, -180], [90, 180], (500, 2))
    b = rng.uniform([-90, -180], [90, 180], (500, 2))
    expected = haversine_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    got = haversine_km_torch(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-3)


@pytest.mark.parametrize(
    "pred,target",
    [
        ([[48.8566, 2.3522]], [[48.8566, 2.3522]]),  # 0 km
        ([[10.0, 20.0]], [[-10.0, -160.0]]),  # exact antipodes
        ([[10.0, 20.0]], [[-10.0000001, -159.9999999]]),  # near antipodes
        ([[90.0, 0.0]], [[90.0, 45.0]]),  # the same pole, different longitudes
    ],
)
def test_it_gives_finite_loss_gradients_at_the_hard_points(pred, target):
    pred_t = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    loss = haversine_loss(pred_t, torch.tensor(target, dtype=torch.float64))
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(pred_t.grad).all()


def test_it_trains_a_point_towards_its_target_with_the_loss():
    pred = torch.tensor([[0.0, 0.0]], requires_grad=True)
    target = torch.tensor([[40.0, 30.0]])
    optimizer = torch.optim.SGD([pred], lr=0.05)
    start = haversine_loss(pred, target).item()
    for _ in range(200):
        optimizer.zero_grad()
        haversine_loss(pred, target).backward()
        optimizer.step()
    assert haversine_loss(pred, target).item() < start / 10


def test_it_round_trips_unit_vectors():
    lat, lon = np.array([0.0, 45.0, -89.0, 10.0]), np.array([0.0, 100.0, -170.0, 180.0])
    vectors = latlon_to_unit(lat, lon)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=-1), 1.0)
    back_lat, back_lon = unit_to_latlon(vectors)
    np.testing.assert_allclose(back_lat, lat, atol=1e-9)
    np.testing.assert_allclose(haversine_km(lat, lon, back_lat, back_lon), 0.0, atol=1e-6)


def test_it_averages_across_the_antimeridian():
    lat, lon = spherical_mean([0.0, 0.0], [179.0, -179.0])
    assert lat == pytest.approx(0.0, abs=1e-9)
    assert abs(lon) == pytest.approx(180.0)


def test_it_averages_near_the_pole_on_the_pole_side():
    lat, _ = spherical_mean([85.0, 85.0], [0.0, 180.0])
    assert lat == pytest.approx(90.0)


def test_it_weights_the_mean():
    lat, lon = spherical_mean([0.0, 0.0], [0.0, 90.0], weights=[3.0, 1.0])
    assert lat == pytest.approx(0.0, abs=1e-9)
    assert lon == pytest.approx(np.degrees(np.arctan2(1, 3)))


def test_it_refuses_a_mean_that_does_not_exist():
    with pytest.raises(ValueError, match="balance"):
        spherical_mean([0.0, 0.0], [0.0, 180.0])


def test_it_finds_the_short_longitude_span():
    west, span = longitude_span([170.0, -170.0, 175.0])
    assert west == 170.0
    assert span == pytest.approx(20.0)


def test_it_scales_the_whole_world_to_geoguessrs_constant():
    assert scale_km([-85.0, 80.0, 0.0], [-180.0, 179.0, 0.0]) == WORLD_SCALE_KM == 14916.862


def test_it_scales_a_city_set_by_its_diagonal():
    expected = haversine_km(48.0, 2.0, 49.0, 3.0)
    assert scale_km([48.0, 49.0], [2.0, 3.0]) == pytest.approx(expected)


def test_it_scores_geoguessr_points():
    assert geoguessr_points(0.0) == 5000
    assert geoguessr_points(WORLD_SCALE_KM / 10) == round(5000 * np.exp(-1))
    assert geoguessr_points(100.0, scale=1000.0) == round(5000 * np.exp(-1))
    assert geoguessr_points(20015.0) == round(5000 * np.exp(-10 * 20015 / 14916.862))
    assert list(geoguessr_points([0.0, 1e9])) == [5000, 0]
