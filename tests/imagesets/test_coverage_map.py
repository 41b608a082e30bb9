"""The admin's coverage map opens on all of an image set's photos."""

from __future__ import annotations

import json
import re

from worldnet_core.maps import points_bounds


def _fit_bounds(html: str) -> tuple[list[list[float]], dict]:
    match = re.search(r"\.fitBounds\(\s*(\[\[.*?\]\])\s*,\s*(\{.*?\})\s*\)", html, re.S)
    assert match, "the map does not fit its bounds"
    return json.loads(match.group(1)), json.loads(match.group(2))


def test_it_fits_a_world_wide_set_from_the_americas_to_oceania(admin_client, db, tmp_path):
    from geoguess.imagesets.services import imageset_import
    from worldnet_core.demo_world import DEFAULT_PLACES, generate_world

    names = {"Los Angeles", "Buenos Aires", "London", "Osaka", "Melbourne", "Auckland", "Nairobi"}
    places = [p for p in DEFAULT_PLACES if p.name in names]
    assert len(places) == len(names)
    generate_world(tmp_path / "world", places=places, per_city=2, seed=0)
    image_set = imageset_import(name="World", source=tmp_path / "world")
    response = admin_client.get(f"/admin/imagesets/imageset/{image_set.pk}/coverage-map/")
    assert response.status_code == 200
    (south, west), (north, east) = _fit_bounds(response.content.decode())[0]
    for lat, lon in image_set.photos.values_list("lat", "lon"):
        assert south < lat < north and west < lon < east, (lat, lon)
    assert east > 174 and west < -118  # Auckland and Los Angeles both in view, not cut off at a fixed centre


def test_it_never_wraps_past_the_antimeridian():
    # Fiji and Samoa: a view across 180° would leave Samoa's marker (drawn at -171.8) off the map.
    (south, west), (north, east) = points_bounds([(-18.1, 178.4), (-13.8, -171.8)])
    assert -180 <= west < -171.8 and 178.4 < east <= 180 and south < -18.1 and north > -13.8


def test_it_does_not_zoom_into_a_single_photo():
    import folium

    from worldnet_core.maps import fit_points

    fmap = folium.Map(tiles=None)
    fit_points(fmap, [(48.85, 2.35)])
    bounds, options = _fit_bounds(fmap.get_root().render())
    assert options == {"maxZoom": 6} and bounds[0][0] < 48.85 < bounds[1][0]


def test_its_wheel_zooms_only_after_a_click(admin_client, image_set):
    """As on the photo map: the wheel scrolls the admin's page until the map is pressed or focused
    (the browser test turns the wheel over the photo map, which does the same)."""
    document = admin_client.get(f"/admin/imagesets/imageset/{image_set.pk}/coverage-map/").content.decode()
    created = re.search(r"var (map_\w+) = L\.map\(", document)
    assert created and '"scrollWheelZoom": false' in document
    turned_on = document.index(f"}})({created.group(1)});")
    assert created.start() < document.index('box.addEventListener("mousedown", wheelToMap)') < turned_on
