"""Playing the game from a test: through the services (no HTTP), or through Django's test client."""

from __future__ import annotations

import json

from django.test import Client

from geoguess.game import engine, services
from geoguess.game.models import Game, Round


def start(image_set, owner="owner-1", **kwargs) -> Game:
    return services.game_start(image_set=image_set, player_name=kwargs.pop("name", "Ann"), owner_key=owner, **kwargs)


def play_round(game: Game, index: int, lat: float, lon: float, now=None) -> Round:
    round = game.rounds.get(index=index)
    engine.round_open(round=round, now=now)
    return engine.guess_submit(game=game, index=index, lat=lat, lon=lon, now=now)


def start_game(client: Client, image_set, name="Ann", time_limit=0) -> Game:
    response = client.post("/", {"image_set": image_set.pk, "player_name": name, "time_limit": time_limit})
    assert response.status_code == 302, response.content.decode()[:500]
    return Game.objects.get(public_id=response["Location"].split("/")[2])


def guess(client: Client, game: Game, index: int, lat, lon):
    return client.post(
        f"/game/{game.public_id}/guess", json.dumps({"index": index, "lat": lat, "lon": lon}), content_type="application/json"
    )


def play_page(client: Client, game: Game):
    """The game's page as a player reaches it: after a guess, through its reveal's "Next round" (which
    leaves that reveal; the plain page shows the reveal again until then)."""
    last = game.rounds.filter(guessed_at__isnull=False).order_by("-index").values_list("index", flat=True).first()
    if last is not None:
        left = client.get(f"/game/{game.public_id}/?left={last}")
        if left.status_code != 302:  # not this player's game: refused as the plain page is
            return left
        assert left["Location"] == f"/game/{game.public_id}/", left
    return client.get(f"/game/{game.public_id}/")
