"""A classic game of 3, 5 or 10 rounds (each with its own leaderboard), and a reveal that a reload shows again."""

from __future__ import annotations

import json
import re

import pytest

from geoguess import rules
from geoguess.game import selectors, services
from geoguess.game.errors import GameError
from geoguess.game.models import DUEL, Game
from tests.support.games import guess, play_page, play_round, start


def start_over_http(client, image_set, **fields) -> Game:
    response = client.post("/", {"image_set": image_set.pk, "player_name": "Ann", "time_limit": 0, **fields})
    assert response.status_code == 302, response.content.decode()[:300]
    return Game.objects.get(public_id=response["Location"].split("/")[2])


@pytest.mark.parametrize("rounds", rules.ROUND_COUNTS)
def test_a_classic_game_has_the_rounds_chosen(client, image_set, rounds):
    game = start_over_http(client, image_set, rounds=rounds)
    assert game.rounds.count() == rounds == game.rounds_chosen
    assert len(set(game.rounds.values_list("photo_id", flat=True))) == rounds
    page = client.get(f"/game/{game.public_id}/").content.decode()
    assert f"Round <strong>1</strong>/{rounds}" in page
    for index in range(rounds):
        play_page(client, game)
        reveal = guess(client, game, index, 1.0, 1.0).json()
        assert reveal["finished"] is (index == rounds - 1)
    assert play_page(client, game)["Location"] == f"/game/{game.public_id}/summary"


@pytest.mark.parametrize("rounds", ["4", "03", "0", "-5", "x", "1e1", "10 ", "99999999"])
def test_it_offers_only_its_lengths(client, image_set, rounds):
    response = client.post("/", {"image_set": image_set.pk, "player_name": "Ann", "time_limit": 0, "rounds": rounds})
    assert response.status_code == 400 and "a classic game has 3, 5 or 10 rounds" in response.content.decode()
    assert not Game.objects.exists()


def test_a_set_too_small_for_a_length_says_so(image_set):
    with pytest.raises(GameError, match="a classic game has 3, 5 or 10 rounds"):
        services.game_start(image_set=image_set, player_name="Ann", owner_key="k", rounds=12)
    image_set.photos.filter(pk__in=list(image_set.photos.values_list("pk", flat=True)[:4])).update(enabled=False)
    with pytest.raises(GameError, match="has 8 photos; a game needs 10"):
        services.game_start(image_set=image_set, player_name="Ann", owner_key="k", rounds=10)
    assert services.game_start(image_set=image_set, player_name="Ann", owner_key="k", rounds=5).rounds.count() == 5


def test_each_length_has_its_own_leaderboard_and_a_challenge_keeps_its_length(image_set):
    for rounds, name in ((3, "Three"), (10, "Ten"), (5, "Five")):
        game = start(image_set, name=name, rounds=rounds)
        for index in range(rounds):
            play_round(game, index, 1.0, 1.0)
    assert [g.player_name for g in selectors.leaderboard(image_set=image_set, rounds=10)] == ["Ten"]
    assert [g.player_name for g in selectors.leaderboard(image_set=image_set)] == ["Five"]  # the default length
    ten = Game.objects.get(player_name="Ten")
    replay = services.game_start_challenge(original=ten, player_name="Bob", owner_key="bob")
    assert replay.rounds_chosen == 10 and replay.rounds.count() == 10


def test_a_reload_while_reading_a_reveal_shows_it_again_and_the_next_clock_waits(client, image_set, model_version):
    game = start_over_http(client, image_set, time_limit=30)
    client.get(f"/game/{game.public_id}/")
    guess(client, game, 0, 10.0, 20.0)
    again = client.get(f"/game/{game.public_id}/").content.decode()  # the player reloads the reveal
    config = json.loads(re.search(r'<script id="round-config" type="application/json">(.*?)</script>', again).group(1))
    assert config["revealing"] is True and config["index"] == 0 and config["secondsLeft"] is None
    assert game.rounds.get(index=0).image_token in again and "Round <strong>1</strong>" in again
    assert game.rounds.get(index=1).started_at is None  # the next round's clock has not started
    assert config["nextUrl"] == f"/game/{game.public_id}/?left=0"
    response = client.get(config["nextUrl"])
    assert response.status_code == 302 and response["Location"] == f"/game/{game.public_id}/"
    page = client.get(f"/game/{game.public_id}/").content.decode()
    assert "Round <strong>2</strong>" in page and game.rounds.get(index=1).started_at is not None


def test_only_a_played_round_can_be_left_and_never_backwards(client, image_set):
    game = start_over_http(client, image_set)
    client.get(f"/game/{game.public_id}/")
    client.get(f"/game/{game.public_id}/?left=3")  # not played: nothing left
    assert Game.objects.get(pk=game.pk).reveal_left == -1
    guess(client, game, 0, 1.0, 1.0)
    client.get(f"/game/{game.public_id}/?left=0")
    client.get(f"/game/{game.public_id}/?left=0")
    assert Game.objects.get(pk=game.pk).reveal_left == 0


def test_a_duels_reveal_shown_again_starts_from_the_health_before_its_round(client, image_set, model_version):
    game = start_over_http(client, image_set, mode="duel")
    assert game.mode == DUEL
    for index in range(2):
        play_page(client, game)
        guess(client, game, index, -80.0, 0.0)  # far from every answer: the player loses health
    game.refresh_from_db()
    before = game.rounds.get(index=0)
    page = client.get(f"/game/{game.public_id}/").content.decode()
    assert "Duel round <strong>2</strong>" in page
    assert f'data-health="{before.player_health}"' in page and f'data-health="{before.worldnet_health}"' in page


@pytest.mark.parametrize("left", ["x", "-1", "0.5", "99999999999", "٣", "%FF%FE", "<b>0</b>", "0" * 5000])
def test_a_hostile_left_is_ignored_and_the_page_still_answers(client, image_set, left):
    game = start_over_http(client, image_set)
    guess(client, game, 0, 1.0, 1.0)
    response = client.get(f"/game/{game.public_id}/?left={left}")
    assert response.status_code == 302 and response["Location"] == f"/game/{game.public_id}/"  # back to the plain address
    assert client.get(response["Location"]).status_code == 200
    assert Game.objects.get(pk=game.pk).reveal_left == -1  # nothing left: the reveal of round 1 is still there
