"""The offline basemap: shipped layers that parse and hold what maps.js reads, served gzipped
from this site only, a first load within its byte budget, and in Chromium labels and detail
that come with zoom (``var/screenshots/basemap-*.png`` to look at)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from tests.support.browser import SCREENSHOTS
from training import basemap_data
from worldnet_core import basemap
from worldnet_core.basemap import FIRST_LOAD_BUDGET_BYTES, LAYERS, first_load_layers, layer_bytes
from worldnet_core.land import country_name

JS_FILES = ["static/js/maps.js", "static/js/basemap.js"]


def _layer(name: str) -> dict:
    return json.loads(layer_bytes(name))


def _rows(table: dict) -> list[dict]:
    return [dict(zip(table["columns"], row)) for row in table["rows"]]


def _points(value) -> list[tuple[float, float]]:
    if isinstance(value[0], (int, float)):
        return [(value[0], value[1])]
    return [point for item in value for point in _points(item)]


# --- the shipped files ------------------------------------------------------------------------


def test_it_ships_every_listed_layer_as_json_with_what_the_map_draws():
    kinds = {layer.kind for layer in LAYERS.values()}
    assert kinds == {"outline-110m", "outline-50m", "lakes", "admin1", "country-labels", "cities"}
    for name, layer in LAYERS.items():
        data = _layer(name)
        west, south, east, north = layer.bbox
        if layer.kind in ("outline-110m", "outline-50m", "lakes", "admin1"):
            assert data["type"] == "FeatureCollection" and data["features"], name
            for feature in data["features"]:
                for lon, lat in _points(feature["geometry"]["coordinates"]):
                    assert -180 <= lon <= 180 and -90 <= lat <= 90, name
            if layer.kind.startswith("outline"):
                assert all(f["properties"].get("name") or f["properties"].get("lake") for f in data["features"]), name
        elif layer.kind == "cities":
            rows = _rows(data)
            assert rows and {"name", "lat", "lon", "population", "capital"} <= set(rows[0]), name
            # A part's bbox must hold its cities, or the map would never fetch it for them.
            assert all(west <= r["lon"] <= east and south <= r["lat"] <= north for r in rows), name
        else:
            rows = _rows(data)
            assert {"name", "label", "lat", "lon", "area_km2", "colour"} <= set(rows[0])


def test_the_50m_parts_cover_the_world_and_each_bbox_holds_its_polygons():
    parts = {name: layer for name, layer in LAYERS.items() if layer.kind == "outline-50m"}
    assert len(parts) >= 5
    names = set()
    for name, layer in parts.items():
        west, south, east, north = layer.bbox
        for feature in _layer(name)["features"]:
            names.add(feature["properties"].get("name"))
            lons, lats = zip(*_points(feature["geometry"]["coordinates"]))
            assert south <= min(lats) and max(lats) <= north
            if max(lons) - min(lons) < 180:  # not one of the few polygons across the antimeridian
                assert west <= min(lons) and max(lons) <= east, (name, feature["properties"])
    assert {"France", "Brazil", "Japan", "New Zealand", "Malta", "Singapore"} <= names  # 1:50m has the small ones


def test_it_has_the_places_a_player_reads_the_map_by():
    cities = {r["name"]: r for r in _rows(_layer("cities-0"))}
    assert cities["Tokyo"]["population"] > 5_000_000 and cities["Paris"]["capital"] == 1
    assert cities["Canberra"]["capital"] == 1  # capitals go in the first tier, whatever their size
    towns = [r["name"] for name, layer in LAYERS.items() if name.startswith("cities-3") for r in _rows(_layer(name))]
    assert len(towns) > 8_000 and "Annecy" in towns
    assert not any("kerület" in r["name"] for name in LAYERS if name.startswith("cities") for r in _rows(_layer(name)))  # districts dropped
    states = {
        f["properties"]["name"]: f["properties"]["country"] for f in _layer("admin1-50m")["features"] if f["geometry"]["type"] == "Point"
    }
    assert states["Texas"] == "USA" and states["Ontario"] == "CAN" and states["New South Wales"] == "AUS" and states["São Paulo"] == "BRA"
    lines = {f["properties"]["country"] for f in _layer("admin1-50m")["features"] if f["geometry"]["type"] == "MultiLineString"}
    assert lines == {"USA", "CAN", "AUS", "BRA"}
    labels = {r["name"]: r for r in _rows(_layer("country-labels"))}
    assert labels["France"]["iso_a2"] == "FR" and 45 < labels["France"]["lat"] < 49 and 0 < labels["France"]["lon"] < 5


def test_every_country_is_labelled_inside_itself_antimeridian_ones_included():
    """A label stands inside its country, as the game's own land polygons place it. Fiji and
    Russia cross the antimeridian: measured as bands round the world, Fiji's label once stood in Brazil."""
    from worldnet_core.land import country_of

    labels = [r for r in _rows(_layer("country-labels")) if r["area_km2"] > 5_000]  # 1:110m land has the larger ones
    renamed = {"Macedonia": "North Macedonia"}  # the two datasets' names for it
    misplaced = [
        (r["name"], r["lat"], r["lon"], country_of(r["lat"], r["lon"]))
        for r in labels
        if country_of(r["lat"], r["lon"]) != renamed.get(r["name"], r["name"])
    ]
    assert len(labels) > 150 and misplaced == []
    fiji = next(r for r in labels if r["name"] == "Fiji")
    assert -19 < fiji["lat"] < -16 and 177 < fiji["lon"] < 180 and 10_000 < fiji["area_km2"] < 11_000  # Viti Levu


