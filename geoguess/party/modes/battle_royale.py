"""Battle royale (distance): each round the farthest guess loses a life; out at none left; the last one standing wins.

Who loses a life in a round, among the members still in:

- anyone who did not guess (the clock ran out on them): each of them loses one, and the guessers none;
- else the farthest guess; equal farthest distances all lose one.

Every member starts with ``rules.BATTLE_ROYALE_LIVES``. When the last members in go out in the same round
(or the photos run out with several in), the standings decide: more lives, then the smaller total distance.
"""

from __future__ import annotations

from typing import Any

from geoguess import rules
from geoguess.party.mode import PartyMode
from geoguess.party.models import BATTLE_ROYALE, Member, PartyGuess, PartyRound


def start(members: list[Member]) -> None:
    for member in members:
        member.lives = rules.BATTLE_ROYALE_LIVES


def losers(guesses: list[PartyGuess]) -> list[PartyGuess]:
    """The guesses whose members lose a life this round (see the module's docstring)."""
    missing = [g for g in guesses if g.timed_out or g.distance_km is None]
    if missing:
        return missing
    if not guesses:
        return []
    farthest = max(g.distance_km or 0.0 for g in guesses)
    return [g for g in guesses if g.distance_km == farthest]


def settle(round: PartyRound, guesses: list[PartyGuess]) -> None:
    losing = {g.pk for g in losers(guesses)}
    for guess in guesses:
        member = guess.member
        lives = rules.BATTLE_ROYALE_LIVES if member.lives is None else member.lives
        if guess.pk in losing:
            lives = max(0, lives - 1)
            guess.lost_life = True
            if lives == 0:
                member.out_at_round = round.index
        member.lives = guess.lives_after = lives


def decided(playing: list[Member]) -> str | None:
    return "last_standing" if sum(m.out_at_round is None for m in playing) <= 1 else None


def standing(member: Member) -> tuple[Any, ...]:
    """Still in first; then the later out; then more lives; then the smaller total distance."""
    out = member.out_at_round
    return (out is not None, -(out if out is not None else 0), -(member.lives or 0), round(member.total_distance_km, 3))


MODE = PartyMode(
    name=BATTLE_ROYALE,
    seats=(2, rules.PARTY_MAX_PLAYERS + 1),
    fixed_rounds=False,
    start=start,
    settle=settle,
    decided=decided,
    standing=standing,
)
