"""Maps that work offline: folium with locally served Leaflet and the shipped country outlines.

Leaflet's files come from the django-leaflet package (found without importing it,
so no Django is loaded); ``leaflet_assets()`` lists them for copying next to a
report, and ``offline_map(asset_url=...)`` points folium at wherever they are served.
"""

from __future__ import annotations

import html
import importlib.util
import json
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # folium loads on first use: settings import leaflet_dir from here
    import folium

LEAFLET_FILES = ("leaflet.js", "leaflet.css")


def leaflet_dir() -> Path:
    spec = importlib.util.find_spec("leaflet")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("django-leaflet is not installed: it provides the Leaflet files offline maps use")
    return Path(list(spec.submodule_search_locations)[0]) / "static" / "leaflet"


def copy_leaflet_assets(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in LEAFLET_FILES:
        (folder / name).write_bytes((leaflet_dir() / name).read_bytes())


def offline_map(*, asset_url: str, center: tuple[float, float] = (20.0, 0.0), zoom: int = 2) -> "folium.Map":
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
    fmap.get_root().header.add_child(folium.Element("<style>.leaflet-container{background:#bcd7ea}</style>"))
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


def add_points(fmap: "folium.Map", points: Iterable[tuple[float, float]], *, color: str, radius: float = 3, tooltip: str | None = None) -> None:
    import folium

    text = None if tooltip is None else map_text(tooltip)
    for lat, lon in points:
        folium.CircleMarker((lat, lon), radius=radius, color=color, fill=True, fill_opacity=0.8, weight=1, tooltip=text).add_to(fmap)
