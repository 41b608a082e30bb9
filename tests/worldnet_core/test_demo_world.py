"""The demo world: places, determinism, the manifest it writes, and cues drawn from geography."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from tests.support.processes import REPO
from worldnet_core.demo_world import (
    DEFAULT_PLACES,
    HEIGHT,
    PAPER_CITIES,
    UNSEEN_CITIES,
    WIDTH,
    Place,
    generate_world,
    read_places,
    render_image,
)
from worldnet_core.demo_world.styles import style_for
from worldnet_core.land import continent_of
from worldnet_core.manifest import ImageSetError
from worldnet_core.readers import read_imageset

PLACES = {p.name: p for p in DEFAULT_PLACES}


def test_it_has_the_papers_23_cities_at_their_real_places():
    assert sorted(p.name for p in PAPER_CITIES) == sorted(
        [
            "Bangkok",
            "Barcelona",
            "Boston",
            "Brussels",
            "Buenos Aires",
            "Chicago",
            "Lisbon",
            "London",
            "Los Angeles",
            "Madrid",
            "Medellín",
            "Melbourne",
            "Mexico City",
            "Miami",
            "Minneapolis",
            "Osaka",
            "Oslo",
            "Paris",
            "Phoenix",
            "Prague",
            "Rome",
            "Toronto",
            "Washington DC",
        ]
    )
    assert PLACES["London"].lat == pytest.approx(51.507, abs=0.01)
    assert PLACES["Melbourne"].lon == pytest.approx(144.963, abs=0.01)


def test_it_adds_at_least_15_unseen_cities_on_every_inhabited_continent():
    assert len(UNSEEN_CITIES) >= 15
    assert len(DEFAULT_PLACES) >= 38
    continents = {continent_of(p.lat, p.lon, margin_km=None) for p in UNSEEN_CITIES}
    assert continents >= {"Africa", "Asia", "Europe", "North America", "Oceania", "South America"}
    regions = {style_for(p).region for p in UNSEEN_CITIES}
    assert regions >= {"africa", "south_asia", "southeast_asia", "middle_east", "oceania", "northern_europe", "latin_america"}
    assert any(p.country != "AUS" for p in UNSEEN_CITIES if continent_of(p.lat, p.lon, margin_km=None) == "Oceania")


def test_it_follows_each_countrys_road_rules():
    assert style_for(PLACES["London"]).left_hand and style_for(PLACES["Osaka"]).left_hand and style_for(PLACES["Melbourne"]).left_hand
    assert not style_for(PLACES["Paris"]).left_hand and not style_for(PLACES["Chicago"]).left_hand
    yellow = style_for(PLACES["Boston"]).center_line
    assert style_for(PLACES["Buenos Aires"]).center_line == style_for(PLACES["Mexico City"]).center_line == yellow
    assert style_for(PLACES["Paris"]).center_line == style_for(PLACES["Osaka"]).center_line != yellow


def test_it_grows_vegetation_by_climate():
    bangkok, oslo, phoenix = (style_for(PLACES[n]) for n in ("Bangkok", "Oslo", "Phoenix"))
    assert bangkok.vegetation["palm"] > 0.3 > oslo.vegetation["palm"]
    assert oslo.vegetation["conifer"] > 0.3 > bangkok.vegetation["conifer"]
    assert phoenix.vegetation["cactus"] > 0.2 and phoenix.climate.zone == "arid"
    assert oslo.snow > 0.15 > bangkok.snow == pytest.approx(0.0, abs=1e-3)
    # An unseen place with no table entry of its own still gets a plausible climate.
    reykjavik = style_for(Place("Reykjavik", 64.15, -21.94, "ISL"))
    assert reykjavik.climate.zone in ("boreal", "temperate") and reykjavik.vegetation["palm"] < 0.05


def _share_of(image, color, tolerance=40) -> float:
    pixels = np.asarray(image, dtype=np.int16)[HEIGHT // 2 :]  # below the horizon: the road
    return float((np.abs(pixels - np.array(color)).max(axis=-1) < tolerance).mean())


def test_it_paints_the_cues_into_the_pixels():
    yellow = (230, 190, 40)
    boston = np.mean([_share_of(render_image(PLACES["Boston"], seed=0, index=i), yellow) for i in range(12)])
    paris = np.mean([_share_of(render_image(PLACES["Paris"], seed=0, index=i), yellow) for i in range(12)])
    assert boston > 3 * paris


def test_it_covers_the_ground_in_snow_when_the_climate_brings_it():
    from dataclasses import replace

    from worldnet_core.demo_world import _rng
    from worldnet_core.demo_world.render import render_scene

    oslo = style_for(PLACES["Oslo"])

    def ground_brightness(style, index):  # the bottom rows: verges, pavements, road
        return np.asarray(render_scene(style, _rng(0, PLACES["Oslo"], index, 0)), dtype=np.float32)[-HEIGHT // 5 :].mean()

    # Snow falls only in the local winter, so about half of these draw it.
    always, never = replace(oslo, snow=1.0), replace(oslo, snow=0.0)
    assert np.mean([ground_brightness(always, i) for i in range(30)]) > np.mean([ground_brightness(never, i) for i in range(30)]) + 15


def test_it_draws_the_same_bytes_for_the_same_seed_and_others_for_another(tmp_path):
    from PIL import Image

    assert (WIDTH, HEIGHT) == (800, 600)  # sharp enough to be shown large in a round
    first = generate_world(tmp_path / "a", places=PAPER_CITIES[:2], per_city=3, seed=5)
    again = generate_world(tmp_path / "b", places=PAPER_CITIES[:2], per_city=3, seed=5, workers=2)
    other = generate_world(tmp_path / "c", places=PAPER_CITIES[:2], per_city=3, seed=6)
    for a, b, c in zip(first, again, other):
        with Image.open(tmp_path / "a/images" / a.path) as image:
            assert image.size == (800, 600)
        assert (tmp_path / "a/images" / a.path).read_bytes() == (tmp_path / "b/images" / b.path).read_bytes()
        assert (tmp_path / "a/images" / a.path).read_bytes() != (tmp_path / "c/images" / c.path).read_bytes()
    assert (tmp_path / "a/manifest.csv").read_bytes() == (tmp_path / "b/manifest.csv").read_bytes()


def test_it_writes_a_manifest_the_reader_accepts_with_scattered_locations(tmp_path):
    places = [PLACES["Paris"], PLACES["Lisbon"], PLACES["Nairobi"]]
    generate_world(tmp_path, places=places, per_city=20, seed=1)
    manifest = read_imageset(tmp_path)
    assert len(manifest) == 60
    assert {r.place for r in manifest} == {"Paris", "Lisbon", "Nairobi"}
    assert {r.country for r in manifest} == {"FRA", "PRT", "KEN"}
    assert (tmp_path / "unseen_places.txt").read_text() == "Nairobi\n"
    from worldnet_core.geo import haversine_km

    for place in places:
        rows = [r for r in manifest if r.place == place.name]
        km = haversine_km(place.lat, place.lon, np.array([r.lat for r in rows]), np.array([r.lon for r in rows]))
        assert km.max() <= 40.0 and np.median(km) > 1.0  # a few km to tens of km, never exactly the centre


def test_it_reads_places_from_a_file_and_reports_bad_rows(tmp_path):
    good = tmp_path / "places.csv"
    good.write_text("name,lat,lon,country\nReykjavik,64.15,-21.94,ISL\nTromsø,69.65,18.96,Norway\nNowhere Special,-25.0,135.0,\n")
    places = read_places(good)
    assert [(p.name, p.country) for p in places] == [("Reykjavik", "ISL"), ("Tromsø", "NOR"), ("Nowhere Special", "AUS")]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,lat,lon,country\nA,95,0,FRA\nB,10,10,Atlantis\n")
    with pytest.raises(ImageSetError) as error:
        read_places(bad)
    assert [str(p) for p in error.value.problems] == [
        "bad.csv, row 2: latitude 95 is outside [-90, 90]",
        "bad.csv, row 3: country 'Atlantis' is neither an ISO alpha-3 code nor a known country name",
    ]


def test_it_runs_from_the_command_line_with_a_contact_sheet(tmp_path):
    places = tmp_path / "places.csv"
    places.write_text("name,lat,lon,country\nOslo,59.91,10.75,NOR\nLima,-12.05,-77.04,PER\n")
    out = tmp_path / "world"
    result = subprocess.run(
        [sys.executable, "-m", "training", "demo-world", "--out", str(out), "--per-city", "4", "--places", str(places), "--contact-sheet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "wrote 8 images of 2 places" in result.stdout
    rows = list(csv.DictReader((out / "manifest.csv").open()))
    assert [r["place"] for r in rows] == ["Oslo"] * 4 + ["Lima"] * 4
    from PIL import Image

    with Image.open(out / "contact_sheet.png") as sheet:
        assert sheet.height >= 2 * 120
    with Image.open(out / rows[0]["path"]) as image:
        assert (image.size, image.format) == ((800, 600), "JPEG")