def test_neighbouring_countries_get_different_colours():
    world = {
        "transform": {"scale": [1, 1], "translate": [0, 0]},
        "arcs": [
            [[0, 0], [0, 1]],
            [[0, 1], [1, 0], [0, -1], [-1, 0]],
            [[0, 0], [-1, 0], [0, 1], [1, 0]],
            [[5, 5], [1, 0], [0, 1], [-1, -1]],
        ],
        "objects": {
            "countries": {
                "geometries": [
                    {"type": "Polygon", "arcs": [[0, 1]], "properties": {"name": "East"}},
                    {"type": "Polygon", "arcs": [[2, ~0]], "properties": {"name": "West"}},
                    {"type": "Polygon", "arcs": [[3]], "properties": {"name": "Island"}},
                ]
            }
        },
    }
    colours = basemap_data.map_colours(world)
    assert colours["East"] != colours["West"] and colours["Island"] == 0
    shipped = {r["name"]: r["colour"] for r in _rows(_layer("country-labels"))}
    assert shipped["France"] != shipped["Germany"] != shipped["Poland"] and shipped["Brazil"] != shipped["Argentina"]


def test_state_lines_are_only_the_borders_two_states_of_one_country_share():
    # Two squares side by side in country A, one in B touching A's east square: one A line, no A-B line.
    topology = {
        "transform": {"scale": [1, 1], "translate": [0, 0]},
        "arcs": [
            [[1, 0], [0, 1]],  # 0: TX | OK
            [[1, 1], [-1, 0], [0, -1], [1, 0]],  # 1: TX's other sides
            [[1, 0], [1, 0]],  # 2: OK's south
            [[2, 0], [0, 1]],  # 3: OK | ON, a national border
            [[2, 1], [-1, 0]],  # 4: OK's north
            [[2, 0], [1, 0], [0, 1], [-1, 0]],  # 5: ON's other sides
        ],
        "objects": {
            "subunits": {
                "geometries": [
                    {"type": "Polygon", "id": "TX", "arcs": [[0, 1]], "properties": {"gu": "USA"}},
                    {"type": "Polygon", "id": "OK", "arcs": [[2, 3, 4, ~0]], "properties": {"gu": "USA"}},
                    {"type": "Polygon", "id": "ON", "arcs": [[~3, 5]], "properties": {"gu": "CAN"}},
                ]
            }
        },
    }
    layer = basemap_data.admin1(topology, {"US-TX": "Texas"})
    lines = [f for f in layer["features"] if f["geometry"]["type"] == "MultiLineString"]
    assert [f["properties"]["country"] for f in lines] == ["USA"]
    assert lines[0]["geometry"]["coordinates"] == [[[1.0, 0.0], [1.0, 1.0]]]
    assert {f["properties"]["name"] for f in layer["features"] if f["geometry"]["type"] == "Point"} == {"Texas", "OK", "ON"}


