"""Fixtures of the party tests: the in-memory channel layer (one process), and parties to play in."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _in_memory_layer(settings):
    """Consumers and services of one test process share the in-memory layer (test_redis_layer uses a real Redis)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
def _no_lingering_database_connections():
    """The consumers' database work runs on executor threads (``consumers.in_thread``), each with its own connection:
    closed after each call here (CONN_MAX_AGE 0), so none outlives its test (PostgreSQL then can drop the test database).
    ``players.ServerCommunicator`` keeps the closing that Channels' test communicator turns off."""
    from django.db import connections

    database = connections.settings["default"]
    kept = database["CONN_MAX_AGE"]
    database["CONN_MAX_AGE"] = 0
    yield
    database["CONN_MAX_AGE"] = kept


@pytest.fixture
def make_party(image_set):
    """A party on the small world: ``make_party(mode, players=[...], worldnet_in=False)`` returns (party, [members])."""
    from geoguess.party.services import party_create, party_join

    def make(mode: str = "classic", players: tuple[str, ...] = ("Ana", "Ben"), worldnet_in: bool = False, rounds: int = 3):
        party, host = party_create(
            image_set=image_set, mode=mode, rounds=rounds, time_limit=60, worldnet_in=worldnet_in, host_name=players[0]
        )
        members = [host] + [party_join(code=party.code, name=name) for name in players[1:]]
        return party, members

    return make
