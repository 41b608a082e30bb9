"""The rules of the game, in one place: every number a player meets, and the small pure functions they feed.

Read this file to know how the game plays; change a rule here and every page, API and test follows
(templates and JavaScript receive these numbers from the server, through ``for_pages``).

Classic games: ``ROUNDS_PER_GAME`` rounds (or another of ``ROUND_COUNTS``), each scored by great-circle distance with GeoGuessr's
formula (``points``: 5,000 for a perfect guess, falling with distance over the image set's scale D;
the formula itself is ``worldnet_core.geo.geoguessr_points``, which the model's report shares)::

    >>> points(0.0, scale_km=14916.862), points(1000.0, scale_km=14916.862)
    (5000, 2558)

A round may have a time limit (``TIME_LIMITS``); a guess up to ``guess_grace()`` after it still counts
(the network's latency), a later one scores 0.

Duels against worldNET: both sides start with ``START_HEALTH``; each round the lower score loses the
difference times the round's multiplier::

    >>> multiplier(1), multiplier(4), multiplier(5), multiplier(6), multiplier(9)
    (1.0, 1.0, 1.5, 2.0, 3.5)
    >>> damage(player_points=4200, worldnet_points=3000, round_number=5)
    Damage(to_player=0, to_worldnet=1800)
    >>> h = after_round(Health(6000, 6000), damage(player_points=100, worldnet_points=5000, round_number=2))
    >>> h, duel_end(h, next_photo=True)
    (Health(player=1100, worldnet=6000), None)

The duel ends when a side reaches 0 health or the image set has no photo left for another round
(``duel_end`` says which); the side with more health wins (equal health: a draw).

worldNET "locks in" a few seconds into each round, later when it is unsure; the player then has
``COUNTDOWN_SECONDS`` to guess::

    >>> lock_in_delay_s(confidence=1.0, draw=0.5)
    3.0
    >>> lock_in_delay_s(confidence=0.9, draw=0.5) < lock_in_delay_s(confidence=0.2, draw=0.5)
    True
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from django.conf import settings

from worldnet_core.geo import MAX_POINTS, geoguessr_points
from worldnet_core.metrics import COHERENCE_KM, SHOWN_CANDIDATES

# --- every game ----------------------------------------------------------------------------------

#: Rounds of a classic game by default; also the fewest enabled photos an image set needs to be offered.
ROUNDS_PER_GAME = 5
#: The lengths a player may choose for a classic game (a set with fewer photos than one offers the others).
ROUND_COUNTS = (3, 5, 10)
#: The time limits a classic game may have, in seconds per round; 0: no limit.
TIME_LIMITS = (0, 30, 60, 120)
#: A display name's length, in characters, once runs of spaces are collapsed.
PLAYER_NAME_MAX_LENGTH = 40
#: Photos of the daily challenge: the same ones for everyone each day, no time limit (``game/modes/daily.py``).
DAILY_ROUNDS = 5

__all__ = ["COHERENCE_KM", "MAX_POINTS"]  # the report's figures, re-exported for the game's pages

Winner = Literal["player", "worldnet", "draw"]


#: A round may end without a pin (its clock ran out with none placed) this long before its deadline at
#: the earliest: the page's clock and the server's may differ by a little.
TIME_OUT_EARLY_SECONDS = 1.0


def classic_winner(*, player_total: int, worldnet_total: int) -> Winner:
    """Who won a classic game, once worldNET has played every round: the better total (equal: a draw)."""
    if player_total == worldnet_total:
        return "draw"
    return "player" if player_total > worldnet_total else "worldnet"


def guess_grace() -> timedelta:
    """How long after its deadline a guess still counts: the request's time on the network.
    An operator's setting (``GUESS_GRACE_SECONDS``, 3 s by default), as it depends on the network."""
    return timedelta(seconds=settings.GUESS_GRACE_SECONDS)


