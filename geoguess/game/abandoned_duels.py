"""Rated duels their players left: played out by the clock, as if the player had stayed and pinned nothing.

A duel's clock runs only while a round is on the player's screen (worldNET locks in, then the countdown),
so a player who closes the tab on a losing duel, or on its reveal, stops it, and a duel never finished is
never rated: quitting would cost nothing. ``manage.py settle_abandoned_duels`` and Celery beat's task
(``tasks.py``) settle every rated duel left alone for ``rules.DUEL_ABANDONED_AFTER_MINUTES``
(``selectors.abandoned_duels`` says which): each round still to play times out (0 points for the player,
as the countdown would have scored it), worldNET scores the guess it has stored for the round, the damage
is dealt as in play, and rounds are drawn until a side is knocked out (or no photo is left). The duel then
ends as any other (``game_finished``: the account's duel is rated), so the result is the one the game's
own rules give, not an arbitrary forfeit.

Only what is rated is settled: guests' duels and replayed challenges stay as they were (settling them
would only add worldNET wins nobody played to its records and to challenge results), and so do duels
whose player never saw a round, and those left before the sweep existed (``DUEL_ABANDONED_AT_MOST_DAYS``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from geoguess import rules
from geoguess.game import engine, selectors
from geoguess.game.errors import GameError
from geoguess.game.models import Game

logger = logging.getLogger(__name__)

#: Rounds played out of one duel in one go at most: a duel that worldNET cannot hurt (it scores 0) ends when the
#: photos run out, over later runs.
MAX_ROUNDS_AT_ONCE = 100
#: Duels settled by one run at most: a run stays short, and the next one takes the rest.
MAX_DUELS_AT_ONCE = 200
#: A round never shown is settled as if shown this long ago: its lock-in and countdown are over by now (its times
#: are nominal: what is scored is the time-out, as the clock would have scored it).
_CLOCK_SPAN = timedelta(seconds=rules.DUEL_ROUND_MAX_SECONDS + 1)


@dataclass(frozen=True)
class Settled:
    """What a run did: duels played out to their end, and duels it left (a player back, a round with no clock, an error)."""

    ended: int
    left_open: int


def duel_play_out(*, game: Game, now: datetime) -> bool:
    """Times out the duel's rounds one after another, each scored and settled by the engine as in play, until it
    ends; whether it has. Stops, leaving the duel to its player, as soon as a round was shown or guessed after
    ``now`` less the idle time (the player came back since the duel was listed) or after ``now`` (while this
    runs); and at a round with no clock (no guess of worldNET's attached), which cannot time out.

    The engine is the last guard: it re-reads the round under its lock and refuses to time out a round whose
    clock has not run out (``GameError``), so a round the player opens at the very moment stays theirs.
    """
    if selectors.activity_since(game, now - timedelta(minutes=rules.DUEL_ABANDONED_AFTER_MINUTES)):
        return False
    for _ in range(MAX_ROUNDS_AT_ONCE):
        round = selectors.current_round(game)
        if round is None:
            return True
        # This run's own writes are at ``now`` or before it: anything later is the player's.
        if selectors.activity_since(game, now) or not round.worldnet_attached:
            return False
        if round.started_at is None:
            engine.round_open(round=round, now=now - _CLOCK_SPAN)
        deadline = engine.round_deadline(round)
        if deadline is None or deadline > now:
            return False
        engine.guess_submit(game=game, index=round.index, lat=None, lon=None, now=now)
    return selectors.current_round(game) is None


def abandoned_duels_settle(*, now: datetime | None = None) -> Settled:
    """Plays out the rated duels left alone (see the module): each at the moment it is taken (``now`` for all, in
    tests). One duel's failure is logged and the others are still settled."""
    ended = left_open = 0
    for game in selectors.abandoned_duels(now=now or timezone.now(), limit=MAX_DUELS_AT_ONCE):
        try:
            finished = duel_play_out(game=game, now=now or timezone.now())
        except GameError:  # the player guessed first (already guessed, out of order, time not up): theirs to play on
            finished = False
        except Exception:
            logger.exception("could not play out abandoned duel %s", game.public_id)
            finished = False
        ended += finished
        left_open += not finished
    return Settled(ended=ended, left_open=left_open)
