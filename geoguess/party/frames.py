"""What each member is sent: their own snapshot of the party (``state_from``), built for them alone.

The one rule (DESIGN.md, "the answer never leaks before the guess", made stricter for live rooms): until
the round has ended, nothing here holds the answer, worldNET's guess or candidates, or another member's
pin, not even for a member who has guessed: a second membership guessing blind, or a friend on voice chat,
would otherwise have it from them. A member who has guessed sees their own pin only (no distance, no
points: those tell the answer too) and *that* others guessed (``members[].guessed``). Everyone, those who
sit the round out too, sees the whole reveal once the round has ended.

Times are milliseconds since the epoch (``now`` is the server's, for the page's clock). docs/parties.md
describes every field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from geoguess.party.host import host_away_due
from geoguess.party.models import FINISHED, REVEAL, ROUND, Member, Party, PartyGuess, PartyRound
from geoguess.party.referee import closes_at, current_round
from geoguess.party.selectors import round_guesses, standings
from worldnet_core.land import country_name


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Snapshot:
    """A party as read once (``party_snapshot``), from which each member's state is made without another query
    (``state_from``): the connections of one server that hear the same change share it."""

    party: Party
    round: PartyRound | None
    guesses: list[PartyGuess]
    members: list[Member]
    standings: list[dict[str, Any]] | None
    #: When the party's clock is next due, from the same reads (as ``selectors.next_wakeup``); None when nothing is timed.
    due: datetime | None


def party_snapshot(party_id: int) -> Snapshot | None:
    """The party's rows that its members' states are made of; None when it is gone."""
    party = Party.objects.filter(pk=party_id).first()
    if party is None:
        return None
    round = current_round(party) if party.game_number else None
    guesses = round_guesses(round) if round is not None else []
    if round is not None:
        round.photo  # noqa: B018  # read now: states are made from the snapshot outside the database's thread
    members = list(party.members.filter(removed=False))
    due = host_away_due(party, members)
    if party.phase == REVEAL:
        due = party.reveal_until
    elif party.phase == ROUND and round is not None and round.ended_at is None:
        due = closes_at(round)
        if round.worldnet_locks_at is not None and any(g.member.is_worldnet and not g.is_done for g in guesses):
            due = min(due, round.worldnet_locks_at)
    return Snapshot(
        party=party,
        round=round,
        guesses=guesses,
        members=members,
        standings=_standings(party) if party.phase == FINISHED else None,
        due=due,
    )


def state_for(member_id: int, now: datetime | None = None) -> dict[str, Any] | None:
    """The member's snapshot of their party; None when they are no longer a member (removed, or gone)."""
    party_id = Member.objects.filter(pk=member_id, removed=False).values_list("party_id", flat=True).first()
    snapshot = party_snapshot(party_id) if party_id is not None else None
    return state_from(snapshot, member_id, now) if snapshot is not None else None


def state_from(snapshot: Snapshot, member_id: int, now: datetime | None = None) -> dict[str, Any] | None:
    """The member's state from the party's snapshot (no query); None when they are no longer a member of it."""
    member = next((m for m in snapshot.members if m.pk == member_id), None)
    if member is None:
        return None
    party, round, guesses = snapshot.party, snapshot.round, snapshot.guesses
    mine = next((g for g in guesses if g.member_id == member.pk), None)
    done = {g.member_id for g in guesses if g.is_done}
    seated = {g.member_id for g in guesses}
    return {
        "type": "state",
        "now": _ms(now or timezone.now()),
        "party": _party(party),
        "you": member.pk,
        "members": [_member(m, guessed=m.pk in done, in_round=m.pk in seated) for m in snapshot.members if m.present or m.playing],
        "round": _round(round, mine) if round is not None else None,
        "your_guess": _your_guess(round, mine) if round is not None and mine is not None and mine.is_done else None,
        "reveal": _reveal(round, guesses) if round is not None and round.ended_at is not None else None,
        "standings": snapshot.standings,
    }


def _your_guess(round: PartyRound, mine: PartyGuess) -> dict[str, Any]:
    """The member's own guess: all of it once the round has ended; before, only where their pin is (its distance,
    points or country would tell the answer, or narrow it, to whoever else is listening)."""
    if round.ended_at is not None:
        return _guess(mine)
    return {
        **dict.fromkeys(_guess(mine), None),
        "member": mine.member_id,
        "lat": mine.lat,
        "lon": mine.lon,
        "timed_out": False,
        "lost_life": False,
    }


def _party(party: Party) -> dict[str, Any]:
    return {
        "code": party.code,
        "mode": party.mode,
        "rounds": party.rounds,
        "time_limit": party.time_limit,
        "worldnet_in": party.worldnet_in,
        "phase": party.phase,
        "game_number": party.game_number,
        "reveal_until": _ms(party.reveal_until),
        "ended_by": party.ended_by,
    }


def _member(member: Member, *, guessed: bool, in_round: bool) -> dict[str, Any]:
    return {
        "id": member.pk,
        "name": member.name,
        "host": member.is_host,
        "worldnet": member.is_worldnet,
        "present": member.present,
        "connected": member.is_worldnet or member.connections > 0,
        "playing": member.playing,
        "guessed": guessed,
        "in_round": in_round,
        "total_points": member.total_points,
        "health": member.health,
        "lives": member.lives,
        "out": member.out_at_round is not None,
    }


def _round(round: PartyRound, mine: PartyGuess | None) -> dict[str, Any]:
    return {
        "index": round.index,
        "number": round.index + 1,
        "in_it": mine is not None,
        "image_url": reverse("party:image", args=[mine.image_token]) if mine is not None else None,
        "started_at": _ms(round.started_at),
        "deadline": _ms(round.deadline),
        "countdown_until": _ms(round.countdown_until),
        "ended": round.ended_at is not None,
    }


def _guess(guess: PartyGuess) -> dict[str, Any]:
    return {
        "member": guess.member_id,
        "lat": guess.lat,
        "lon": guess.lon,
        "distance_km": guess.distance_km,
        "points": guess.points,
        "country": guess.country,
        "timed_out": guess.timed_out,
        "damage": guess.damage,
        "health": guess.health_after,
        "lives": guess.lives_after,
        "lost_life": guess.lost_life,
    }


def _reveal(round: PartyRound, guesses: list[PartyGuess]) -> dict[str, Any]:
    """The ended round's answer, every guess and worldNET's candidates (never before the round's end: ``state_from``)."""
    ended = round.ended_at is not None
    shown = guesses
    worldnet = next((g for g in shown if g.member.is_worldnet and g.is_done and not g.timed_out), None)
    photo = round.photo
    truth_lat = round.truth_lat if round.truth_lat is not None else photo.lat
    truth_lon = round.truth_lon if round.truth_lon is not None else photo.lon
    return {
        "index": round.index,
        "ended": ended,
        "truth": {"lat": truth_lat, "lon": truth_lon},
        "place": photo.place,
        "country_name": country_name(photo.country) if photo.country else "",  # as a game's reveal names it
        "guesses": [_guess(g) for g in shown],
        "worldnet": {"lat": worldnet.lat, "lon": worldnet.lon, "candidates": round.worldnet_candidates} if worldnet is not None else None,
    }


def _standings(party: Party) -> list[dict[str, Any]]:
    return [
        {
            "place": place,
            "member": m.pk,
            "total_points": m.total_points,
            "total_distance_km": round(m.total_distance_km, 1),
            "health": m.health,
            "lives": m.lives,
            "out_at_round": m.out_at_round,
        }
        for place, m in standings(party)
    ]
