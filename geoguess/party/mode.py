"""What a party mode is to the referee: its own rules, called by ``referee`` (each mode module in ``modes/`` defines one).

The referee does what every mode shares: it draws each round, stores and scores each guess (points
with the image set's scale, the distance, the country), ends the round (everyone in has guessed, the
countdown after the first guess, or the deadline), adds each member's points and distance to their
totals, then asks the mode what the round did (``settle``) and whether the game is decided (``decided``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from geoguess.party.models import Member, PartyGuess, PartyRound


@dataclass(frozen=True)
class PartyMode:
    name: str
    #: The fewest and most players a game seats (worldNET counts when it sits).
    seats: tuple[int, int]
    #: Whether a game has the party's number of rounds (classic) or goes on until it is decided.
    fixed_rounds: bool
    #: Sets the mode's running numbers on the members who play (health, lives) as a game starts.
    start: Callable[[list[Member]], None]
    #: What an ended round did, written on its guesses (damage, lives lost, ...) and their members (health,
    #: lives, out). ``guesses``: one per member in play, with ``member`` loaded; the referee saves both.
    settle: Callable[[PartyRound, list[PartyGuess]], None]
    #: How the game ends after a round, or None while it goes on. ``playing``: the game's members (``out_at_round``
    #: set on those out, those who left included).
    decided: Callable[[list[Member]], str | None]
    #: A member's place in the standings as a sort key: smaller is better; equal keys share a place.
    standing: Callable[[Member], tuple[Any, ...]]


#: The member fields a mode may change (``settle``) and the guess fields.
MEMBER_FIELDS = ["total_points", "total_distance_km", "health", "lives", "out_at_round"]
GUESS_FIELDS = ["damage", "health_after", "lives_after", "lost_life"]

MODES: dict[str, PartyMode] = {}


def register(mode: PartyMode) -> PartyMode:
    MODES[mode.name] = mode
    return mode


def mode_named(name: str) -> PartyMode:
    return MODES[name]
