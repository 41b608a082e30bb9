"""Reads of image sets for the pages that offer them (writes are in ``services``)."""

from __future__ import annotations

from django.db.models import QuerySet

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
