"""Duels their players left (``game/abandoned_duels.py``, ``manage.py settle_abandoned_duels``): played out by the
clock through the round engine (every round left times out, worldNET scores its stored guesses, the damage is
dealt) and rated once; duels touched lately, rounds on screen with time left, other modes and rounds with no clock
are left as they are."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from geoguess import rules
from geoguess.accounts.models import Rating, RatingChange
from geoguess.game import engine, selectors, services
from geoguess.game.abandoned_duels import ABANDONED_AFTER, abandoned_duels, abandoned_duels_settle, duel_play_out
from geoguess.game.models import CLASSIC, DUEL, Game, Round

pytestmark = pytest.mark.django_db

LATER = ABANDONED_AFTER + timedelta(minutes=1)


@pytest.fixture
def start_duel(image_set, model_version):
    def start(account=None, owner: str = "owner-1") -> Game:
        return services.game_start(
            image_set=image_set, player_name="Dee", owner_key=owner, mode=DUEL, seed=0, account_id=account.pk if account else None
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
    ana = get_user_model().objects.create_user(username="ana", password="a long enough password 123")
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
    ana = get_user_model().objects.create_user(username="ana", password="a long enough password 123")
    lose_first_round(start_duel(ana), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert abandoned_duels_settle(now=timezone.now() + LATER).ended == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert abandoned_duels_settle(now=timezone.now() + 2 * LATER).ended == 0
    assert RatingChange.objects.filter(rating__account=ana).count() == 1


def test_a_duel_touched_lately_a_finished_one_and_other_modes_are_left_alone(start_duel, image_set, django_capture_on_commit_callbacks):
    recent = start_duel(owner="recent")
    lose_first_round(recent, django_capture_on_commit_callbacks)
    classic = services.game_start(image_set=image_set, player_name="Cy", owner_key="classic", mode=CLASSIC)
    assert abandoned_duels(now=timezone.now() + ABANDONED_AFTER - timedelta(minutes=1)) == []
    assert [game.pk for game in abandoned_duels(now=timezone.now() + LATER)] == [recent.pk]  # not the classic game

    # A guess stored after the duel started is what counts, not its start.
    Game.objects.filter(pk=recent.pk).update(created_at=timezone.now() - 2 * LATER)
    assert abandoned_duels(now=timezone.now() + timedelta(minutes=5)) == []
    assert not classic.rounds.filter(guessed_at__isnull=False).exists()


def test_a_round_on_screen_with_time_left_is_never_timed_out(start_duel):
    game = start_duel()
    round = selectors.current_round(game)
    engine.round_open(round=round)
    assert duel_play_out(game=game) is False
    round.refresh_from_db()
    assert round.guessed_at is None and Game.objects.get(pk=game.pk).finished_at is None


def test_a_round_with_no_clock_leaves_the_duel_open(start_duel):
    """A round with no guess of worldNET's (its prediction gone before guesses were attached) has no countdown."""
    game = start_duel()
    Round.objects.filter(game=game).update(worldnet_lat=None, worldnet_lon=None)
    settled = abandoned_duels_settle(now=timezone.now() + LATER)
    assert (settled.ended, settled.left_open) == (0, 1)
    assert Game.objects.get(pk=game.pk).finished_at is None and not game.rounds.filter(guessed_at__isnull=False).exists()


def test_a_guests_duel_is_played_out_and_rated_never(start_duel):
    game = start_duel(owner="guest")
    assert abandoned_duels_settle(now=timezone.now() + LATER).ended == 1
    game.refresh_from_db()
    assert game.finished_at is not None and not Rating.objects.exists()
    assert all(r.timed_out for r in game.rounds.all())


def test_the_command_plays_out_what_was_left_and_refuses_a_wait_shorter_than_a_minute(start_duel):
    game = start_duel(owner="left")
    long_ago = timezone.now() - 2 * LATER
    Game.objects.filter(pk=game.pk).update(created_at=long_ago)
    call_command("settle_abandoned_duels", stdout=(out := io.StringIO()))
    assert out.getvalue().startswith("played out 1 abandoned duel(s)")
    assert Game.objects.get(pk=game.pk).finished_at is not None
    for idle in ("0.5", "nan"):
        with pytest.raises(CommandError, match="at least 1"):
            call_command("settle_abandoned_duels", "--idle-minutes", idle)


def test_beat_schedules_the_task_every_five_minutes_by_default(start_duel):
    from geoguess.celery import app
    from geoguess.game import tasks

    entry = app.conf.beat_schedule["settle-abandoned-duels"]
    assert entry["task"] == tasks.settle_abandoned_duels.name and entry["schedule"] == 300.0
    game = start_duel(owner="left")
    Game.objects.filter(pk=game.pk).update(created_at=timezone.now() - 2 * LATER)
    assert tasks.settle_abandoned_duels() == 1 and Game.objects.get(pk=game.pk).finished_at is not None
