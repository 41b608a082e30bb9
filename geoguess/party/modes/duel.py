"""Duel between two players (worldNET may be one): the duel's health, multipliers and countdown (``rules``).

Each round the lower score loses the difference times the round's multiplier (``rules.damage``); the duel
ends when one side has no health left ("knockout") or no photo is left ("no_photos_left"; the referee
sees that), and the side with more health wins. A player who leaves (or is removed) forfeits: they rank after
the one still in, whatever their health, and their guess of the round they left does not count.
"""

from __future__ import annotations

from typing import Any

from geoguess import rules
from geoguess.party.mode import PartyMode
from geoguess.party.models import DUEL, Member, PartyGuess, PartyRound


def start(members: list[Member]) -> None:
    for member in members:
        member.health = rules.START_HEALTH


def settle(round: PartyRound, guesses: list[PartyGuess]) -> None:
    """The round's damage to the lower score (a side that did not guess scores 0). With one side gone, nothing."""
    if len(guesses) != 2:
        return
    first, second = sorted(guesses, key=lambda g: g.member_id)
    hit = rules.damage(player_points=first.points or 0, worldnet_points=second.points or 0, round_number=round.index + 1)
    for guess, amount in ((first, hit.to_player), (second, hit.to_worldnet)):
        member = guess.member
        health = max(0, (rules.START_HEALTH if member.health is None else member.health) - amount)
        guess.damage, guess.health_after, member.health = amount, health, health
        if health == 0:
            member.out_at_round = round.index


def decided(playing: list[Member]) -> str | None:
    if any(m.health == 0 for m in playing):
        return "knockout"
    return "forfeit" if sum(m.out_at_round is None for m in playing) < 2 else None


def standing(member: Member) -> tuple[Any, ...]:
    """Still in first (a player who left, was removed or was knocked out ranks after, whatever their health); then more health."""
    return (member.out_at_round is not None, -(member.health or 0), -member.total_points)


MODE = PartyMode(
    name=DUEL,
    seats=(2, 2),
    fixed_rounds=False,
    start=start,
    settle=settle,
    decided=decided,
    standing=standing,
)
