"""Party classic: everyone plays the same photos at the same moments; points as in the classic game; the best total wins."""

from __future__ import annotations

from typing import Any

from geoguess import rules
from geoguess.party.mode import PartyMode
from geoguess.party.models import CLASSIC, Member, PartyGuess, PartyRound


def start(members: list[Member]) -> None:
    """Nothing but the totals, which the referee resets."""


def settle(round: PartyRound, guesses: list[PartyGuess]) -> None:
    """Nothing more: the referee has added each guess's points to its member's total."""


def decided(playing: list[Member]) -> str | None:
    """Never before its last round (the referee counts rounds)."""
    return None


def standing(member: Member) -> tuple[Any, ...]:
    """Those who played to the end first (a player who left or was removed ranks after them, whatever their points)."""
    return (member.out_at_round is not None, -member.total_points)


MODE = PartyMode(
    name=CLASSIC,
    seats=(1, rules.PARTY_MAX_PLAYERS + 1),
    fixed_rounds=True,
    start=start,
    settle=settle,
    decided=decided,
    standing=standing,
)
