"""The party over the real channel layer: channels-redis on a throwaway redis-server. Two players'
connections see each other's "has guessed" and the round's end, and worldNET's lock-in, stored by the
Celery task's function in a thread of its own (as a worker would), reaches them through Redis."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.utils import timezone

from geoguess.party.models import Member, PartyRound
from tests.party.players import Player
from tests.support.processes import redis_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_layer(settings, tmp_path):
    with redis_server(tmp_path) as url:
        from geoguess.settings import channel_layers

        settings.CHANNEL_LAYERS = channel_layers(url)  # as the site configures it from CHANNEL_LAYER_URL
        yield url


def test_a_round_plays_through_redis(redis_layer, make_party, model_version):
    from geoguess.party.tasks import worldnet_lock_in

    party, (ana, ben) = make_party("classic", worldnet_in=True)
    worldnet = Member.objects.get(party=party, is_worldnet=True)

    async def scenario():
        a, b = Player(ana), Player(ben)
        await a.connect()
        await b.connect()
        await a.send({"type": "start"})
        await b.state_where(lambda s: s["party"]["phase"] == "round")
        round = await database_sync_to_async(PartyRound.objects.select_related("photo").get)(party=party)
        await database_sync_to_async(PartyRound.objects.filter(pk=round.pk).update)(worldnet_locks_at=timezone.now() - timedelta(seconds=1))
        assert await database_sync_to_async(worldnet_lock_in, thread_sensitive=False)(party.pk, round.pk)
        await a.state_where(lambda s: next(m for m in s["members"] if m["id"] == worldnet.pk)["guessed"])
        await a.send({"type": "guess", "round": 0, "lat": round.photo.lat, "lon": round.photo.lon})
        await b.state_where(lambda s: next(m for m in s["members"] if m["id"] == ana.pk)["guessed"])
        await b.send({"type": "guess", "round": 0, "lat": round.photo.lat, "lon": round.photo.lon})
        for player in (a, b):
            state = await player.state_where(lambda s: s["party"]["phase"] == "reveal")
            assert state["reveal"]["worldnet"] is not None and len(state["reveal"]["guesses"]) == 3
        await a.close()
        await b.close()

    async_to_sync(scenario)()


@pytest.mark.slow
def test_a_connection_idle_longer_than_the_blocking_receive_still_hears_the_party(redis_layer, make_party):
    """redis-py 8's default 5 s read timeout broke channels-redis's 5 s blocking receive (channels_redis#422): a
    connection with nothing to hear for 5 s was closed with 1011. The site's layer waits longer (settings.channel_layers)."""
    _party, (ana, ben) = make_party("classic")

    async def scenario():
        a, b = Player(ana), Player(ben)
        await a.connect()
        await b.connect()
        await asyncio.sleep(7)  # longer than BZPOPMIN's 5 s and redis-py's default read timeout
        await a.send({"type": "start"})
        for player in (a, b):
            state = await player.state_where(lambda s: s["party"]["phase"] == "round")
            assert state["round"]["index"] == 0
        await a.close()
        await b.close()

    async_to_sync(scenario)()


def test_a_burst_of_players_connecting_to_one_server_all_join_their_groups(redis_layer):
    """redis-py's pool refused a 101st Redis connection at once (MaxConnectionsError, and Daphne closed the WebSocket
    with 1011) when 100 players connected to one server together; the site's layer allows more (settings.channel_layers)."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()

    async def burst() -> dict:
        channels = [await layer.new_channel() for _ in range(300)]
        await asyncio.gather(*(layer.group_add("party-burst", channel) for channel in channels))  # no MaxConnectionsError
        await layer.group_send("party-burst", {"type": "party.changed", "id": "x"})
        return await layer.receive(channels[-1])

    assert async_to_sync(burst)() == {"type": "party.changed", "id": "x"}
