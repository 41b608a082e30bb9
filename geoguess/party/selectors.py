"""Reads of a party: its members by key, the current round, the standings, and when its clock is next due."""

from __future__ import annotations

from datetime import datetime

from geoguess.party.host import host_away_due
from geoguess.party.mode import mode_named
from geoguess.party.models import REVEAL, ROUND, Member, Party, PartyGuess, PartyRound
from geoguess.party.referee import closes_at, current_round


def standings(party: Party) -> list[tuple[int, Member]]:
    """The members of the game under way (or last played), best first, each with their place (1-based; equal standings share one)."""
    mode = mode_named(party.mode)
    playing = sorted(party.members.filter(playing=True), key=lambda m: (mode.standing(m), m.joined_at, m.pk))
    placed: list[tuple[int, Member]] = []
    for position, member in enumerate(playing, start=1):
        same = placed and mode.standing(placed[-1][1]) == mode.standing(member)
        placed.append((placed[-1][0] if same else position, member))
    return placed


def next_wakeup(party_id: int) -> datetime | None:
    """When the party's clock is next due (``services.advance``): worldNET's lock-in, the round's close or the
    reveal's end, a vanished host's hand-over; None when nothing is timed."""
    party = Party.objects.filter(pk=party_id).first()
    if party is None:
        return None
    handover = host_away_due(party, list(party.members.filter(removed=False)))
    if handover is not None:
        return handover
    if party.phase == REVEAL:
        return party.reveal_until
    round = current_round(party) if party.phase == ROUND else None
    if round is None or round.ended_at is not None:
        return None
    due = [closes_at(round)]
    if round.worldnet_locks_at is not None and round.guesses.filter(member__is_worldnet=True, guessed_at__isnull=True).exists():
        due.append(round.worldnet_locks_at)
    return min(due)


def guess_by_image_token(token: str) -> PartyGuess | None:
    return PartyGuess.objects.select_related("round__photo", "round__party", "member").filter(image_token=token).first()


def round_guesses(round: PartyRound) -> list[PartyGuess]:
    return list(round.guesses.select_related("member").order_by("member__joined_at", "member_id"))
