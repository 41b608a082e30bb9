"""What a street looks like in each region and country: the cues GeoGuessr players read.

``style_for(place)`` combines a region's look (buildings, roofs, signs, cars), the
country's own rules (driving side, line colour, plates, bollards, kerbs) and the
place's climate (vegetation, snow, haze) into one ``SceneStyle``. Countries of a
region share most of it; a small per-country and per-city jitter, seeded by name,
makes neighbours differ a little, as real ones do.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np

from worldnet_core.demo_world.climate import Climate, climate_of, snow_probability, vegetation_weights, winter_probability
from worldnet_core.demo_world.places import Place

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Plate:
    aspect: float  # width / height
    background: RGB
    text: RGB
    strip: RGB | None = None  # the EU's blue band on the left, Mercosur's on top
    strip_on_top: bool = False


@dataclass(frozen=True)
class RegionLook:
    buildings: tuple[RGB, ...]
    roofs: dict[str, float]  # flat / pitched / tiled -> weight
    roof_colors: tuple[RGB, ...]
    floors: tuple[int, int]  # for a metropolis; smaller places scale down
    asphalt: RGB
    sidewalk: RGB
    warning_sign: str  # diamond_yellow, triangle_white, triangle_yellow
    speed_sign: str  # round_red, rect_white
    plate: Plate
    car_colors: tuple[RGB, ...]
    car_size: tuple[float, float]  # width, height relative to a lane
    poles: float  # chance of utility poles and overhead wires
    wires: int  # wires per pole line
    dirt_shoulder: float  # chance that the road has no kerb, just a dirt edge
    haze: float  # typical haze strength (dust, smog)
    signage: float  # shop signs and clutter on facades


_EU_WHITE = Plate(4.7, (240, 240, 235), (20, 20, 20), strip=(20, 60, 160))
_CAR_MIXED = ((230, 230, 230), (40, 40, 45), (150, 150, 155), (30, 60, 130), (150, 30, 35), (200, 200, 205), (60, 90, 70))
_CAR_WHITE_SILVER = ((240, 240, 240), (235, 235, 232), (190, 190, 195), (40, 40, 45), (170, 170, 175), (120, 30, 30))

REGIONS: dict[str, RegionLook] = {
    "north_america": RegionLook(
        buildings=((150, 70, 55), (205, 195, 175), (165, 165, 170), (232, 230, 222), (75, 95, 115), (120, 85, 65)),
        roofs={"flat": 0.6, "pitched": 0.4},
        roof_colors=((60, 60, 62), (90, 75, 65)),
        floors=(2, 30),
        asphalt=(78, 78, 80),
        sidewalk=(178, 175, 168),
        warning_sign="diamond_yellow",
        speed_sign="rect_white",
        plate=Plate(2.0, (235, 235, 240), (25, 40, 110)),
        car_colors=_CAR_MIXED,
        car_size=(0.85, 0.62),
        poles=0.7,
        wires=3,
        dirt_shoulder=0.05,
        haze=0.1,
        signage=0.3,
    ),
    "latin_america": RegionLook(
        buildings=((230, 180, 90), (200, 85, 60), (120, 170, 190), (240, 230, 200), (170, 165, 155), (190, 105, 65), (150, 190, 120)),
        roofs={"flat": 0.8, "tiled": 0.2},
        roof_colors=((170, 90, 60), (120, 120, 120)),
        floors=(1, 16),
        asphalt=(92, 90, 88),
        sidewalk=(185, 178, 165),
        warning_sign="diamond_yellow",
        speed_sign="round_red",
        plate=Plate(2.0, (238, 238, 238), (20, 20, 20)),
        car_colors=_CAR_MIXED,
        car_size=(0.75, 0.55),
        poles=0.8,
        wires=4,
        dirt_shoulder=0.25,
        haze=0.25,
        signage=0.6,
    ),
    "western_europe": RegionLook(
        buildings=((222, 212, 188), (172, 167, 160), (160, 92, 72), (232, 229, 220), (200, 190, 170)),
        roofs={"pitched": 0.7, "flat": 0.3},
        roof_colors=((80, 85, 95), (150, 80, 60)),
        floors=(3, 8),
        asphalt=(72, 72, 76),
        sidewalk=(150, 150, 146),
        warning_sign="triangle_white",
        speed_sign="round_red",
        plate=_EU_WHITE,
        car_colors=_CAR_MIXED,
        car_size=(0.7, 0.52),
        poles=0.05,
        wires=1,
        dirt_shoulder=0.02,
        haze=0.12,
        signage=0.35,
    ),
    "southern_europe": RegionLook(
        buildings=((215, 170, 100), (190, 112, 72), (236, 221, 186), (230, 160, 130), (242, 240, 234), (210, 200, 160)),
        roofs={"tiled": 0.7, "flat": 0.3},
        roof_colors=((178, 92, 60), (160, 80, 55)),
        floors=(3, 7),
        asphalt=(82, 80, 80),
        sidewalk=(205, 196, 176),
        warning_sign="triangle_white",
        speed_sign="round_red",
        plate=_EU_WHITE,
        car_colors=_CAR_MIXED,
        car_size=(0.68, 0.5),
        poles=0.15,
        wires=2,
        dirt_shoulder=0.05,
        haze=0.18,
        signage=0.45,
    ),
    "northern_europe": RegionLook(
        buildings=((160, 52, 42), (222, 182, 82), (236, 234, 226), (205, 160, 90), (60, 90, 70), (180, 185, 190)),
        roofs={"pitched": 0.85, "flat": 0.15},
        roof_colors=((50, 52, 58), (120, 60, 50)),
        floors=(2, 6),
        asphalt=(70, 70, 72),
        sidewalk=(140, 142, 142),
        warning_sign="triangle_yellow",
        speed_sign="round_red",
        plate=_EU_WHITE,
        car_colors=_CAR_MIXED,
        car_size=(0.72, 0.52),
        poles=0.2,
        wires=2,
        dirt_shoulder=0.1,
        haze=0.05,
        signage=0.2,
    ),
    "central_europe": RegionLook(
        buildings=((230, 210, 160), (186, 186, 180), (222, 182, 170), (200, 205, 185), (240, 232, 210)),
        roofs={"tiled": 0.6, "pitched": 0.2, "flat": 0.2},
        roof_colors=((170, 80, 55), (90, 90, 95)),
        floors=(3, 10),
        asphalt=(76, 75, 76),
        sidewalk=(155, 152, 146),
        warning_sign="triangle_white",
        speed_sign="round_red",
        plate=_EU_WHITE,
        car_colors=_CAR_MIXED,
        car_size=(0.7, 0.52),
        poles=0.3,
        wires=2,
        dirt_shoulder=0.1,
        haze=0.15,
        signage=0.3,
    ),
    "east_asia": RegionLook(
        buildings=((212, 212, 206), (200, 190, 170), (112, 112, 118), (235, 235, 230), (150, 160, 170)),
        roofs={"flat": 0.85, "pitched": 0.15},
        roof_colors=((70, 75, 85), (110, 110, 110)),
        floors=(2, 25),
        asphalt=(96, 96, 98),
        sidewalk=(165, 160, 150),
        warning_sign="diamond_yellow",
        speed_sign="round_red",
        plate=Plate(1.9, (238, 238, 232), (30, 100, 60)),
        car_colors=_CAR_WHITE_SILVER,
        car_size=(0.62, 0.58),
        poles=0.9,
        wires=6,
        dirt_shoulder=0.02,
        haze=0.2,
        signage=0.7,
    ),
    "southeast_asia": RegionLook(
        buildings=((230, 220, 200), (200, 170, 140), (150, 150, 140), (230, 125, 90), (180, 200, 190), (225, 205, 120)),
        roofs={"flat": 0.7, "tiled": 0.3},
        roof_colors=((150, 80, 60), (120, 120, 125)),
        floors=(2, 20),
        asphalt=(100, 98, 94),
        sidewalk=(175, 165, 150),
        warning_sign="diamond_yellow",
        speed_sign="round_red",
        plate=Plate(2.0, (240, 240, 235), (20, 20, 20)),
        car_colors=_CAR_WHITE_SILVER,
        car_size=(0.7, 0.55),
        poles=0.9,
        wires=7,
        dirt_shoulder=0.2,
        haze=0.3,
        signage=0.8,
    ),
    "south_asia": RegionLook(
        buildings=((210, 190, 160), (220, 170, 170), (170, 200, 180), (180, 190, 210), (175, 168, 155)),
        roofs={"flat": 0.95, "tiled": 0.05},
        roof_colors=((130, 120, 110), (150, 90, 70)),
        floors=(2, 14),
        asphalt=(105, 102, 98),
        sidewalk=(170, 160, 145),
        warning_sign="triangle_white",
        speed_sign="round_red",
        plate=Plate(3.5, (240, 240, 235), (20, 20, 20)),
        car_colors=_CAR_WHITE_SILVER,
        car_size=(0.65, 0.55),
        poles=0.8,
        wires=6,
        dirt_shoulder=0.45,
        haze=0.55,
        signage=0.8,
    ),
    "middle_east": RegionLook(
        buildings=((222, 202, 166), (236, 231, 220), (205, 190, 160), (190, 175, 150), (150, 170, 185)),
        roofs={"flat": 1.0},
        roof_colors=((200, 190, 170),),
        floors=(2, 20),
        asphalt=(112, 108, 100),
        sidewalk=(200, 190, 170),
        warning_sign="triangle_white",
        speed_sign="round_red",
        plate=Plate(4.0, (245, 245, 245), (20, 20, 20)),
        car_colors=_CAR_WHITE_SILVER,
        car_size=(0.8, 0.58),
        poles=0.3,
        wires=2,
        dirt_shoulder=0.2,
        haze=0.4,
        signage=0.5,
    ),
    "africa": RegionLook(
        buildings=((200, 180, 150), (180, 122, 90), (120, 160, 190), (150, 190, 140), (230, 225, 210), (170, 160, 150)),
        roofs={"pitched": 0.5, "flat": 0.5},
        roof_colors=((140, 140, 145), (150, 80, 50)),
        floors=(1, 10),
        asphalt=(108, 104, 100),
        sidewalk=(170, 150, 125),
        warning_sign="triangle_white",
        speed_sign="round_red",
        plate=Plate(3.2, (240, 240, 235), (20, 20, 20)),
        car_colors=_CAR_WHITE_SILVER,
        car_size=(0.75, 0.57),
        poles=0.6,
        wires=3,
        dirt_shoulder=0.6,
        haze=0.3,
        signage=0.5,
    ),
    "oceania": RegionLook(
        buildings=((172, 102, 82), (236, 230, 214), (200, 195, 180), (150, 160, 170), (210, 180, 150)),
        roofs={"pitched": 0.7, "flat": 0.3},
        roof_colors=((120, 60, 50), (90, 100, 110), (170, 170, 170)),
        floors=(1, 12),
        asphalt=(82, 80, 80),
        sidewalk=(180, 175, 165),
        warning_sign="diamond_yellow",
        speed_sign="round_red",
        plate=Plate(2.6, (240, 240, 240), (20, 20, 20)),
        car_colors=_CAR_MIXED,
        car_size=(0.8, 0.58),
        poles=0.6,
        wires=3,
        dirt_shoulder=0.1,
        haze=0.05,
        signage=0.3,
    ),
}

COUNTRY_REGION = {
    **dict.fromkeys(["USA", "CAN"], "north_america"),
    **dict.fromkeys(["FRA", "BEL", "NLD", "LUX", "DEU", "AUT", "CHE", "GBR", "IRL", "DNK"], "western_europe"),
    **dict.fromkeys(["ESP", "PRT", "ITA", "GRC", "TUR", "CYP", "MLT", "HRV", "MNE", "ALB"], "southern_europe"),
    **dict.fromkeys(["NOR", "SWE", "FIN", "ISL", "EST", "LVA", "LTU"], "northern_europe"),
    **dict.fromkeys(
        ["CZE", "POL", "SVK", "HUN", "ROU", "BGR", "UKR", "RUS", "SRB", "SVN", "BLR", "MDA", "BIH", "MKD", "XKX"], "central_europe"
    ),
    **dict.fromkeys(["JPN", "KOR", "CHN", "TWN", "PRK", "MNG"], "east_asia"),
    **dict.fromkeys(["THA", "MYS", "IDN", "PHL", "VNM", "KHM", "LAO", "MMR", "SGP", "BRN", "TLS"], "southeast_asia"),
    **dict.fromkeys(["IND", "PAK", "BGD", "LKA", "NPL", "BTN"], "south_asia"),
    **dict.fromkeys(
        ["ARE", "SAU", "IRN", "IRQ", "ISR", "JOR", "EGY", "QAT", "KWT", "OMN", "BHR", "YEM", "SYR", "LBN", "AFG"], "middle_east"
    ),
    **dict.fromkeys(["AUS", "NZL", "FJI", "PNG"], "oceania"),
}
_CONTINENT_REGION = {
    "North America": "latin_america",  # after USA and Canada: Mexico, Central America, the Caribbean
    "South America": "latin_america",
    "Europe": "central_europe",
    "Africa": "africa",
    "Oceania": "oceania",
    "Antarctica": "northern_europe",
}

LEFT_HAND_TRAFFIC = frozenset(
    [
        "GBR",
        "IRL",
        "AUS",
        "NZL",
        "JPN",
        "THA",
        "MYS",
        "IDN",
        "SGP",
        "BRN",
        "TLS",
        "IND",
        "PAK",
        "BGD",
        "LKA",
        "NPL",
        "BTN",
        "ZAF",
        "KEN",
        "UGA",
        "TZA",
        "ZMB",
        "ZWE",
        "BWA",
        "NAM",
        "MOZ",
        "MWI",
        "LSO",
        "SWZ",
        "CYP",
        "MLT",
        "HKG",
        "MAC",
        "JAM",
        "TTO",
        "BHS",
        "BRB",
        "GUY",
        "SUR",
        "FJI",
        "PNG",
        "MUS",
    ]
)

# Rear plates where they differ from the region's.
COUNTRY_PLATES = {
    "GBR": Plate(4.7, (246, 200, 40), (20, 20, 20)),
    "NLD": Plate(4.7, (245, 190, 30), (20, 20, 20), strip=(20, 60, 160)),
    "LUX": Plate(4.7, (245, 200, 40), (20, 20, 20), strip=(20, 60, 160)),
    "BEL": Plate(4.7, (240, 240, 240), (160, 25, 30), strip=(20, 60, 160)),
    "NOR": Plate(4.7, (240, 240, 240), (20, 20, 20), strip=(170, 30, 40)),
    "CAN": Plate(2.0, (240, 240, 240), (30, 40, 120)),
    "MEX": Plate(2.0, (235, 235, 235), (20, 20, 20)),
    "COL": Plate(2.0, (248, 205, 40), (20, 20, 20)),
    "ARG": Plate(3.1, (240, 240, 240), (20, 20, 20), strip=(20, 60, 160), strip_on_top=True),
    "BRA": Plate(3.1, (240, 240, 240), (20, 20, 20), strip=(20, 60, 160), strip_on_top=True),
    "PER": Plate(3.0, (240, 240, 240), (20, 20, 20), strip=(20, 60, 160), strip_on_top=True),
    "CHL": Plate(2.5, (240, 240, 240), (20, 20, 20)),
    "JPN": Plate(1.9, (238, 238, 228), (30, 100, 60)),
    "KOR": Plate(4.5, (240, 240, 240), (20, 20, 20)),
    "MYS": Plate(3.5, (25, 25, 25), (240, 240, 240)),
    "IDN": Plate(3.0, (25, 25, 25), (240, 240, 240)),
    "KEN": Plate(3.4, (245, 200, 40), (20, 20, 20)),
    "EGY": Plate(2.5, (240, 240, 240), (20, 20, 20), strip=(60, 130, 200), strip_on_top=True),
    "ZAF": Plate(4.5, (240, 240, 240), (20, 20, 20), strip=(240, 210, 60), strip_on_top=True),
    "IND": Plate(3.5, (240, 240, 235), (20, 20, 20)),
}

# Roadside bollards: (body, band). GeoGuessr's classic tells.
COUNTRY_BOLLARDS: dict[str, tuple[RGB, RGB]] = {
    "FRA": ((240, 240, 240), (200, 30, 30)),
    "BEL": ((240, 240, 240), (200, 30, 30)),
    "NLD": ((240, 240, 240), (210, 40, 40)),
    "DEU": ((240, 240, 240), (20, 20, 20)),
    "AUT": ((240, 240, 240), (20, 20, 20)),
    "ITA": ((240, 240, 240), (20, 20, 20)),
    "CZE": ((240, 240, 240), (20, 20, 20)),
    "POL": ((240, 240, 240), (200, 30, 30)),
    "NOR": ((25, 25, 25), (240, 200, 30)),
    "SWE": ((25, 25, 25), (240, 240, 240)),
    "FIN": ((25, 25, 25), (240, 200, 30)),
    "PRT": ((240, 240, 240), (200, 30, 30)),
    "ESP": ((240, 240, 240), (20, 20, 20)),
    "GBR": ((240, 240, 240), (200, 30, 30)),
    "AUS": ((240, 240, 240), (200, 30, 30)),
    "NZL": ((240, 240, 240), (200, 30, 30)),
    "ZAF": ((240, 240, 240), (200, 30, 30)),
}

# Painted kerbs.
COUNTRY_KERBS: dict[str, tuple[RGB, RGB]] = {
    "THA": ((200, 40, 40), (240, 240, 240)),
    "MYS": ((25, 25, 25), (240, 240, 240)),
    "IDN": ((25, 25, 25), (240, 240, 240)),
    "PHL": ((240, 200, 40), (240, 240, 240)),
    "ARE": ((25, 25, 25), (240, 240, 240)),
    "IND": ((25, 25, 25), (240, 200, 40)),
    "NGA": ((25, 25, 25), (240, 200, 40)),
    "KEN": ((25, 25, 25), (240, 240, 240)),
    "BRA": ((240, 240, 240), (240, 200, 40)),
    "ARG": ((240, 240, 240), (240, 200, 40)),
}

YELLOW_LINE: RGB = (232, 190, 30)
WHITE_LINE: RGB = (235, 235, 230)


@dataclass(frozen=True)
class SceneStyle:
    """Everything the renderer needs to draw a street of one place."""

    place: Place
    region: str
    look: RegionLook
    climate: Climate
    vegetation: dict[str, float]
    snow: float
    winter: float
    left_hand: bool
    center_line: RGB
    double_center_line: bool
    plate: Plate
    bollards: tuple[RGB, RGB] | None
    kerb: tuple[RGB, RGB] | None
    verge: RGB  # the ground beside the road: grass, dry grass, sand, red earth
    tree_density: float
    building_density: float


def region_of(iso_a3: str, lat: float, lon: float) -> str:
    """The look region of a country; for countries not listed, one from its continent."""
    if iso_a3 in COUNTRY_REGION:
        return COUNTRY_REGION[iso_a3]
    from worldnet_core.land import continent_of

    continent = continent_of(lat, lon, margin_km=None)
    if continent == "Asia":
        if lon < 60:
            return "middle_east"
        if lon < 92:
            return "south_asia"
        return "southeast_asia" if lat < 25 else "east_asia"
    return _CONTINENT_REGION.get(str(continent), "central_europe")


def _name_rng(*names: str) -> np.random.Generator:
    """A generator seeded by names: the same jitter for a country or city in every run."""
    return np.random.default_rng([zlib.crc32(name.encode()) for name in names])


def _jitter(color: RGB, rng: np.random.Generator, amount: float) -> RGB:
    red, green, blue = (int(np.clip(c + rng.normal(0, amount), 0, 255)) for c in color)
    return red, green, blue


def _verge(climate: Climate, region: str) -> RGB:
    """Grass where it is wet, straw where it is dry, sand in deserts, red earth in the tropics."""
    grass, straw, sand, red_earth = np.array((88, 128, 60)), np.array((170, 160, 100)), np.array((210, 185, 140)), np.array((170, 100, 60))
    dry = np.clip(climate.aridity * 1.4, 0, 1)
    color = (1 - dry) * grass + dry * (sand if climate.aridity > 0.5 else straw)
    if region in ("africa", "latin_america", "south_asia") and climate.warmth > 18:
        color = 0.6 * color + 0.4 * red_earth
    red, green, blue = (int(c) for c in color)
    return red, green, blue


def style_for(place: Place) -> SceneStyle:
    climate = climate_of(place.lat, place.lon)
    region = region_of(place.country, place.lat, place.lon)
    look = REGIONS[region]
    country_rng = _name_rng("country", place.country)
    city_rng = _name_rng("city", place.name)
    # Countries of a region differ a little in palette and road surface.
    look = replace(
        look,
        buildings=tuple(_jitter(c, country_rng, 2) for c in look.buildings),
        asphalt=_jitter(look.asphalt, country_rng, 1),
        sidewalk=_jitter(look.sidewalk, country_rng, 2),
    )
    from worldnet_core.land import continent_of

    continent = continent_of(place.lat, place.lon, margin_km=None)
    in_americas = continent in ("North America", "South America")
    vegetation = vegetation_weights(climate)
    if not in_americas:  # cacti are American; other deserts grow date palms
        vegetation["palm"] += vegetation.pop("cactus")
    return SceneStyle(
        place=place,
        region=region,
        look=look,
        climate=climate,
        vegetation=vegetation,
        snow=snow_probability(climate),
        winter=winter_probability(climate),
        left_hand=place.country in LEFT_HAND_TRAFFIC,
        center_line=YELLOW_LINE if in_americas else WHITE_LINE,
        double_center_line=place.country in ("USA", "CAN"),
        plate=COUNTRY_PLATES.get(place.country, look.plate),
        bollards=COUNTRY_BOLLARDS.get(place.country),
        kerb=COUNTRY_KERBS.get(place.country),
        verge=_jitter(_verge(climate, region), city_rng, 2),
        tree_density=float(np.clip(city_rng.normal(1.0, 0.1), 0.7, 1.3)),
        building_density=float(np.clip(city_rng.normal(1.0, 0.08), 0.8, 1.2)),
    )
