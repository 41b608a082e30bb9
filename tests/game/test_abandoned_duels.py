"""Rated duels their players left (``game/abandoned_duels.py``, ``manage.py settle_abandoned_duels``, beat's task):
played out by the clock through the round engine (every round left times out, worldNET scores its stored guesses,
the damage is dealt) and rated once. Left as they are: duels touched lately or left before the sweep existed, a
player who comes back while the sweep runs, rounds on screen with time left, rounds with no clock, guests' duels,
replays, duels never seen, other modes."""

from __future__ import annotations

import io
import logging
import os
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from geoguess import rules
from geoguess.accounts.models import Rating, RatingChange
from geoguess.game import abandoned_duels as sweep
from geoguess.game import engine, selectors, services
from geoguess.game.abandoned_duels import abandoned_duels_settle, duel_play_out
from geoguess.game.models import CLASSIC, DUEL, Game, Round

pytestmark = pytest.mark.django_db

IDLE = timedelta(minutes=rules.DUEL_ABANDONED_AFTER_MINUTES)
LATER = IDLE + timedelta(minutes=1)


def account(name: str = "ana"):
    return get_user_model().objects.create_user(username=name, password="a long enough password 123")


@pytest.fixture
def start_duel(image_set, model_version):
    def start(player=None, owner: str = "owner-1") -> Game:
        return services.game_start(
            image_set=image_set, player_name="Dee", owner_key=owner, mode=DUEL, seed=0, account_id=player.pk if player else None
        )

    return start


def lose_first_round(game: Game, capture) -> Round:
    """Round 0 shown and guessed on the answer's antipode (0 points): the player is behind when they leave."""
    round = selectors.current_round(game)
    engine.round_open(round=round)
    photo = round.photo
    with capture(execute=True):
        return engine.guess_submit(game=game, index=0, lat=-photo.lat, lon=photo.lon - 180 if photo.lon > 0 else photo.lon + 180)


def test_a_duel_left_on_its_reveal_is_played_out_by_the_clock_and_rated_as_the_loss_it_is(
    start_duel, model_version, django_capture_on_commit_callbacks
):
    ana = account()
    game = start_duel(ana)
    first = lose_first_round(game, django_capture_on_commit_callbacks)
    assert first.points == 0 and not Rating.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        settled = abandoned_duels_settle(now=timezone.now() + LATER)

    game.refresh_from_db()
    assert (settled.ended, settled.left_open) == (1, 0) and game.finished_at is not None
    assert game.ended_by in ("knockout", "no_photos_left")
    assert rules.Health(game.player_health, game.worldnet_health).winner == "worldnet"
    later = list(game.rounds.filter(index__gt=0).order_by("index"))
    assert later and all(r.timed_out and r.points == 0 and r.guess_lat is None for r in later)
    # Scored by the engine as in play: worldNET's stored guess, the damage of each round, health carried over.
    assert all(r.worldnet_attached and r.worldnet_points is not None and r.damage_to_player is not None for r in later)
    health = first.player_health
    for r in later:
        assert r.player_health == max(0, health - r.damage_to_player)  # health stops at 0
        health = r.player_health
    mine = Rating.objects.get(account=ana)
    assert (mine.games, mine.losses) == (1, 1) and RatingChange.objects.get(rating=mine).result == "loss"
    assert Rating.objects.get(model_version=model_version).wins == 1


