"""No cache keeps anything of a game: every response of the game's URLs is ``private, no-store``.

A page is the game as the server has it now: a shared proxy must not hand one player's page (or
round image, or reveal) to another, and the browser's back-and-forward cache must not bring back a
round already played with its clock running again. One middleware rather than a decorator on each
view: a view added later cannot forget it, and it covers what no view returns itself (a 404 raised
as ``Http404``, a 405 from ``require_POST``). ``tests/game/test_no_cache.py`` walks every URL.

The offline basemap's files are the exception: the same shipped Natural Earth data for everyone,
nothing of any game in them, so browsers and proxies may keep them (``views/maps.py`` says how long).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

NO_STORE = "private, no-store"
#: The apps whose every URL is a game's or a player's (the party's pages and round images, the accounts' pages too).
PRIVATE_APPS = frozenset({"game", "party", "accounts"})
#: The game's URLs (by name) that tell nothing about a game: publicly cacheable.
SHARED_MAP_DATA = frozenset({"world", "basemap_index", "basemap"})


class GameNoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        match = request.resolver_match  # set once the URL resolved; None for a URL that is no view's
        if match is not None and PRIVATE_APPS & set(match.app_names) and match.url_name not in SHARED_MAP_DATA:
            response["Cache-Control"] = NO_STORE
        return response