def points(distance_km: float, *, scale_km: float) -> int:
    """A guess's points: ``round(5000 * exp(-10 * d / D))`` with D the image set's scale."""
    return int(geoguessr_points(distance_km, scale_km))


# --- the reveal ----------------------------------------------------------------------------------

#: worldNET's candidates shown after the guess: the same number the model anchors its guess on.
REVEAL_CANDIDATES = SHOWN_CANDIDATES
#: ...of those, the ones it gave at least this probability (the first always): under 1% a bar would read "0%".
REVEAL_CANDIDATE_MIN_PROBABILITY = 0.01
#: Within this distance of one of its candidates, worldNET's pin is described as "near" it.
NEAR_CANDIDATE_KM = 300.0

# --- duels against worldNET ----------------------------------------------------------------------

START_HEALTH = 6000
#: The seconds the player has to guess once worldNET has locked in.
COUNTDOWN_SECONDS = 15
#: Rounds 1 to 4 deal the score difference as it is; from round 5 on, +0.5 a round.
PLAIN_ROUNDS = 4
MULTIPLIER_STEP = 0.5
#: worldNET's lock-in: at least this many seconds into a round (a sure guess), at most the max (a blind one).
LOCK_IN_MIN_SECONDS = 3.0
LOCK_IN_MAX_SECONDS = 20.0
#: How far the random draw stretches or shrinks the confidence's delay (±20%): an opponent, not a metronome.
LOCK_IN_JITTER = 0.2
#: The longest a duel's round can be on screen before its clock runs out: the latest lock-in, then the countdown.
DUEL_ROUND_MAX_SECONDS = LOCK_IN_MAX_SECONDS + COUNTDOWN_SECONDS
#: A duel with nothing shown or guessed for this long has been left: it is played out by its clock
#: (``game/abandoned_duels.py``); one left longer than the most, before the sweep existed, is left as it is.
DUEL_ABANDONED_AFTER_MINUTES = 30
DUEL_ABANDONED_AT_MOST_DAYS = 2


@dataclass(frozen=True)
class Damage:
    to_player: int
    to_worldnet: int


@dataclass(frozen=True)
class Health:
    player: int
    worldnet: int

    @property
    def winner(self) -> Winner:
        """The side with more health; equal health is a draw."""
        if self.player == self.worldnet:
            return "draw"
        return "player" if self.player > self.worldnet else "worldnet"


START = Health(START_HEALTH, START_HEALTH)


def multiplier(round_number: int) -> float:
    """The damage multiplier of round ``round_number`` (1-based): 1 for rounds 1-4, then 1.5, 2, 2.5, ..."""
    if round_number < 1:
        raise ValueError("rounds are numbered from 1")
    return 1.0 + MULTIPLIER_STEP * max(0, round_number - PLAIN_ROUNDS)


def damage(*, player_points: int, worldnet_points: int, round_number: int) -> Damage:
    """What the lower score costs its side: the difference times the multiplier, rounded half up.

    In integers (the multiplier is a whole number of halves), so no float decides a point.
    """
    halves = round(2 * multiplier(round_number))  # 2, 2, 2, 2, 3, 4, ...: exact
    amount = (abs(player_points - worldnet_points) * halves + 1) // 2
    if player_points < worldnet_points:
        return Damage(to_player=amount, to_worldnet=0)
    return Damage(to_player=0, to_worldnet=amount)


def after_round(health: Health, hit: Damage) -> Health:
    """Health after a round's ``hit``; never below 0."""
    return Health(player=max(0, health.player - hit.to_player), worldnet=max(0, health.worldnet - hit.to_worldnet))


DuelEnd = Literal["knockout", "no_photos_left"]


def duel_end(health: Health, *, next_photo: bool) -> DuelEnd | None:
    """Whether a duel ends after a round, and how: a side has no health left ("knockout"), or no
    photo is left for another round ("no_photos_left"); None while it goes on."""
    if health.player <= 0 or health.worldnet <= 0:
        return "knockout"
    return None if next_photo else "no_photos_left"


