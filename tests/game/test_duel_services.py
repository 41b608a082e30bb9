"""Duels through the game services (no HTTP): start, lock-in and countdown on the server, damage, the end, challenges, records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from geoguess import rules as duel
from geoguess.game import engine, presentation, selectors, services
from geoguess.game.errors import GameError
from geoguess.game.models import DUEL, Game, Round
from geoguess.game.modes import duel as duel_mode
from geoguess.opponent.models import ModelVersion, Prediction
from worldnet_core.geo import geoguessr_points, haversine_km


def start_duel(image_set, owner="owner-1", name="Dee", seed=0) -> Game:
    return services.game_start(image_set=image_set, player_name=name, owner_key=owner, mode=DUEL, seed=seed)


def open_round(game: Game, now=None) -> Round:
    round = selectors.current_round(game)
    assert round is not None
    return engine.round_open(round=Round.objects.select_related("game", "photo").get(pk=round.pk), now=now)


def worldnet_of(round: Round) -> Prediction:
    return Prediction.objects.get(photo_id=round.photo_id, model_version_id=round.game.model_version_id)


def guess_like_worldnet(game: Game, now=None) -> Round:
    """The player's pin on worldNET's: the same score, so no damage."""
    round = open_round(game, now)
    prediction = worldnet_of(round)
    return engine.guess_submit(game=game, index=round.index, lat=prediction.lat, lon=prediction.lon, now=now)


def test_a_duel_needs_an_active_worldnet(image_set):
    with pytest.raises(GameError, match="no model is active") as error:
        start_duel(image_set)
    assert error.value.status == 409 and not Game.objects.exists()


def test_a_duel_starts_with_one_round_full_health_and_the_active_version(image_set, model_version):
    game = start_duel(image_set)
    assert (game.mode, game.model_version_id, game.player_health, game.worldnet_health, game.time_limit) == (
        DUEL,
        model_version.pk,
        6000,
        6000,
        0,
    )
    (round,) = game.rounds.all()
    assert round.index == 0 and 0.0 <= round.lock_draw < 1.0
    assert selectors.round_count(game) == 1


def test_it_refuses_an_unknown_mode(image_set, model_version):
    with pytest.raises(GameError, match="Classic or Duel worldNET"):
        services.game_start(image_set=image_set, player_name="Dee", owner_key="k", mode="deathmatch")


def test_a_round_deals_the_lower_score_the_difference_and_draws_the_next(image_set, model_version):
    game = start_duel(image_set)
    round = open_round(game)
    scored = engine.guess_submit(game=game, index=0, lat=0.0, lon=0.0)
    prediction = worldnet_of(round)
    worldnet_points = geoguessr_points(haversine_km(round.photo.lat, round.photo.lon, prediction.lat, prediction.lon), image_set.scale_km)
    expected = duel.after_round(duel.START, duel.damage(player_points=scored.points, worldnet_points=worldnet_points, round_number=1))
    scored.refresh_from_db()
    game.refresh_from_db()
    assert scored.worldnet_points == worldnet_points
    assert (
        (scored.player_health, scored.worldnet_health) == (game.player_health, game.worldnet_health) == (expected.player, expected.worldnet)
    )
    reveal = presentation.round_reveal(round=Round.objects.select_related("game", "photo").get(pk=scored.pk))
    hit = duel.damage(player_points=scored.points, worldnet_points=worldnet_points, round_number=1)
    assert reveal["duel"]["damage"] == {"player": hit.to_player, "worldnet": hit.to_worldnet}
    assert reveal["duel"]["health_before"] == {"player": 6000, "worldnet": 6000} and reveal["duel"]["multiplier"] == 1.0
    assert reveal["worldnet"]["points"] == worldnet_points
    if expected.player > 0 and expected.worldnet > 0:
        assert reveal["duel"]["over"] is False and game.rounds.count() == 2 and game.finished_at is None
        assert game.rounds.get(index=1).photo_id != round.photo_id


def test_it_goes_past_round_five_and_ends_when_worldnets_health_is_gone(image_set, model_version):
    game = start_duel(image_set)
    for index in range(12):
        round = open_round(game)
        # worldNET's guess (attached as the round was drawn) 100 km off in every round, the player's on the answer:
        # worldNET loses each round.
        Round.objects.filter(pk=round.pk).update(worldnet_lat=round.photo.lat + 100 / 111.195, worldnet_lon=round.photo.lon)
        engine.guess_submit(game=game, index=index, lat=round.photo.lat, lon=round.photo.lon)
        game.refresh_from_db()
        if game.finished_at is not None:
            break
    rounds = list(game.rounds.order_by("index"))
    lost = [5000 - r.worldnet_points for r in rounds]
    assert min(lost) > 300 and max(lost) < 700  # so the duel outlasts five rounds
    assert len(rounds) > 5 and game.worldnet_health == 0 and game.player_health == 6000
    assert rounds[3].worldnet_health == 6000 - sum(lost[:4])  # x1 for rounds 1-4
    assert rounds[3].worldnet_health - rounds[4].worldnet_health == (3 * lost[4] + 1) // 2  # x1.5 in round 5
    assert rounds[4].worldnet_health - rounds[5].worldnet_health == min(2 * lost[5], rounds[4].worldnet_health)  # x2 in round 6
    assert all(r.is_done for r in rounds)  # no round drawn after the end
    summary = presentation.game_summary(game=game)
    assert summary["duel"]["winner"] == "player" and summary["duel"]["health"][0] == {"player": 6000, "worldnet": 6000}
    assert len(summary["duel"]["health"]) == len(rounds) + 1


def test_it_ends_when_the_photos_worldnet_has_guessed_run_out(image_set, model_version):
    photos = list(image_set.photos.order_by("id").values_list("id", flat=True))
    Prediction.objects.exclude(photo_id__in=photos[:3]).delete()  # worldNET has guessed three photos
    game = start_duel(image_set)
    for _ in range(3):
        guess_like_worldnet(game)
    game.refresh_from_db()
    played = set(game.rounds.values_list("photo_id", flat=True))
    assert played == set(photos[:3]) and game.finished_at is not None and game.rounds.count() == 3
    assert (game.player_health, game.worldnet_health) == (6000, 6000)
    last = Round.objects.select_related("game", "photo").get(game=game, index=2)
    shown = presentation.round_reveal(round=last)["duel"]
    assert shown["over"] is True and shown["winner"] == "draw" and shown["ended_by"] == "no_photos_left"


def test_worldnet_locks_in_later_when_unsure_and_the_countdown_follows(image_set, model_version):
    game = start_duel(image_set)
    t0 = timezone.now()
    round = open_round(game, now=t0)
    Round.objects.filter(pk=round.pk).update(lock_draw=0.5)
    round.refresh_from_db()
    times = {}
    for confidence in (0.9, 0.2):  # its candidates, as attached to the round when it was drawn
        round.worldnet_candidates = [{"place": "Paris", "probability": confidence}, {"place": "London", "probability": 1 - confidence}]
        times[confidence] = duel_mode.worldnet_locks_at(round)
    assert times[0.9] < times[0.2]
    locks_at = times[0.2]
    assert locks_at == t0 + timedelta(seconds=duel.lock_in_delay_s(confidence=0.2, draw=0.5))
    before = duel_mode.round_state(round=round, now=locks_at - timedelta(seconds=0.5))
    after = duel_mode.round_state(round=round, now=locks_at + timedelta(seconds=5))
    assert before == {"index": 0, "guessed": False, "locked": False, "seconds_left": None}
    assert after == {"index": 0, "guessed": False, "locked": True, "seconds_left": pytest.approx(10.0)}
    assert engine.seconds_left(round, locks_at - timedelta(seconds=1)) is None  # no clock before the lock-in


def test_a_player_who_guesses_first_has_no_countdown(image_set, model_version):
    game = start_duel(image_set)
    t0 = timezone.now()
    round = open_round(game, now=t0)
    assert duel_mode.worldnet_locks_at(round) > t0 + timedelta(seconds=duel.LOCK_IN_MIN_SECONDS - 0.01)
    scored = engine.guess_submit(game=game, index=0, lat=10.0, lon=10.0, now=t0 + timedelta(seconds=2))
    assert not scored.timed_out and scored.guess_lat == 10.0


def test_the_server_refuses_a_guess_after_the_countdown(image_set, model_version, settings):
    game = start_duel(image_set)
    t0 = timezone.now()
    round = open_round(game, now=t0)
    deadline = duel_mode.worldnet_locks_at(round) + timedelta(seconds=duel.COUNTDOWN_SECONDS)
    late = deadline + timedelta(seconds=settings.GUESS_GRACE_SECONDS + 0.5)
    with pytest.raises(GameError, match="time is up") as error:
        engine.guess_submit(game=game, index=0, lat=round.photo.lat, lon=round.photo.lon, now=late)
    assert error.value.status == 409
    round.refresh_from_db()
    assert round.timed_out and round.points == 0 and round.guess_lat is None
    # It still counts as a round of the duel: worldNET's score hurt the player.
    assert (
        round.worldnet_points is not None
        and round.player_health == 6000 - duel.damage(player_points=0, worldnet_points=round.worldnet_points, round_number=1).to_player
    )


def test_only_the_end_of_the_countdown_may_end_a_round_without_a_pin(image_set, model_version):
    game = start_duel(image_set)
    t0 = timezone.now()
    round = open_round(game, now=t0)
    deadline = duel_mode.worldnet_locks_at(round) + timedelta(seconds=duel.COUNTDOWN_SECONDS)
    for early in (t0 + timedelta(seconds=1), deadline - timedelta(seconds=5)):
        with pytest.raises(GameError, match="needs a place on the map"):
            engine.guess_submit(game=game, index=0, lat=None, lon=None, now=early)
    timed_out = engine.guess_submit(game=game, index=0, lat=None, lon=None, now=deadline)
    assert timed_out.timed_out and timed_out.points == 0


def test_worldnets_guess_is_the_rounds_from_its_draw_whatever_becomes_of_the_prediction(image_set, model_version):
    game = start_duel(image_set)
    t0 = timezone.now()
    round = open_round(game, now=t0)
    prediction = worldnet_of(round)
    locks_at = duel_mode.worldnet_locks_at(round)
    prediction.delete()  # e.g. recomputed under way, or its version deleted
    assert duel_mode.worldnet_locks_at(Round.objects.get(pk=round.pk)) == locks_at  # it locks in as it was going to
    scored = engine.guess_submit(game=game, index=0, lat=round.photo.lat, lon=round.photo.lon, now=locks_at + timedelta(seconds=1))
    scored.refresh_from_db()
    assert (scored.worldnet_lat, scored.worldnet_lon) == (prediction.lat, prediction.lon) and scored.worldnet_points is not None
    reveal = presentation.round_reveal(round=Round.objects.select_related("game", "photo").get(pk=scored.pk))
    assert reveal["worldnet"]["lat"] == prediction.lat and reveal["duel"]["worldnet_points"] == scored.worldnet_points


def test_without_a_guess_of_worldnets_the_round_has_no_countdown_and_worldnet_scores_nothing(image_set, model_version):
    """A round drawn before worldNET's guess was attached to rounds, whose prediction has gone since."""
    game = start_duel(image_set)
    t0 = timezone.now()
    round = open_round(game, now=t0)
    worldnet_of(round).delete()
    Round.objects.filter(pk=round.pk).update(worldnet_lat=None, worldnet_lon=None, worldnet_candidates=[], worldnet_version=None)
    round = Round.objects.select_related("game", "photo").get(pk=round.pk)
    assert duel_mode.worldnet_locks_at(round) is None
    assert duel_mode.round_state(round=round, now=t0 + timedelta(minutes=5))["locked"] is False
    scored = engine.guess_submit(game=game, index=0, lat=round.photo.lat, lon=round.photo.lon, now=t0 + timedelta(minutes=5))
    scored.refresh_from_db()
    assert scored.worldnet_points == 0 and scored.worldnet_health == 6000 - scored.points
    reveal = presentation.round_reveal(round=Round.objects.select_related("game", "photo").get(pk=scored.pk))
    assert reveal["worldnet"] is None and reveal["duel"]["worldnet_points"] == 0