def test_country_name_gives_full_names_for_codes_and_map_names():
    assert country_name("FR") == country_name("fra") == country_name("France") == "France"
    assert country_name("GB") == "United Kingdom"
    assert country_name("Dem. Rep. Congo") == "Democratic Republic of the Congo"  # the 1:110m data's short name
    assert country_name("Central African Rep.") == "Central African Republic"
    assert country_name("ZZ") == "ZZ" and country_name("Middle-earth") == "Middle-earth"


def test_nothing_on_the_map_comes_from_another_site():
    for path in JS_FILES:
        assert not re.search(r"https?://", Path(path).read_text(encoding="utf-8")), path
    for name in LAYERS:
        assert b"http" not in layer_bytes(name), name


# --- serving ------------------------------------------------------------------------------------


def _layer_list(client) -> list[dict]:
    html = client.get("/").content.decode()
    match = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no map config on the page"
    index = client.get(json.loads(match.group(1))["basemapUrl"])
    assert index.status_code == 200 and "max-age=31536000" in index["Cache-Control"]
    return index.json()["layers"]


def _name(url: str) -> str:
    return url.split("/")[-1].split("?")[0]


@pytest.mark.django_db
def test_it_serves_each_layer_gzipped_and_cacheable(client):
    layers = _layer_list(client)
    assert sorted(_name(layer["url"]) for layer in layers) == sorted(LAYERS)
    for layer in layers:
        assert layer["kind"] == LAYERS[_name(layer["url"])].kind
        response = client.get(layer["url"], HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response.status_code == 200, layer["url"]
        assert response["Content-Encoding"] == "gzip" and "max-age=31536000" in response["Cache-Control"]
        assert gzip.decompress(response.content) == layer_bytes(_name(layer["url"]))
    plain = client.get("/basemap/cities-0")
    assert not plain.has_header("Content-Encoding") and json.loads(plain.content)["rows"]
    assert client.get("/basemap/..%2Fsecret").status_code == 404
    assert client.get("/basemap/nope").status_code == 404
    world = client.get("/world.geojson", HTTP_ACCEPT_ENCODING="gzip")
    assert world["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(world.content))["features"]


@pytest.mark.django_db
def test_the_first_load_fits_its_byte_budget(client):
    layers = _layer_list(client)
    first = [layer for layer in layers if layer["minZoom"] <= basemap.WORLD_ZOOM]
    assert sorted(_name(layer["url"]) for layer in first) == sorted(first_load_layers())
    index_bytes = len(client.get("/basemap.json").content)
    sent = index_bytes + sum(len(client.get(layer["url"], HTTP_ACCEPT_ENCODING="gzip").content) for layer in first)
    assert sent <= FIRST_LOAD_BUDGET_BYTES, f"first map load sends {sent:,} bytes of layers"
    detail = sum(len(basemap.layer_gzip(name)) for name, layer in LAYERS.items() if layer.min_zoom > basemap.WORLD_ZOOM)
    assert detail > 4 * sent  # the point of loading lazily


# --- in a browser -------------------------------------------------------------------------------


def _resources(page) -> list[dict]:
    return page.evaluate("""() => performance.getEntriesByType('resource')
        .filter((e) => new URL(e.name).pathname.startsWith('/basemap') || e.name.includes('world.geojson'))
        .map((e) => ({ name: new URL(e.name).pathname.split('/').pop(), bytes: e.encodedBodySize }))""")


def _overlaps(page) -> list:
    return page.evaluate("""() => {
        const boxes = [...document.querySelectorAll('#map .map-label-text')].map((e) => e.getBoundingClientRect());
        const hits = [];
        boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
            if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
              hits.push([a.x, a.y, b.x, b.y]);
        }));
        return hits;
    }""")


def _view(page, lat: float, lon: float, zoom: float) -> None:
    # A block body: the arrow's value would be the Leaflet map, which Playwright would copy back whole (seconds a call).
    page.evaluate("([lat, lon, zoom]) => { GeoMaps.maps[0].setView([lat, lon], zoom, { animate: false }); }", [lat, lon, zoom])
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def _count(page, kind: str) -> int:
    return page.locator(f"#map .map-label--{kind}").count()


@pytest.mark.slow
def test_it_reads_like_a_map_from_the_world_down_to_a_region(server, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Every request but the browser's own favicon probe must succeed.
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}") if response.status >= 400 and "favicon" not in response.url else None
        ),
    )
    page.goto(server + "/")
    page.fill("input[name=player_name]", "Mapa")
    page.click("button[type=submit]")
    page.wait_for_selector("#map .map-label--country", state="attached")  # its box is its text's, placed absolutely
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / "basemap-world.png"))  # the world, as the round opens

    # The world: 1:110m, country names, a few capitals; nothing of the detail layers fetched.
    first = _resources(page)
    assert sorted(r["name"] for r in first) == sorted([*first_load_layers(), "basemap.json"])
    assert sum(r["bytes"] for r in first) <= FIRST_LOAD_BUDGET_BYTES
    countries = page.locator("#map .map-label--country").all_inner_texts()
    assert len(countries) >= 8 and "RUSSIA" in [text.upper() for text in countries]
    assert _count(page, "city") == 0 and _count(page, "admin1") == 0
    assert not _overlaps(page)

    # A label never takes the click that places the pin.
    label = page.locator("#map .map-label--country .map-label-text").first.bounding_box()
    page.mouse.click(label["x"] + label["width"] / 2, label["y"] + label["height"] / 2)
    page.wait_for_selector("path.pin-player")

    # Europe at zoom 5: Europe's 1:50m part (only it), more cities, still no overlaps. (Centred at 50° N: the
    # pre-guess map is 3:2, about 10° of latitude high here, and Berlin at 52.5° N must be well inside it.)
    _view(page, 50, 10, 5)
    fetched = {r["name"] for r in _resources(page)}
    assert "countries-50m-europe" in fetched and "cities-1" in fetched
    assert not {"countries-50m-north-america", "countries-50m-asia", "cities-3-europe"} & fetched
    assert _count(page, "city") + _count(page, "capital") >= 15
    assert {"Paris", "Berlin"} <= set(page.locator("#map .map-label--capital").all_inner_texts())
    assert not _overlaps(page)
    page.screenshot(path=str(SCREENSHOTS / "basemap-europe-5.png"))

    # The United States at zoom 4: state borders and names.
    _view(page, 39, -97, 4)
    assert {"countries-50m-north-america", "admin1-50m"} <= {r["name"] for r in _resources(page)}
    assert _count(page, "admin1") >= 5 and "Texas" in page.locator("#map .map-label--admin1").all_inner_texts()
    assert not _overlaps(page)
    page.screenshot(path=str(SCREENSHOTS / "basemap-usa-4.png"))

    # A reveal's zoom: towns of 30,000 people, for this region only.
    _view(page, 45.9, 6.1, 8)
    fetched = {r["name"] for r in _resources(page)}
    assert "cities-3-europe" in fetched and "cities-3-asia" not in fetched
    assert _count(page, "city") >= 5 and not _overlaps(page)
    page.screenshot(path=str(SCREENSHOTS / "basemap-alps-8.png"))

    # Across the date line, the world's copy east of it has its land under its labels (Brazil
    # one turn east, at 310°), as a reveal's pins on the answer's side of the line need.
    _view(page, -10, 180, 1.5)
    land_at = """([lat, lon]) => Object.values(GeoMaps.maps[0]._layers)
      .some((layer) => layer.feature && layer.getBounds && layer.getBounds().contains([lat, lon]))"""
    assert page.evaluate(land_at, [-10, -50]) and page.evaluate(land_at, [-10, 310])
    assert page.evaluate(land_at, [-25, 134 - 360])  # and Australia one turn west
    page.screenshot(path=str(SCREENSHOTS / "basemap-date-line.png"))
    assert not errors, errors
    page.close()