def test_settling_again_rates_nothing_twice(start_duel, django_capture_on_commit_callbacks):
    ana = account()
    lose_first_round(start_duel(ana), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert abandoned_duels_settle(now=timezone.now() + LATER).ended == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert abandoned_duels_settle(now=timezone.now() + 2 * LATER).ended == 0
    assert RatingChange.objects.filter(rating__account=ana).count() == 1


def test_what_is_not_rated_or_not_left_is_never_listed(start_duel, image_set, django_capture_on_commit_callbacks):
    left = start_duel(account("ana"), owner="left")
    lose_first_round(left, django_capture_on_commit_callbacks)
    guest = start_duel(owner="guest")  # a guest's duel: never rated, so never settled
    lose_first_round(guest, django_capture_on_commit_callbacks)
    never_seen = start_duel(account("bob"), owner="bounce")  # round 0 never shown: no duel was left
    finished = start_duel(account("cy"), owner="done")
    Game.objects.filter(pk=finished.pk).update(finished_at=timezone.now())
    classic = services.game_start(image_set=image_set, player_name="Cy", owner_key="classic", mode=CLASSIC, account_id=account("dee").pk)
    engine.round_open(round=classic.rounds.get(index=0))
    assert selectors.abandoned_duels(now=timezone.now() + IDLE - timedelta(minutes=1), limit=10) == []  # not idle long enough
    assert [g.pk for g in selectors.abandoned_duels(now=timezone.now() + LATER, limit=10)] == [left.pk]
    # Left before the sweep existed (longer ago than the most): left as it is.
    assert selectors.abandoned_duels(now=timezone.now() + timedelta(days=rules.DUEL_ABANDONED_AT_MOST_DAYS, minutes=1), limit=10) == []
    assert never_seen.rounds.filter(guessed_at__isnull=False).count() == 0


def test_a_replayed_challenge_is_never_settled(start_duel, django_capture_on_commit_callbacks):
    original = start_duel(account("ana"), owner="first")
    Game.objects.filter(pk=original.pk).update(finished_at=timezone.now())
    original.refresh_from_db()
    replay = services.game_start_challenge(original=original, player_name="Bo", owner_key="bo", account_id=account("bo").pk)
    lose_first_round(replay, django_capture_on_commit_callbacks)
    assert selectors.abandoned_duels(now=timezone.now() + LATER, limit=10) == []


def test_a_player_back_while_it_runs_keeps_their_duel(start_duel, django_capture_on_commit_callbacks):
    """The sweep lists the idle duels once; a player who guesses before their duel's turn comes keeps it."""
    game = start_duel(account())
    lose_first_round(game, django_capture_on_commit_callbacks)
    now = timezone.now() + LATER
    assert [g.pk for g in selectors.abandoned_duels(now=now, limit=10)] == [game.pk]
    # The player comes back (the real clock: after the listing's moment) and opens round 1.
    Round.objects.filter(game=game, index=1).update(started_at=now + timedelta(seconds=5))
    assert duel_play_out(game=game, now=now + timedelta(seconds=10)) is False
    assert not game.rounds.filter(index__gte=1, guessed_at__isnull=False).exists()
    assert Game.objects.get(pk=game.pk).finished_at is None


def test_a_round_on_screen_with_time_left_is_never_timed_out(start_duel):
    game = start_duel(account())
    round = selectors.current_round(game)
    engine.round_open(round=round)
    assert duel_play_out(game=game, now=timezone.now()) is False
    round.refresh_from_db()
    assert round.guessed_at is None and Game.objects.get(pk=game.pk).finished_at is None


def test_a_round_with_no_clock_leaves_the_duel_open_and_unshown(start_duel, django_capture_on_commit_callbacks):
    """A round with no guess of worldNET's (its prediction gone before guesses were attached) has no countdown."""
    game = start_duel(account())
    lose_first_round(game, django_capture_on_commit_callbacks)
    Round.objects.filter(game=game, index=1).update(worldnet_lat=None, worldnet_lon=None)
    settled = abandoned_duels_settle(now=timezone.now() + LATER)
    assert (settled.ended, settled.left_open) == (0, 1)
    assert Game.objects.get(pk=game.pk).finished_at is None
    assert game.rounds.get(index=1).started_at is None  # not marked shown: the player never saw it


def test_one_duel_that_fails_is_logged_and_the_others_are_settled(start_duel, django_capture_on_commit_callbacks, monkeypatch, caplog):
    broken, fine = start_duel(account("ana"), owner="a"), start_duel(account("bob"), owner="b")
    for game in (broken, fine):
        lose_first_round(game, django_capture_on_commit_callbacks)
    play_out = sweep.duel_play_out

    def failing(*, game, now):
        if game.pk == broken.pk:
            raise RuntimeError("database is locked")
        return play_out(game=game, now=now)

    monkeypatch.setattr(sweep, "duel_play_out", failing)
    with caplog.at_level(logging.ERROR, logger=sweep.__name__):
        settled = abandoned_duels_settle(now=timezone.now() + LATER)
    assert (settled.ended, settled.left_open) == (1, 1)
    assert Game.objects.get(pk=fine.pk).finished_at is not None and Game.objects.get(pk=broken.pk).finished_at is None
    assert any(broken.public_id in record.getMessage() for record in caplog.records)


def test_the_command_plays_out_what_was_left(start_duel, django_capture_on_commit_callbacks):
    game = start_duel(account())
    lose_first_round(game, django_capture_on_commit_callbacks)
    long_ago = timezone.now() - LATER
    Round.objects.filter(game=game).exclude(started_at=None).update(started_at=long_ago)
    Round.objects.filter(game=game).exclude(guessed_at=None).update(guessed_at=long_ago)
    call_command("settle_abandoned_duels", stdout=(out := io.StringIO()))
    assert out.getvalue().startswith("played out 1 abandoned duel(s); 0 left")
    assert Game.objects.get(pk=game.pk).finished_at is not None


def test_beat_runs_the_task_every_five_minutes_by_default_and_drops_runs_it_could_not_take(start_duel, django_capture_on_commit_callbacks):
    from geoguess.celery import app
    from geoguess.game import tasks

    every = float(os.environ.get("SETTLE_ABANDONED_DUELS_EVERY_S", 300))
    entry = app.conf.beat_schedule["settle-abandoned-duels"]
    assert entry["task"] == tasks.settle_abandoned_duels.name and entry["schedule"] == every
    assert entry["options"]["expires"] == every
    game = start_duel(account())
    lose_first_round(game, django_capture_on_commit_callbacks)
    Round.objects.filter(game=game).exclude(guessed_at=None).update(guessed_at=timezone.now() - LATER, started_at=timezone.now() - LATER)
    assert tasks.settle_abandoned_duels() == 1 and Game.objects.get(pk=game.pk).finished_at is not None
