"""Every URL of the game answers ``private, no-store``, whoever asks and however it ends (200, redirect, 4xx).

The test walks the game app's URL patterns, so a view added later is checked without being listed
here; only the offline basemap's files, the same shipped data for everyone, may be kept by a cache.
"""

from __future__ import annotations

from django.test import Client
from django.urls import URLPattern, reverse

from geoguess.game import urls
from geoguess.game.caching import SHARED_MAP_DATA
from tests.support.games import guess, play_page, start_game
from worldnet_core import basemap


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def arguments(pattern: URLPattern, *, public_id: str, token: str) -> dict[str, object]:
    """A value for each of the pattern's arguments; a pattern with another argument must be taught here."""
    known = {"public_id": public_id, "index": 0, "token": token, "name": next(iter(basemap.LAYERS))}
    names = list(pattern.pattern.converters)
    missing = [name for name in names if name not in known]
    assert not missing, f"{pattern.name}: teach this test a value for {missing}"
    return {name: known[name] for name in names}


def test_every_game_url_is_private_no_store_for_every_asker_and_every_outcome(client, image_set):
    playing = start_game(client, image_set)  # round 0 guessed: its reveal and overlay may be asked for
    play_page(client, playing)
    guess(client, playing, 0, 1.0, 1.0)
    finished = start_game(client, image_set)
    for index in range(5):
        play_page(client, finished)
        guess(client, finished, index, 2.0, 2.0)
    token = playing.rounds.get(index=1).image_token
    askers = {"the owner": client, "a stranger": Client()}
    failures, statuses = [], set()
    patterns = [pattern for pattern in urls.urlpatterns if isinstance(pattern, URLPattern)]
    assert len(patterns) == len(urls.urlpatterns), "a nested include: walk it too"
    for pattern in patterns:
        for public_id, round_token in ((playing.public_id, token), (finished.public_id, token), ("no-such-game", "no-such-image")):
            url = reverse(f"game:{pattern.name}", kwargs=arguments(pattern, public_id=public_id, token=round_token))
            for who, asker in askers.items():
                for method in ("get", "post"):
                    response = getattr(asker, method)(url)
                    statuses.add(response.status_code)
                    what = f"{who} {method.upper()} {url}: {response.status_code}, Cache-Control {response.get('Cache-Control')!r}"
                    if pattern.name in SHARED_MAP_DATA:
                        if response.status_code == 200 and "public" not in directives(response):
                            failures.append(what + " (shared map data, meant to be cached)")
                    elif not {"private", "no-store"} <= directives(response) or "public" in directives(response):
                        failures.append(what)
    assert not failures, "\n".join(failures)
    assert {200, 302, 403, 404, 405, 409} <= statuses  # every kind of outcome was asked for


def test_the_urls_that_may_be_kept_are_the_basemaps_and_name_no_game():
    shared = {pattern.name: pattern for pattern in urls.urlpatterns if pattern.name in SHARED_MAP_DATA}
    assert set(shared) == SHARED_MAP_DATA
    for pattern in shared.values():
        assert set(pattern.pattern.converters) <= {"name"}, pattern  # a layer's name at most: no game, round or image token
