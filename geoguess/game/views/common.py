"""What the game's views share: the player's key in the session, the map's settings, errors as JSON."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from geoguess.game.errors import GameError
from geoguess.game.models import Game
from geoguess.game.selectors import is_owner
from worldnet_core import basemap

PLAYER_KEY = "player_key"


def player_key(request: HttpRequest, *, create: bool = False) -> str:
    """The secret that makes the games of this browser session its own."""
    key: str = request.session.get(PLAYER_KEY, "")
    if not key and create:
        key = request.session[PLAYER_KEY] = secrets.token_urlsafe(24)
    return key


def client_address(request: HttpRequest | None) -> str:
    """The client's address for rate limits: ``REMOTE_ADDR`` (no proxy header is trusted: behind a proxy, pass the
    client's address on as the server's peer, e.g. Daphne's ``--proxy-headers``; docs/deployment.md). An IPv6
    address counts by its /64: one client holds a whole block, and would otherwise be a new address per request."""
    address = str(request.META.get("REMOTE_ADDR") or "") if request is not None else ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def account_id(request: HttpRequest) -> int | None:
    """The signed-in account's id; None for a guest."""
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def display_name(request: HttpRequest) -> str:
    """The name a start form offers: the last one played under in this browser, else the account's username."""
    name: str = request.session.get("player_name", "")
    if not name and account_id(request) is not None:
        name = request.user.get_username()
    return name


def owns(request: HttpRequest, game: Game) -> bool:
    """Whether the game is the requester's (``selectors.is_owner``): an account's games follow it to any device."""
    return is_owner(game, owner_key=player_key(request), account_id=account_id(request))


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
