"""Reads of image sets for the pages that offer them (writes are in ``services``)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from geoguess.imagesets.models import ImageSet


def playable_image_sets() -> QuerySet[ImageSet]:
    """The sets a game can be started on: enough enabled photos for a game, each with its ``photo_count``."""
    return ImageSet.objects.playable()


def imageset_coverage_cells(*, image_set: ImageSet, cell_deg: float = 10.0) -> list[dict[str, float]]:
    """Where a set's photos lie, coarsely (``cell_deg`` cells with counts): enough to choose a
    set by, too coarse to help in a round. Exact positions are only shown to admins."""
    cells: dict[tuple[int, int], int] = {}
    for lat, lon in image_set.photos.enabled().values_list("lat", "lon"):
        key = (int(lat // cell_deg), int(lon // cell_deg))
        cells[key] = cells.get(key, 0) + 1
    return [{"south": a * cell_deg, "west": b * cell_deg, "size": cell_deg, "count": n} for (a, b), n in sorted(cells.items())]


#: The coverage map's wheel, as on the photo map (``photo_map.js``): it scrolls the admin's page until
#: the map is clicked or focused, and zooms the map only then, until focus leaves it.
_WHEEL_AFTER_CLICK = """{% macro script(this, kwargs) %}
(function (map) {
  var box = map.getContainer();
  var wheelToMap = function () { map.scrollWheelZoom.enable(); };
  box.addEventListener("mousedown", wheelToMap);
  box.addEventListener("focusin", wheelToMap);
  box.addEventListener("focusout", function (event) {
    if (!box.contains(event.relatedTarget)) map.scrollWheelZoom.disable();
  });
})({{ this._parent.get_name() }});
{% endmacro %}"""


def imageset_coverage_map_html(*, image_set: ImageSet) -> str:
    """An admin's folium map of every photo, with Leaflet served from this site's static files."""
    from branca.element import MacroElement
    from django.templatetags.static import static
    from jinja2 import Template

    from worldnet_core.maps import add_points, fit_points, offline_map

    points = list(image_set.photos.values_list("lat", "lon"))
    fmap = offline_map(asset_url=static("leaflet"))
    add_points(fmap, points, color="#c0392b", radius=3)
    fit_points(fmap, points)  # open on every photo, not on a fixed view that cuts off Asia and Oceania
    fmap.options["scroll_wheel_zoom"] = False
    wheel = MacroElement()
    wheel._template = Template(_WHEEL_AFTER_CLICK)
    fmap.add_child(wheel)
    return fmap.get_root().render()


def image_sets_with_photo_counts(queryset: QuerySet[ImageSet]) -> QuerySet[ImageSet]:
    """``queryset`` with each set's ``_photo_count`` and ``_enabled_count`` (the admin's list counts them in one query)."""
    return queryset.annotate(_photo_count=Count("photos"), _enabled_count=Count("photos", filter=Q(photos__enabled=True)))


def imageset_photo_points(*, image_set: ImageSet) -> list[dict[str, object]]:
    """Every photo of a set with its position, place and whether games draw it (for the admin's map)."""
    rows = image_set.photos.values_list("pk", "lat", "lon", "enabled", "place")
    return [{"id": pk, "lat": lat, "lon": lon, "enabled": enabled, "place": place} for pk, lat, lon, enabled, place in rows]
