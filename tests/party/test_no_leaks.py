"""Nothing leaks before the round's end: every frame each player receives, from joining to the game's end, is
kept; none received before a round ended holds its answer, worldNET's pin or candidates, or another player's
pin, as a number anywhere in the frame or as text: not before the player's own guess, nor after it (a player
who guessed could tell a friend, or a second membership of theirs guessing blind). After their guess a player
sees their own pin only: no distance, no points."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from geoguess.party.models import Member, PartyGuess, PartyRound
from tests.party.players import Player

pytestmark = pytest.mark.django_db(transaction=True)


def numbers(value: Any) -> set[float]:
    if isinstance(value, bool):
        return set()
    if isinstance(value, int | float):
        return {float(value)}
    if isinstance(value, dict):
        return set().union(*(numbers(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(numbers(v) for v in value)) if value else set()
    return set()


def secrets_of(round: PartyRound, member: Member) -> set[float]:
    """What ``member`` must not see of ``round`` before it ends: the answer, and every other pin (worldNET's included)."""
    found = {round.photo.lat, round.photo.lon}
    if round.worldnet_lat is not None:
        found |= {round.worldnet_lat, round.worldnet_lon}
    for guess in PartyGuess.objects.filter(round=round).exclude(member=member).exclude(lat__isnull=True):
        found |= {guess.lat, guess.lon}
    return found


def test_no_frame_before_a_rounds_end_holds_the_answer_or_another_pin(make_party, model_version):
    party, members = make_party("classic", players=("Ana", "Ben", "Cy"), worldnet_in=True, rounds=3)

    def truth(index: int) -> tuple[float, float]:
        photo = PartyRound.objects.get(party=party, index=index).photo
        return photo.lat, photo.lon

    async def scenario() -> list[Player]:
        players = [Player(m) for m in members]
        for player in players:
            await player.connect()
        await players[0].send({"type": "start"})
        for index in range(3):
            for player in players:
                await player.state_where(lambda s, i=index: s["party"]["phase"] == "round" and s["round"]["index"] == i)
            lat, lon = await database_sync_to_async(truth)(index)
            order = players[index:] + players[:index]  # a different first guesser each round
            for offset, player in enumerate(order):
                await player.send({"type": "guess", "round": index, "lat": lat + 0.37 * (offset + 1), "lon": lon - 0.23 * (offset + 1)})
                await player.state_where(lambda s: s["your_guess"] is not None)
            for player in players:
                ended = lambda s: s["party"]["phase"] in ("reveal", "finished") and s["reveal"]["ended"]  # noqa: E731
                if not ended(player.state):  # the last guesser's own guess ends the round: one frame says both
                    await player.state_where(ended)
            if index < 2:
                await players[0].send({"type": "next"})
        for player in players:
            if player.state["party"]["phase"] != "finished":
                await player.state_where(lambda s: s["party"]["phase"] == "finished")
            await player.drain()
            await player.close()
        return players

    players = async_to_sync(scenario)()
    rounds = {r.index: r for r in PartyRound.objects.filter(party=party).select_related("photo")}
    assert PartyGuess.objects.filter(member__is_worldnet=True, lat__isnull=False).count() == 3  # worldNET played every round
    checked = after_guess = 0
    for player in players:
        assert len(player.frames) == len(player.raw) + sum(f["type"] == "closed" for f in player.frames)
        for frame, raw in zip([f for f in player.frames if f["type"] != "closed"], player.raw):
            round = frame.get("round")
            if frame["type"] != "state" or round is None or round["ended"]:
                continue
            forbidden = secrets_of(rounds[round["index"]], player.member)
            assert frame["reveal"] is None
            assert not numbers(frame) & forbidden, (player.member.name, frame)
            assert not any(json.dumps(value) in raw for value in forbidden)
            assert '"truth"' not in raw and '"candidates"' not in raw and '"place"' not in raw and '"country_name"' not in raw
            mine = frame["your_guess"]
            if mine is not None:  # their own pin, and nothing it scored
                assert mine["member"] == player.member.pk and mine["lat"] is not None
                assert mine["distance_km"] is None and mine["points"] is None and mine["country"] is None
                after_guess += 1
            checked += 1
    assert checked >= 9  # every player, every round, at least one frame before its end
    assert after_guess >= 6  # the first two guessers of each round waited for the others
