import numpy as np
import pytest

from worldnet_core.geo import haversine_km
from worldnet_core.land import CONTINENTS, continent_of, country_of, is_land, iso_a3_of, snap_to_land

PARIS = (48.8566, 2.3522)
MID_ATLANTIC = (30.0, -40.0)
OFF_LISBON = (38.70, -9.60)  # about 10 km west of Lisbon's coast


def test_it_tells_land_from_sea():
    assert is_land(*PARIS) is True
    assert is_land(*MID_ATLANTIC) is False
    assert list(is_land([PARIS[0], MID_ATLANTIC[0]], [PARIS[1], MID_ATLANTIC[1]])) == [True, False]


def test_it_leaves_a_point_on_land_exactly_where_it_is():
    assert snap_to_land(*PARIS) == PARIS


def test_it_puts_a_mid_atlantic_point_on_land():
    lat, lon = snap_to_land(*MID_ATLANTIC)
    assert is_land(lat, lon)
    assert haversine_km(*MID_ATLANTIC, lat, lon) > 1000  # it really moved, to a far coast


def test_it_lands_a_point_off_lisbon_in_portugal():
    lat, lon = snap_to_land(*OFF_LISBON)
    assert country_of(lat, lon) == "Portugal"
    assert haversine_km(*OFF_LISBON, lat, lon) < 20


def test_it_snaps_to_the_nearest_land_by_great_circle_distance():
    rng = np.random.default_rng(3)
    lat = rng.uniform(-60, 75, 3000)
    lon = rng.uniform(-180, 180, 3000)
    sea = ~is_land(lat, lon)
    sea_lat, sea_lon = lat[sea][:300], lon[sea][:300]
    land_lat, land_lon = lat[~sea], lon[~sea]
    snapped_lat, snapped_lon = snap_to_land(sea_lat, sea_lon)
    assert is_land(snapped_lat, snapped_lon).all()
    moved = haversine_km(sea_lat, sea_lon, snapped_lat, snapped_lon)
    # No random land point may be meaningfully closer than the snap target.
    nearest_known = haversine_km(sea_lat[:, None], sea_lon[:, None], land_lat[None, :], land_lon[None, :]).min(axis=1)
    assert (moved <= nearest_known + 5.0).all()


def test_it_snaps_across_the_antimeridian():
    lat, lon = snap_to_land(-17.0, 179.99)  # between Fiji's islands
    assert is_land(lat, lon)
    assert haversine_km(-17.0, 179.99, lat, lon) < 300


def test_it_names_countries_and_continents():
    lats = [48.8566, -33.87, 35.68, -23.55, 40.71, -1.29, 64.0]
    lons = [2.3522, 151.21, 139.69, -46.63, -74.0, 36.82, -20.0]
    assert list(country_of(lats[:6], lons[:6])) == ["France", "Australia", "Japan", "Brazil", "United States of America", "Kenya"]
    assert list(continent_of(lats[:6], lons[:6])) == ["Europe", "Oceania", "Asia", "South America", "North America", "Africa"]
    assert iso_a3_of(*PARIS) == "FRA"


def test_it_gives_the_nearest_country_just_off_the_coast_but_not_far_out():
    assert country_of(*OFF_LISBON) == "Portugal"
    assert country_of(*MID_ATLANTIC) is None
    assert continent_of(*MID_ATLANTIC, margin_km=None) in CONTINENTS


def test_it_only_uses_the_seven_continents():
    rng = np.random.default_rng(0)
    continents = continent_of(rng.uniform(-90, 90, 2000), rng.uniform(-180, 180, 2000), margin_km=None)
    assert set(continents) <= set(CONTINENTS)
    assert set(continents) == set(CONTINENTS)


@pytest.mark.parametrize("lat,lon", [(90.0, 0.0), (-90.0, 0.0), (0.0, 180.0), (0.0, -180.0)])
def test_it_handles_the_edges_of_the_map(lat, lon):
    snapped = snap_to_land(lat, lon)
    assert is_land(*snapped)
