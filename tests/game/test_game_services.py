"""The rules of the game, through the services (no HTTP)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from geoguess.game import engine, presentation, selectors, services
from geoguess.game.errors import Code, GameError
from geoguess.game.forms import guess_from_json
from geoguess.game.models import DUEL
from geoguess.game.modes import duel as duel_mode
from tests.support.games import play_round, start
from worldnet_core.geo import geoguessr_points, haversine_km


def test_it_starts_a_game_of_five_distinct_photos(image_set):
    game = start(image_set, seed=1)
    photos = list(game.rounds.order_by("index").values_list("photo_id", flat=True))
    assert len(photos) == len(set(photos)) == 5
    assert len({r.image_token for r in game.rounds.all()}) == 5
    assert start(image_set, seed=2).public_id != game.public_id


@pytest.mark.parametrize(
    "kwargs,message", [({"name": "   "}, "display name"), ({"time_limit": 45}, "time limit must be one of 0, 30, 60, 120")]
)
def test_it_refuses_games_it_cannot_start(image_set, kwargs, message):
    with pytest.raises(GameError, match=message):
        start(image_set, **kwargs)


def test_it_needs_five_photos(image_set):
    ids = list(image_set.photos.values_list("id", flat=True))
    image_set.photos.filter(id__in=ids[4:]).delete()
    with pytest.raises(GameError, match="has 4 photos; a game needs 5"):
        start(image_set)


def test_it_scores_by_great_circle_distance_on_the_sets_scale(image_set):
    game = start(image_set, seed=0)
    first = game.rounds.get(index=0)
    exact = play_round(game, 0, first.photo.lat, first.photo.lon)
    assert exact.points == 5000 and exact.distance_km == pytest.approx(0.0, abs=1e-6)
    second = game.rounds.get(index=1)
    guessed = play_round(game, 1, 0.0, 0.0)
    distance = haversine_km(second.photo.lat, second.photo.lon, 0.0, 0.0)
    assert guessed.distance_km == pytest.approx(distance)
    assert guessed.points == round(5000 * np.exp(-10 * distance / image_set.scale_km)) == geoguessr_points(distance, image_set.scale_km)
    game.refresh_from_db()
    assert game.total_points == 5000 + guessed.points


def test_it_takes_one_guess_per_round_and_keeps_the_first(image_set):
    game = start(image_set)
    first = play_round(game, 0, 10.0, 10.0)
    with pytest.raises(GameError, match="guessed already") as error:
        engine.guess_submit(game=game, index=0, lat=48.0, lon=2.0)
    assert error.value.status == 409
    first.refresh_from_db()
    assert (first.guess_lat, first.guess_lon) == (10.0, 10.0)


def test_it_only_lets_the_owner_play(image_set):
    game = start(image_set, owner="mine")
    assert selectors.game_for_owner(public_id=game.public_id, owner_key="mine") == game
    for other in ("someone-else", ""):
        with pytest.raises(GameError, match="another player") as error:
            selectors.game_for_owner(public_id=game.public_id, owner_key=other)
        assert error.value.status == 403


@pytest.mark.parametrize(
    "lat,lon,message",
    [
        (91.0, 0.0, "between -90 and 90"),
        (float("nan"), 0.0, "finite numbers"),
        (10.0, float("inf"), "finite numbers"),
        (10.0, None, "both"),
    ],
)
def test_it_validates_coordinates(image_set, lat, lon, message):
    game = start(image_set)
    engine.round_open(round=game.rounds.get(index=0))
    with pytest.raises(GameError, match=message):
        engine.guess_submit(game=game, index=0, lat=lat, lon=lon)
    assert not game.rounds.get(index=0).is_done


def test_it_wraps_longitudes_of_a_map_scrolled_round_the_world(image_set):
    game = start(image_set)
    assert play_round(game, 0, 10.0, 370.0).guess_lon == pytest.approx(10.0)


def test_it_plays_rounds_in_order_and_only_once_shown(image_set):
    game = start(image_set)
    with pytest.raises(GameError, match="not been shown"):
        engine.guess_submit(game=game, index=0, lat=1.0, lon=1.0)
    engine.round_open(round=game.rounds.get(index=1))
    with pytest.raises(GameError, match="in order"):
        engine.guess_submit(game=game, index=1, lat=1.0, lon=1.0)


def test_it_enforces_the_time_limit(image_set, settings):
    settings.GUESS_GRACE_SECONDS = 3
    game = start(image_set, time_limit=30)
    start_time = timezone.now() - timedelta(seconds=40)
    engine.round_open(round=game.rounds.get(index=0), now=start_time)
    with pytest.raises(GameError, match="time is up") as error:
        engine.guess_submit(game=game, index=0, lat=1.0, lon=1.0, now=start_time + timedelta(seconds=40))
    assert error.value.status == 409
    late = game.rounds.get(index=0)
    assert late.timed_out and late.points == 0 and late.guess_lat is None
    # Within the limit (and the grace), a guess counts.
    second = game.rounds.get(index=1)
    engine.round_open(round=second, now=start_time)
    in_time = engine.guess_submit(game=game, index=1, lat=second.photo.lat, lon=second.photo.lon, now=start_time + timedelta(seconds=32))
    assert not in_time.timed_out and in_time.points == 5000
    # The countdown ran out with no pin: 0 points; before it runs out, no pin is refused.
    engine.round_open(round=game.rounds.get(index=2), now=start_time)
    with pytest.raises(GameError, match="needs a place"):
        engine.guess_submit(game=game, index=2, lat=None, lon=None, now=start_time + timedelta(seconds=10))
    timed_out = engine.guess_submit(game=game, index=2, lat=None, lon=None, now=start_time + timedelta(seconds=30))
    assert timed_out.timed_out and timed_out.points == 0


def test_it_counts_down_from_the_first_view(image_set):
    game = start(image_set, time_limit=60)
    round = game.rounds.get(index=0)
    assert engine.seconds_left(round) is None
    opened = timezone.now()
    engine.round_open(round=round, now=opened)
    engine.round_open(round=round, now=opened + timedelta(seconds=50))  # a reload does not restart the clock
    round.refresh_from_db()
    assert engine.seconds_left(round, now=opened + timedelta(seconds=20)) == pytest.approx(40.0)


def test_it_finishes_after_five_rounds(image_set):
    game = start(image_set)
    for index in range(5):
        assert game.finished_at is None
        play_round(game, index, 0.0, 0.0)
        game.refresh_from_db()
    assert game.finished_at is not None and selectors.current_round(game) is None
    summary = presentation.game_summary(game=game)
    assert summary["total"] == game.total_points == sum(r["player_points"] for r in summary["rounds"])


def test_it_replays_a_challenge_with_the_same_photos_in_the_same_order(image_set):
    original = start(image_set, time_limit=60, seed=4)
    challenge = services.game_start_challenge(original=original, player_name="Bob", owner_key="bob")
    assert list(challenge.rounds.values_list("photo_id", flat=True)) == list(original.rounds.values_list("photo_id", flat=True))
    assert challenge.time_limit == 60 and challenge.challenge_of == original
    assert set(challenge.rounds.values_list("image_token", flat=True)).isdisjoint(original.rounds.values_list("image_token", flat=True))
    for game in (original, challenge):
        for index in range(5):
            play_round(game, index, 0.0, 0.0 if game is original else 1.0)
    assert {g.player_name for g in selectors.challenge_results(game=challenge)} == {"Ann", "Bob"}


def test_it_ranks_the_ten_best_finished_games(image_set):
    for i in range(12):
        game = start(image_set, name=f"p{i}", seed=i)
        for index in range(5):
            round = game.rounds.get(index=index)
            play_round(game, index, round.photo.lat + i * 0.5, round.photo.lon)  # p0 is best
    unfinished = start(image_set, name="quitter")
    play_round(unfinished, 0, unfinished.rounds.get(index=0).photo.lat, unfinished.rounds.get(index=0).photo.lon)
    board = selectors.leaderboard(image_set=image_set)
    assert [g.player_name for g in board] == [f"p{i}" for i in range(10)]
    assert all(a.total_points >= b.total_points for a, b in itertools.pairwise(board))


def test_it_reveals_worldnets_guess_and_top_three_only_after_the_guess(image_set, model_version):
    game = start(image_set)
    round = game.rounds.get(index=0)
    with pytest.raises(GameError, match="after the guess"):
        presentation.round_reveal(round=round)
    play_round(game, 0, 0.0, 0.0)
    reveal = presentation.round_reveal(round=game.rounds.get(index=0))
    assert reveal["truth"]["place"] == round.photo.place
    ai = reveal["worldnet"]
    assert len(ai["top"]) == 3 and ai["top"][0]["probability"] >= ai["top"][1]["probability"]
    assert ai["points"] == geoguessr_points(haversine_km(round.photo.lat, round.photo.lon, ai["lat"], ai["lon"]), image_set.scale_km)


def test_it_says_worldnet_is_thinking_when_no_prediction_is_stored(image_set):
    game = start(image_set)
    play_round(game, 0, 0.0, 0.0)
    assert presentation.round_reveal(round=game.rounds.get(index=0))["worldnet"] is None


def test_it_keeps_replayed_challenges_off_the_leaderboard(image_set):
    """A challenge replays photos whose answers its taker may have seen: it ranks with the challenge only."""
    original = start(image_set, name="Honest", owner="honest", seed=3)
    for index in range(5):
        play_round(original, index, 0.0, 0.0)
    replay = services.game_start_challenge(original=original, player_name="Cheater", owner_key="fresh-session")
    for index in range(5):
        photo = replay.rounds.get(index=index).photo
        play_round(replay, index, photo.lat, photo.lon)  # exactly at the truths, read from the original's reveals
    replay.refresh_from_db()
    assert replay.total_points == 25000
    assert [g.player_name for g in selectors.leaderboard(image_set=image_set)] == ["Honest"]
    assert [g.player_name for g in selectors.challenge_results(game=original)] == ["Cheater", "Honest"]


def test_a_challenge_of_a_challenge_replays_the_original(image_set):
    original = start(image_set, name="Ann", seed=5)
    for index in range(5):
        play_round(original, index, 0.0, 0.0)
    first = services.game_start_challenge(original=original, player_name="Bob", owner_key="bob")
    for index in range(5):
        play_round(first, index, 1.0, 1.0)
    second = services.game_start_challenge(original=first, player_name="Cy", owner_key="cy")
    assert second.challenge_of == original
    for index in range(5):
        play_round(second, index, 2.0, 2.0)
    assert {g.player_name for g in selectors.challenge_results(game=second)} == {"Ann", "Bob", "Cy"}


@pytest.mark.parametrize("lat,lon", [("true", "0.0"), ("1.0", "false"), ('"10"', '"20"'), ("1" + "0" * 400, "0.0")])
def test_it_refuses_coordinates_that_are_not_numbers(lat, lon):
    """Booleans were scored as (1, 0), digit strings as numbers; an integer beyond a float was a crash.
    (The guess's shape is checked once, where it comes in: ``forms.guess_from_json``.)"""
    body = f'{{"index": 0, "lat": {lat}, "lon": {lon}}}'.encode()
    with pytest.raises(GameError, match="latitude and longitude must be numbers") as error:
        guess_from_json(body=body, content_type="application/json")
    assert (error.value.status, error.value.code) == (400, Code.BAD_NUMBER)


@pytest.mark.parametrize("index", ["true", "1.5", '"0"', "null"])
def test_it_refuses_round_indexes_that_are_not_whole_numbers(index):
    body = f'{{"index": {index}, "lat": 1.0, "lon": 1.0}}'.encode()
    with pytest.raises(GameError, match="index must be a round number") as error:
        guess_from_json(body=body, content_type="application/json")
    assert error.value.code == Code.BAD_INDEX


@pytest.mark.parametrize("index", [-1, 5, 2**63, 10**30])
def test_it_refuses_round_indexes_outside_the_game(image_set, index):
    game = start(image_set)
    engine.round_open(round=game.rounds.get(index=0))
    with pytest.raises(GameError, match="index must be a round number from 0 to 4") as error:
        engine.guess_submit(game=game, index=index, lat=1.0, lon=1.0)
    assert error.value.code == Code.BAD_INDEX


def test_a_guess_locks_its_round_alone_not_the_photo_or_the_image_set(image_set):
    # PostgreSQL's pass checks it (SQLite has no row locks): a FOR UPDATE over the round's join would
    # lock the photo's and the image set's rows too, so every guess on a set would wait for the others.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not connection.features.has_select_for_update_of:
        pytest.skip("SELECT ... FOR UPDATE OF: checked on PostgreSQL (make test's second pass)")
    game = start(image_set)
    engine.round_open(round=game.rounds.get(index=0))
    with CaptureQueriesContext(connection) as captured:
        engine.guess_submit(game=game, index=0, lat=10.0, lon=20.0)
    locking = [query["sql"] for query in captured.captured_queries if "FOR UPDATE" in query["sql"]]
    assert locking and all(sql.rstrip().endswith('FOR UPDATE OF "game_round"') for sql in locking), locking


def test_a_duels_guess_locks_its_round_and_its_game_alone(image_set, model_version):
    """A duel's settling locks the game's row too (one round's damage is dealt once), never the image set's:
    every duel on a set would queue on it, and curation (which locks the set) could deadlock with them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not connection.features.has_select_for_update_of:
        pytest.skip("SELECT ... FOR UPDATE OF: checked on PostgreSQL (make test's second pass)")
    game = services.game_start(image_set=image_set, player_name="Dee", owner_key="o", mode=DUEL, seed=0)
    engine.round_open(round=game.rounds.get(index=0))
    with CaptureQueriesContext(connection) as captured:
        engine.guess_submit(game=game, index=0, lat=10.0, lon=20.0)
    locking = [query["sql"].rstrip() for query in captured.captured_queries if "FOR UPDATE" in query["sql"]]
    assert len(locking) == 2, locking
    assert locking[0].endswith('FOR UPDATE OF "game_round"') and locking[1].endswith('FOR UPDATE OF "game_game"'), locking


def test_draws_spread_over_the_places_before_any_comes_back():
    import random

    from geoguess.game.engine import varied_draw

    photos = [(i, city) for i, city in enumerate(["London"] * 40 + ["Paris"] * 40 + ["Madrid"] * 3 + ["Osaka"] * 2 + ["  paris "], start=1)]
    place = dict(photos)
    for seed in range(200):
        drawn = varied_draw(random.Random(seed), photos, 5)
        cities = [place[i].strip().casefold() for i in drawn]
        assert len(set(drawn)) == 5 and len(set(cities[:4])) == 4, cities  # four places, each once, before any repeats
        assert all(a != b for a, b in itertools.pairwise(cities)), cities  # and never twice running
    assert varied_draw(random.Random(0), [(1, "London"), (2, "London")], 2, played=["London"]) in (
        [1, 2],
        [2, 1],
    )  # one place left: it repeats
    # Past one full turn the places keep taking turns: a long duel on three cities plays A, B, C, A, B, C...
    three = [(i, "ABC"[i % 3]) for i in range(30)]
    for seed in range(50):
        order = [dict(three)[i] for i in varied_draw(random.Random(seed), three, 12)]
        assert all(len(set(order[k : k + 3])) == 3 for k in range(0, 12, 3)), order
        rounds: list[str] = []
        for _ in range(12):  # one round at a time, as a duel draws them
            rounds.append(dict(three)[varied_draw(random.Random(seed + len(rounds)), three, 1, played=rounds)[0]])
        assert all(len(set(rounds[k : k + 3])) == 3 for k in range(0, 12, 3)), rounds
    assert varied_draw(random.Random(0), [], 1) == []
    # A duel's next round comes from a place not played yet, while one is left.
    assert place[varied_draw(random.Random(3), photos, 1, played=["London", "Paris", "Madrid"])[0]] == "Osaka"
    # Photos without a place name count as places of their own.
    assert len(varied_draw(random.Random(0), [(1, ""), (2, ""), (3, " ")], 3)) == 3


def test_games_and_duels_on_a_set_of_four_cities_do_not_repeat_a_city_running(image_set, model_version):
    from geoguess.game.models import DUEL

    for seed in range(6):
        game = start(image_set, name=f"p{seed}", seed=seed)
        cities = list(game.rounds.order_by("index").values_list("photo__place", flat=True))
        assert len(set(cities[:4])) == 4 and all(a != b for a, b in itertools.pairwise(cities)), cities
    import random

    duel = services.game_start(image_set=image_set, player_name="Dee", owner_key="o", mode=DUEL, seed=1)
    first = duel.rounds.get().photo.place
    rng = random.Random(2)
    assert all(image_set.photos.get(pk=duel_mode._next_photo(duel, 1, rng)).place != first for _ in range(20))
