"""What the game's views share: the player's key in the session, the map's settings, errors as JSON."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from geoguess.game.errors import GameError
from worldnet_core import basemap

PLAYER_KEY = "player_key"


def player_key(request: HttpRequest, *, create: bool = False) -> str:
    """The secret that makes the games of this browser session its own."""
    key: str = request.session.get(PLAYER_KEY, "")
    if not key and create:
        key = request.session[PLAYER_KEY] = secrets.token_urlsafe(24)
    return key


def page_config() -> dict[str, Any]:
    """What every game page's script is told of the map (the rules' numbers come with every page: ``base.html``)."""
    # The basemap's layer list is a file of its own, not in the page: its many numbers
    # (bboxes, zooms) would be noise in pages that must not hold the answer's coordinates.
    basemap_url = f"{reverse('game:basemap_index')}?v={basemap.index_version()}"
    return {
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "worldUrl": reverse("game:world"),
        "basemapUrl": basemap_url,
    }


def json_error(problem: GameError) -> JsonResponse:
    """``{"error": {"code": ..., "message": ...}}`` with the refusal's status (never kept by a cache: ``caching``)."""
    return JsonResponse(problem.as_json(), status=problem.status)
