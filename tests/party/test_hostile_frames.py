"""Hostile frames: the table of bad input, sent as every message type, gets an error frame each (never a
server error, never a closed room), and a normal guess still works afterwards."""

from __future__ import annotations

import json
import logging

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from geoguess.party.messages import FRAME_MAX_BYTES, MESSAGES
from geoguess.party.models import PartyRound
from tests.party.players import Player

pytestmark = pytest.mark.django_db(transaction=True)

#: Frames that are no message at all.
RAW = [
    "not json",
    "{",
    "[1, 2]",
    '"a string"',
    "null",
    "42",
    "{}",
    '{"type": 5}',
    '{"type": null}',
    '{"type": "dance"}',
    '{"type": "<script>alert(1)</script>"}',
    "x" * (FRAME_MAX_BYTES + 1),
    json.dumps({"type": "sync", "pad": "é" * FRAME_MAX_BYTES}),
    "[" * 3000,
    '{"type": "guess", "round": 0, "lat": NaN, "lon": 0}',
    '{"type": "guess", "round": 0, "lat": Infinity, "lon": 0}',
    '{"type": "guess", "round": 0, "lat": 1e400, "lon": 0}',
    '{"type": "guess", "round": 0, "lat": 1' + "0" * 400 + ', "lon": 0}',
]
#: Each message type with a field it does not have.
EXTRA = [{"type": kind, **dict.fromkeys(fields, 0), "extra": 1} for kind, fields in MESSAGES.items()]
#: Wrong values for the fields that have values.
BAD_VALUES = [
    {"round": "0"},
    {"round": -1},
    {"round": 1.5},
    {"round": True},
    {"round": 10**30},
    {"round": None},
    {"lat": "10"},
    {"lat": None},
    {"lat": [1]},
    {"lat": {"x": 1}},
    {"lat": True},
    {"lat": 91},
    {"lat": -90.5},
    {"lon": 10**30},
    {"round": 7},  # another round than the current one
]
BAD_MEMBERS = ["x", -5, 10**30, None, 1.5, 999_999]


def test_bad_frames_get_error_frames_and_the_room_carries_on(make_party, caplog, monkeypatch):
    from geoguess.party import messages

    monkeypatch.setattr(messages, "FRAMES_BURST", 1000)  # every bad frame answered here (the flood's limit: test_consumers)
    party, (ana, ben) = make_party()

    async def scenario():
        a, b = Player(ana), Player(ben)
        await a.connect()
        await b.connect()
        await a.send({"type": "start"})
        await b.state_where(lambda s: s["party"]["phase"] == "round")
        answers = []
        frames = [*RAW, *EXTRA, *({"type": "guess", "round": 0, "lat": 1.0, "lon": 2.0, **bad} for bad in BAD_VALUES)]
        frames += [{"type": "remove", "member": bad} for bad in BAD_MEMBERS]
        frames += [{"type": kind} for kind in ("start", "next", "play_again")] + [{"type": "remove", "member": ana.pk}]  # not the host's
        for frame in frames:
            await b.send(frame)
            answers.append(await b.error())
        await b.communicator.send_to(bytes_data=b"\x00\x01binary")
        answers.append(await b.error())
        for answer in answers:
            assert set(answer) == {"type", "code", "message"} and answer["code"] != "server_error", answer
            assert isinstance(answer["message"], str) and answer["message"]
        codes = {answer["code"] for answer in answers}
        assert {"not_json", "not_an_object", "unknown_type", "frame_too_large", "bad_field", "bad_number", "bad_latitude"} <= codes
        assert {"wrong_round", "not_host", "not_text"} <= codes
        for bad in BAD_MEMBERS:  # the host's removals of no one
            await a.send({"type": "remove", "member": bad})
            assert (await a.error())["code"] in ("bad_field", "no_such_member")
        # The room carries on: both can still guess, and the round ends.
        photo = await database_sync_to_async(lambda: PartyRound.objects.select_related("photo").get(party=party).photo)()
        await b.send({"type": "guess", "round": 0, "lat": photo.lat, "lon": photo.lon})
        assert (await b.state_where(lambda s: s["your_guess"] is not None))["your_guess"]["lat"] == photo.lat
        await a.send({"type": "guess", "round": 0, "lat": photo.lat, "lon": photo.lon})
        await a.state_where(lambda s: s["party"]["phase"] == "reveal")
        assert (await b.state_where(lambda s: s["party"]["phase"] == "reveal"))["your_guess"]["points"] == 5000
        await a.close()
        await b.close()

    with caplog.at_level(logging.ERROR):
        async_to_sync(scenario)()
    assert not [r for r in caplog.records if r.name.startswith("geoguess.party")], caplog.text