def test_nothing_of_worldnets_guess_is_in_the_round_state(image_set, model_version):
    game = start_duel(image_set)
    round = open_round(game)
    for now in (timezone.now(), timezone.now() + timedelta(seconds=30)):
        state = duel_mode.round_state(round=round, now=now)
        assert set(state) == {"index", "guessed", "locked", "seconds_left"}
    with pytest.raises(GameError, match="after the guess"):
        presentation.round_reveal(round=round)


def test_a_challenge_meets_the_same_worldnet_on_the_same_photos(image_set, model_version, tmp_path):
    game = start_duel(image_set)
    for _ in range(3):
        guess_like_worldnet(game)
    Round.objects.filter(game=game, guessed_at__isnull=True).delete()
    Game.objects.filter(pk=game.pk).update(finished_at=timezone.now())
    # Another version becomes worldNET: the challenge still meets the first.
    other = ModelVersion.objects.create(name="newer", checkpoint="x.pt")
    ModelVersion.objects.filter(pk=model_version.pk).update(is_active=False)
    ModelVersion.objects.filter(pk=other.pk).update(is_active=True)
    replay = services.game_start_challenge(original=game, player_name="Bob", owner_key="owner-2")
    assert replay.mode == DUEL and replay.model_version_id == model_version.pk and not replay.ranked
    for _ in range(4):
        guess_like_worldnet(replay)
    original = list(game.rounds.order_by("index").values_list("photo_id", flat=True))
    replayed = list(replay.rounds.order_by("index").values_list("photo_id", flat=True))
    assert replayed[:3] == original and len(set(replayed)) == len(replayed) >= 4  # then photos of its own
    model_version.delete()
    game.refresh_from_db()
    with pytest.raises(GameError, match="removed") as error:
        services.game_start_challenge(original=game, player_name="Cy", owner_key="owner-3")
    assert error.value.status == 410


