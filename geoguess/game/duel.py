"""The rules of a duel against worldNET, in one place and in plain Python (no Django).

Both sides start with ``START_HEALTH``. Each round both score as in the classic game; the side
with the lower score loses the difference times the round's multiplier::

    >>> multiplier(1), multiplier(4), multiplier(5), multiplier(6), multiplier(9)
    (1.0, 1.0, 1.5, 2.0, 3.5)
    >>> damage(player_points=4200, worldnet_points=3000, round_number=5)
    Damage(to_player=0, to_worldnet=1800)
    >>> h = after_round(Health(6000, 6000), player_points=100, worldnet_points=5000, round_number=2)
    >>> h, h.over
    (Health(player=1100, worldnet=6000), False)

The duel ends when a side reaches 0 health or the image set has no photo left for another
round; then the side with more health wins (equal health: a draw).

worldNET "locks in" a few seconds into each round, later when it is unsure. The player then has
``COUNTDOWN_SECONDS`` to guess; a player who guesses first has no countdown at all::

    >>> lock_in_delay_s(confidence=1.0, draw=0.5)
    3.0
    >>> lock_in_delay_s(confidence=0.9, draw=0.5) < lock_in_delay_s(confidence=0.2, draw=0.5)
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

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

Winner = Literal["player", "worldnet", "draw"]


@dataclass(frozen=True)
class Damage:
    to_player: int
    to_worldnet: int


@dataclass(frozen=True)
class Health:
    player: int
    worldnet: int

    @property
    def over(self) -> bool:
        """Whether a side has no health left (the other way a duel ends is running out of photos)."""
        return self.player <= 0 or self.worldnet <= 0

    @property
    def leader(self) -> Winner:
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


def after_round(health: Health, *, player_points: int, worldnet_points: int, round_number: int) -> Health:
    """Health after a round; never below 0."""
    hit = damage(player_points=player_points, worldnet_points=worldnet_points, round_number=round_number)
    return Health(player=max(0, health.player - hit.to_player), worldnet=max(0, health.worldnet - hit.to_worldnet))


def track(scores: Iterable[tuple[int, int]]) -> list[Health]:
    """Health at the start and after each round of ``scores`` ((player, worldNET) points per round).

    Rounds after the duel ended are ignored: they cannot happen.
    """
    states = [START]
    for number, (player_points, worldnet_points) in enumerate(scores, start=1):
        if states[-1].over:
            break
        states.append(after_round(states[-1], player_points=player_points, worldnet_points=worldnet_points, round_number=number))
    return states


def is_over(health: Health, *, photos_left: int) -> bool:
    """A duel ends at 0 health, or when no photo is left for another round."""
    return health.over or photos_left <= 0


def winner(health: Health) -> Winner:
    """Who won a finished duel: the side with health left, or the one with more; equal health is a draw."""
    return health.leader


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
