"""Maps that work offline: folium with locally served Leaflet and the shipped country outlines.

Leaflet's files come from the django-leaflet package (found without importing it,
so no Django is loaded); ``leaflet_assets()`` lists them for copying next to a
report, and ``offline_map(asset_url=...)`` points folium at wherever they are served.
"""

from __future__ import annotations

import html
import importlib.util
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # folium loads on first use: settings import leaflet_dir from here
    import folium

LEAFLET_FILES = ("leaflet.js", "leaflet.css")


def leaflet_dir() -> Path:
    spec = importlib.util.find_spec("leaflet")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("django-leaflet is not installed: it provides the Leaflet files offline maps use")
    return Path(next(iter(spec.submodule_search_locations))) / "static" / "leaflet"


def copy_leaflet_assets(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in LEAFLET_FILES:
        (folder / name).write_bytes((leaflet_dir() / name).read_bytes())


def offline_map(*, asset_url: str, center: tuple[float, float] = (20.0, 0.0), zoom: int = 2) -> folium.Map:
    """A folium map that loads Leaflet from ``asset_url`` and draws countries, with no tiles."""
    import folium

    from worldnet_core.land import countries_geojson

    fmap = folium.Map(location=center, zoom_start=zoom, tiles=None, world_copy_jump=True)
    base = asset_url.rstrip("/")
    fmap.default_js = [("leaflet", f"{base}/leaflet.js")]
    fmap.default_css = [("leaflet_css", f"{base}/leaflet.css")]
    folium.GeoJson(
        json.loads(countries_geojson()),
        name="countries",
        style_function=lambda _: {"fillColor": "#e8e4d8", "color": "#9a9486", "weight": 0.6, "fillOpacity": 1.0},
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    ).add_to(fmap)
    page = fmap.get_root()
    if not isinstance(page, folium.Figure):  # a new map's root is the page (a Figure) it makes for itself
        raise TypeError(f"a folium map's root is a Figure, not {type(page).__name__}")
    page.header.add_child(folium.Element("<style>.leaflet-container{background:#bcd7ea}</style>"))
    return fmap


def map_text(value: str) -> str:
    """``value`` as inert text for a folium tooltip or popup.

    Folium pastes tooltip text raw into a JavaScript template literal that Leaflet then
    renders as HTML, so a place name could end the script (``</script>``), break out of
    the literal (a backtick, ``${``) or add markup. Entities for all of them leave text.

    >>> map_text('<img src=x onerror="go()">`${x}`')
    '&lt;img src=x onerror=&quot;go()&quot;&gt;&#96;&#36;{x}&#96;'
    """
    escaped = html.escape(str(value), quote=True)
    return escaped.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def add_points(
    fmap: folium.Map, points: Iterable[tuple[float, float]], *, color: str, radius: float = 3, tooltip: str | None = None
) -> None:
    import folium

    text = None if tooltip is None else map_text(tooltip)
    for lat, lon in points:
        folium.CircleMarker((lat, lon), radius=radius, color=color, fill=True, fill_opacity=0.8, weight=1, tooltip=text).add_to(fmap)


#: Degrees of margin around fitted points, so none sits on the map's edge.
FIT_MARGIN_DEG = 2.0


def points_bounds(
    points: Sequence[tuple[float, float]], *, margin_deg: float = FIT_MARGIN_DEG
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """``((south, west), (north, east))`` that holds every point, for ``fitBounds``; None for no points.

    The antimeridian: longitudes are never wrapped past ±180°. A view across it (Fiji to
    Samoa) would be narrower, but the shipped country outlines and the markers are drawn
    at -180..180 only, so the points east of the line would sit in blank sea off the
    view. ``min..max`` of the longitudes always holds every point where it is drawn: at
    worst (points on both sides of the line) it is the whole width of the world.

    >>> points_bounds([(35.7, 139.7), (51.5, -0.1), (-33.9, 151.2), (40.7, -74.0)], margin_deg=0)
    ((-33.9, -74.0), (51.5, 151.2))
    >>> points_bounds([(-18.1, 178.4), (-13.8, -171.8)])  # across the antimeridian: the whole width
    ((-20.1, -173.8), (-11.8, 180.0))
    >>> points_bounds([]) is None
    True
    """
    if not points:
        return None
    lats = [float(lat) for lat, _ in points]
    lons = [float(lon) for _, lon in points]
    south, north = max(-85.0, min(lats) - margin_deg), min(85.0, max(lats) + margin_deg)
    west, east = max(-180.0, min(lons) - margin_deg), min(180.0, max(lons) + margin_deg)
    return (south, west), (north, east)


def fit_points(fmap: folium.Map, points: Iterable[tuple[float, float]], *, max_zoom: int = 6) -> None:
    """Opens ``fmap`` on all of ``points`` (a single point or a city: no closer than ``max_zoom``)."""
    bounds = points_bounds(list(points))
    if bounds is not None:
        fmap.fit_bounds([list(bounds[0]), list(bounds[1])], max_zoom=max_zoom)