def finished_duel(image_set, name: str, player_health: int, worldnet_health: int, **extra) -> Game:
    game = start_duel(image_set, name=name)
    Game.objects.filter(pk=game.pk).update(
        player_health=player_health, worldnet_health=worldnet_health, finished_at=timezone.now(), **extra
    )
    return game


def test_the_records_list_who_beat_worldnet_and_its_win_rate(image_set, model_version):
    finished_duel(image_set, "Ann", 1200, 0)
    finished_duel(image_set, "Bo", 4500, 0)
    finished_duel(image_set, "Cy", 0, 300)
    finished_duel(image_set, "Di", 0, 5000)
    finished_duel(image_set, "Ed", 2000, 2000)  # photos ran out level: a draw
    finished_duel(image_set, "Cheat", 6000, 0, ranked=False)  # a replayed challenge
    start_duel(image_set, name="Unfinished")
    assert [g.player_name for g in selectors.duel_winners(image_set=image_set)] == ["Bo", "Ann"]  # the biggest win first
    record = selectors.worldnet_record(image_set=image_set)
    assert (record.duels, record.worldnet_wins, record.win_rate) == (5, 2, 0.4)
    assert selectors.leaderboard(image_set=image_set) == []  # duels are not classic games


def test_no_duel_no_win_rate(image_set):
    assert selectors.worldnet_record(image_set=image_set).win_rate is None


