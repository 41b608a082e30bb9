"""Duels their players left: played out by the clock, as if the player had stayed and pinned nothing.

A duel's clock runs only while a round is on the player's screen (worldNET locks in, then the countdown),
so a player who closes the tab on a losing duel, or on its reveal, stops it, and a duel never finished is
never rated: quitting would cost nothing. ``manage.py settle_abandoned_duels`` (cron) settles every duel
left alone for ``ABANDONED_AFTER``: each round still to play times out (0 points for the player, as the
countdown would have scored it), worldNET scores the guess it has stored for the round, the damage is
dealt as in play, and rounds are drawn until a side is knocked out (or no photo is left). The duel then
ends as any other (``game_finished``: an account's ranked duel is rated), so the result is the one the
game's own rules give, not an arbitrary forfeit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from geoguess import rules
from geoguess.game import engine, selectors
from geoguess.game.errors import GameError
from geoguess.game.models import DUEL, Game

#: How long a duel may sit untouched (no round shown, no guess) before it is played out.
ABANDONED_AFTER = timedelta(minutes=30)
#: Rounds played out in one go at most: a duel that worldNET cannot hurt (it scores 0) ends when the photos run out, later.
MAX_ROUNDS_AT_ONCE = 100
#: A round never shown is settled as if shown this long ago: its lock-in and countdown are over by now (its times are
#: nominal: what is scored is the time-out, as the clock would have scored it).
_CLOCK_SPAN = timedelta(seconds=rules.LOCK_IN_MAX_SECONDS + rules.COUNTDOWN_SECONDS + 1)


@dataclass(frozen=True)
class Settled:
    """What a sweep did: duels played out to their end, and duels it could not end (a round with no clock)."""

    ended: int
    left_open: int


def abandoned_duels(*, idle: timedelta = ABANDONED_AFTER, now: datetime | None = None) -> list[Game]:
    """Unfinished duels in which nothing has happened for ``idle``: no round started, no guess stored."""
    cutoff = (now or timezone.now()) - idle
    candidates = (
        Game.objects.filter(mode=DUEL, finished_at__isnull=True, created_at__lte=cutoff)
        .annotate(last_shown=Max("rounds__started_at"), last_guessed=Max("rounds__guessed_at"))
        .order_by("pk")
    )
    return [game for game in candidates if all(moment is None or moment <= cutoff for moment in (game.last_shown, game.last_guessed))]


def duel_play_out(*, game: Game, now: datetime | None = None) -> bool:
    """Times out the duel's rounds one after another, each scored and settled by the engine as in play, until
    it ends; whether it has. A round with no clock (no guess of worldNET's attached) cannot time out: the duel
    is left as it is."""
    now = now or timezone.now()
    for _ in range(MAX_ROUNDS_AT_ONCE):
        round = selectors.current_round(game)
        if round is None:
            return True
        if round.started_at is None:
            engine.round_open(round=round, now=now - _CLOCK_SPAN)
        deadline = engine.round_deadline(round)
        if deadline is None or deadline > now:
            return False
        engine.guess_submit(game=game, index=round.index, lat=None, lon=None, now=now)
    return selectors.current_round(game) is None


def abandoned_duels_settle(*, idle: timedelta = ABANDONED_AFTER, now: datetime | None = None) -> Settled:
    """Plays out every duel left alone for ``idle`` (see the module). A player who comes back just then meets
    the round's lock: whichever stores the round first scores it; when it is the player, this run leaves the duel."""
    now = now or timezone.now()
    ended = left_open = 0
    for game in abandoned_duels(idle=idle, now=now):
        try:
            finished = duel_play_out(game=game, now=now)
        except GameError:  # the player guessed first (already guessed, or out of order): their game goes on
            finished = False
        ended += finished
        left_open += not finished
    return Settled(ended=ended, left_open=left_open)