def lock_in_delay_s(*, confidence: float, draw: float) -> float:
    """Seconds into the round at which worldNET locks in: longer the less sure it was.

    ``confidence`` is the probability worldNET gave its top candidate (0 to 1, clamped);
    ``draw`` a uniform random number in [0, 1) drawn once for the round, which stretches the
    delay by up to ±``LOCK_IN_JITTER``. The result lies in [``LOCK_IN_MIN_SECONDS``, ``LOCK_IN_MAX_SECONDS``].
    The doubt is squared: a model over dozens of places is rarely more than 50% sure (the demo
    worldNET's median is 38%), and linear doubt would keep it waiting 15 s in most rounds; squared,
    90% sure locks in after about 3 s, 50% after 7 s, 30% after 11 s.
    """
    doubt = (1.0 - min(1.0, max(0.0, confidence))) ** 2
    stretch = 1.0 + LOCK_IN_JITTER * (2.0 * min(1.0, max(0.0, draw)) - 1.0)
    delay = LOCK_IN_MIN_SECONDS + (LOCK_IN_MAX_SECONDS - LOCK_IN_MIN_SECONDS) * doubt * stretch
    return round(min(LOCK_IN_MAX_SECONDS, max(LOCK_IN_MIN_SECONDS, delay)), 3)


# --- the country streak (game/modes/streak.py) ---------------------------------------------------


def country_right(said: str, answer: str) -> bool:
    """Whether a country named is the photo's: the same name in the shipped land data, and a name at all
    (a photo or a pin in no country is never right)."""
    return bool(said) and said == answer


def streak(answers: Iterable[bool | None]) -> int:
    """A country streak's length: the answers right in a row from the first; None (not answered yet) ends the count.

    >>> streak([True, True, False, True]), streak([True, None, True]), streak([])
    (2, 1, 0)
    """
    return len(list(itertools.takewhile(bool, answers)))


# --- parties: live games with friends (geoguess/party/) -------------------------------------------

#: Players a party seats, worldNET not counted.
PARTY_MAX_PLAYERS = 16
#: A party's rounds always have a clock (a player who vanishes must never stall the room): these are
#: its choices, in seconds a round; the countdown after the first guess (``COUNTDOWN_SECONDS``) may end it sooner.
PARTY_TIME_LIMITS = (30, 60, 120)
PARTY_TIME_LIMIT_DEFAULT = 60
#: Seconds the reveal of a round is shown before the next round starts (the host may skip it).
PARTY_REVEAL_SECONDS = 8
#: Battle royale (distance): lives each player starts with; each round the farthest guess loses one
#: (players who did not guess lose one instead, and the guessers none); out at 0.
BATTLE_ROYALE_LIVES = 3


# --- what pages are told -------------------------------------------------------------------------


def for_pages() -> dict[str, object]:
    """The numbers templates and scripts show, so that none of them restates a rule (``json_script``)."""
    return {
        "roundsPerGame": ROUNDS_PER_GAME,
        "roundCounts": list(ROUND_COUNTS),
        "timeLimits": list(TIME_LIMITS),
        "maxPoints": MAX_POINTS,
        "playerNameMaxLength": PLAYER_NAME_MAX_LENGTH,
        "dailyRounds": DAILY_ROUNDS,
        "startHealth": START_HEALTH,
        "countdownSeconds": COUNTDOWN_SECONDS,
        "plainRounds": PLAIN_ROUNDS,
        "multiplierStep": MULTIPLIER_STEP,
        "coherenceKm": COHERENCE_KM,
        "partyMaxPlayers": PARTY_MAX_PLAYERS,
        "partyTimeLimits": list(PARTY_TIME_LIMITS),
        "partyRevealSeconds": PARTY_REVEAL_SECONDS,
        "battleRoyaleLives": BATTLE_ROYALE_LIVES,
    }