def test_a_duel_needs_photos_the_active_worldnet_has_guessed(image_set, model_version):
    Prediction.objects.all().delete()  # the version is active, its predictions are still being computed
    with pytest.raises(GameError, match="has not looked at the photos") as error:
        start_duel(image_set)
    assert error.value.status == 409 and not Game.objects.exists()  # no game left half made


def test_a_duel_draws_no_disabled_photo_and_its_challenge_skips_one_disabled_since(image_set, model_version):
    from geoguess.imagesets.models import Photo

    photos = list(image_set.photos.order_by("id").values_list("id", flat=True))
    Photo.objects.filter(pk__in=photos[4:]).update(enabled=False)
    game = start_duel(image_set)
    for _ in range(4):
        guess_like_worldnet(game)
    game.refresh_from_db()
    assert set(game.rounds.values_list("photo_id", flat=True)) == set(photos[:4]) and game.finished_at is not None
    first = game.rounds.get(index=0).photo_id
    Photo.objects.filter(pk=first).update(enabled=False)
    replay = services.game_start_challenge(original=game, player_name="Bob", owner_key="owner-2")
    assert replay.rounds.get(index=0).photo_id in set(photos[:4]) - {first}


def test_a_duel_whose_worldnet_is_deleted_ends_with_the_round_under_way(image_set, model_version):
    game = start_duel(image_set)
    round = open_round(game)
    Prediction.objects.filter(photo=image_set.photos.exclude(pk=round.photo_id).first()).delete()  # a photo no version has guessed
    model_version.delete()
    game.refresh_from_db()
    played = engine.guess_submit(game=game, index=0, lat=round.photo.lat, lon=round.photo.lon)
    played.refresh_from_db()
    game.refresh_from_db()
    # The round keeps the guess drawn with it (and scores it); the version's deletion ends the duel there.
    assert played.worldnet_lat is not None and played.worldnet_version_id is None
    assert played.worldnet_points == duel.points(played.worldnet_distance_km, scale_km=image_set.scale_km)
    # No next round: not one drawn from the photos no version has guessed (the pool's filter on a
    # version id of None), against an opponent that can only score 0.
    assert game.finished_at is not None and game.rounds.count() == 1
