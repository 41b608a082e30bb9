"""Real places of the demo world: the paper's 23 GSV-Cities cities and unseen ones.

A place file (``--places FILE``) is a CSV with ``name,lat,lon,country`` (country as
an ISO 3166-1 alpha-3 code or a Natural Earth name; blank: found from the
coordinates) and an optional ``size`` (1 small town ... 3 metropolis).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from worldnet_core.manifest import ImageSetError, Problem, parse_coordinate


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    country: str  # ISO 3166-1 alpha-3
    size: int = 3  # 1 small town, 2 city, 3 metropolis: building heights and density


#: The 23 cities of GSV-Cities that the paper trains on.
PAPER_CITIES: tuple[Place, ...] = (
    Place("Bangkok", 13.7563, 100.5018, "THA"),
    Place("Barcelona", 41.3874, 2.1686, "ESP"),
    Place("Boston", 42.3601, -71.0589, "USA"),
    Place("Brussels", 50.8503, 4.3517, "BEL"),
    Place("Buenos Aires", -34.6037, -58.3816, "ARG"),
    Place("Chicago", 41.8781, -87.6298, "USA"),
    Place("Lisbon", 38.7223, -9.1393, "PRT"),
    Place("London", 51.5074, -0.1278, "GBR"),
    Place("Los Angeles", 34.0522, -118.2437, "USA"),
    Place("Madrid", 40.4168, -3.7038, "ESP"),
    Place("Medellín", 6.2442, -75.5812, "COL"),
    Place("Melbourne", -37.8136, 144.9631, "AUS"),
    Place("Mexico City", 19.4326, -99.1332, "MEX"),
    Place("Miami", 25.7617, -80.1918, "USA"),
    Place("Minneapolis", 44.9778, -93.2650, "USA"),
    Place("Osaka", 34.6937, 135.5023, "JPN"),
    Place("Oslo", 59.9139, 10.7522, "NOR", size=2),
    Place("Paris", 48.8566, 2.3522, "FRA"),
    Place("Phoenix", 33.4484, -112.0740, "USA"),
    Place("Prague", 50.0755, 14.4378, "CZE", size=2),
    Place("Rome", 41.9028, 12.4964, "ITA"),
    Place("Toronto", 43.6532, -79.3832, "CAN"),
    Place("Washington DC", 38.9072, -77.0369, "USA"),
)

#: Cities beyond the paper's, on every inhabited continent: the "unseen cities".
UNSEEN_CITIES: tuple[Place, ...] = (
    Place("Nairobi", -1.2921, 36.8219, "KEN"),
    Place("Lagos", 6.5244, 3.3792, "NGA"),
    Place("Cairo", 30.0444, 31.2357, "EGY"),
    Place("Cape Town", -33.9249, 18.4241, "ZAF"),
    Place("Mumbai", 19.0760, 72.8777, "IND"),
    Place("Delhi", 28.7041, 77.1025, "IND"),
    Place("Jakarta", -6.2088, 106.8456, "IDN"),
    Place("Kuala Lumpur", 3.1390, 101.6869, "MYS"),
    Place("Manila", 14.5995, 120.9842, "PHL"),
    Place("Seoul", 37.5665, 126.9780, "KOR"),
    Place("Dubai", 25.2048, 55.2708, "ARE"),
    Place("Tehran", 35.6892, 51.3890, "IRN"),
    Place("Istanbul", 41.0082, 28.9784, "TUR"),
    Place("Sydney", -33.8688, 151.2093, "AUS"),
    Place("Auckland", -36.8485, 174.7633, "NZL", size=2),
    Place("Stockholm", 59.3293, 18.0686, "SWE", size=2),
    Place("Helsinki", 60.1699, 24.9384, "FIN", size=2),
    Place("Berlin", 52.5200, 13.4050, "DEU"),
    Place("Warsaw", 52.2297, 21.0122, "POL"),
    Place("Montreal", 45.5017, -73.5673, "CAN"),
    Place("Santiago", -33.4489, -70.6693, "CHL"),
    Place("Lima", -12.0464, -77.0428, "PER"),
    Place("São Paulo", -23.5505, -46.6333, "BRA"),
)

DEFAULT_PLACES: tuple[Place, ...] = PAPER_CITIES + UNSEEN_CITIES


def resolve_country(country: str, lat: float, lon: float) -> str | None:
    """An ISO alpha-3 code from a code, a Natural Earth name, or (blank) the coordinates."""
    from worldnet_core.land import _world, iso_a3_of

    text = country.strip()
    if not text:
        return iso_a3_of(lat, lon)
    world = _world()
    codes = {c.upper() for c in world.iso_a3}
    if text.upper() in codes:
        return text.upper()
    for name, code in zip(world.names, world.iso_a3):
        if name.lower() == text.lower():
            return str(code)
    return None


def read_places(path: Path) -> list[Place]:
    """Places from a CSV of ``name,lat,lon,country[,size]``; every bad row is reported."""
    path = Path(path)
    places, problems = [], []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip().lower() for c in reader.fieldnames or []]
        missing = [c for c in ("name", "lat", "lon") if c not in columns]
        if missing:
            raise ImageSetError(
                [Problem(path.name, f"missing column(s) {', '.join(missing)}; a places file has name,lat,lon,country[,size]", row=1)]
            )
        for row_number, raw in enumerate(reader, start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            try:
                lat = parse_coordinate(row["lat"], "latitude")
                lon = parse_coordinate(row["lon"], "longitude")
                size = int(row.get("size") or 3)
                if size not in (1, 2, 3):
                    raise ValueError(f"size {size} is not 1, 2 or 3")
            except ValueError as error:
                problems.append(Problem(path.name, str(error), row=row_number))
                continue
            if not row["name"]:
                problems.append(Problem(path.name, "place has no name", row=row_number))
                continue
            country = resolve_country(row.get("country", ""), lat, lon)
            if country is None:
                problems.append(
                    Problem(
                        path.name, f"country {row.get('country')!r} is neither an ISO alpha-3 code nor a known country name", row=row_number
                    )
                )
                continue
            places.append(Place(row["name"], lat, lon, country, size))
    names = [p.name for p in places]
    problems += [Problem(path.name, f"place {n!r} appears twice") for n in sorted({n for n in names if names.count(n) > 1})]
    if problems:
        raise ImageSetError(problems)
    if not places:
        raise ImageSetError([Problem(path.name, "lists no places")])
    return places
