"""The party's WebSocket, driven through the project's ASGI application with ``WebsocketCommunicator``:
who may connect, a game played over it (start, "has guessed", round ends by all guessed and by the clock),
reconnecting where the party stands, the host's removal and handover, and worldNET at the table."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.utils import timezone

from geoguess.party.consumers import CLOSE_LEFT, CLOSE_NOT_A_MEMBER, CLOSE_TOO_MANY, MAX_CONNECTIONS_PER_MEMBER
from geoguess.party.messages import FRAMES_BURST, TokenBucket
from geoguess.party.models import Member, PartyRound
from tests.party.players import Player, session_cookie
from worldnet_core.land import country_name

pytestmark = pytest.mark.django_db(transaction=True)


def truth_of(party) -> tuple[float, float]:
    party.refresh_from_db()
    photo = PartyRound.objects.get(party=party, game_number=party.game_number, index=party.round_index).photo
    return photo.lat, photo.lon


def member_row(state: dict, member_id: int) -> dict:
    return next(m for m in state["members"] if m["id"] == member_id)


def test_it_closes_connections_that_are_no_member(make_party):
    party, (ana, _ben) = make_party()
    _other, (stranger, _) = make_party(players=("Zed", "Yan"))

    async def scenario():
        for player in (
            Player(None, code=party.code),
            Player(None, code=party.code, cookie=session_cookie(stranger)),
            Player(None, code="NOPE42"),
        ):
            connected, _ = await player.communicator.connect()
            assert connected  # accepted, then closed: the page can tell why
            assert await player.frame() == {"type": "closed", "code": CLOSE_NOT_A_MEMBER}
            await player.close()
        no_origin = Player(ana)
        no_origin.communicator.scope["headers"] = [h for h in no_origin.communicator.scope["headers"] if h[0] != b"origin"]
        connected, _ = await no_origin.communicator.connect()
        assert not connected  # AllowedHostsOriginValidator: another site's page cannot open it

    async_to_sync(scenario)()


def test_a_classic_round_over_the_socket(make_party):
    party, (ana, ben) = make_party()

    async def scenario():
        a, b = Player(ana), Player(ben)
        state = await a.connect()
        assert state["party"]["phase"] == "lobby" and state["you"] == ana.pk and state["round"] is None
        await b.connect()
        await a.state_where(lambda s: member_row(s, ben.pk)["connected"])
        await b.send({"type": "start"})
        assert (await b.error())["code"] == "not_host"
        await a.send({"type": "start"})
        state = await b.state_where(lambda s: s["party"]["phase"] == "round")
        assert state["round"]["image_url"].startswith("/party/image/") and state["reveal"] is None
        a_state = await a.state_where(lambda s: s["party"]["phase"] == "round")
        assert a_state["round"]["image_url"] != state["round"]["image_url"]
        lat, lon = await database_sync_to_async(truth_of)(party)
        await a.send({"type": "guess", "round": 0, "lat": lat, "lon": lon})
        mine = await a.state_where(lambda s: s["your_guess"] is not None)
        # Until the round ends: one's own pin, nothing it scored, no answer.
        assert (mine["your_guess"]["lat"], mine["your_guess"]["lon"]) == (lat, lon)
        assert mine["your_guess"]["points"] is None and mine["reveal"] is None
        seen = await b.state_where(lambda s: member_row(s, ana.pk)["guessed"])
        assert seen["reveal"] is None and seen["round"]["countdown_until"] is not None
        await b.send({"type": "guess", "round": 0, "lat": lat + 1, "lon": lon})
        revealed = await b.state_where(lambda s: s["party"]["phase"] == "reveal")
        assert revealed["reveal"]["ended"] and len(revealed["reveal"]["guesses"]) == 2
        assert revealed["reveal"]["truth"] == {"lat": lat, "lon": lon}
        country = await database_sync_to_async(lambda: PartyRound.objects.get(party=party, index=0).photo.country)()
        assert country and revealed["reveal"]["country_name"] == country_name(country)  # "It was Mumbai, India", as a game's
        ended = await a.state_where(lambda s: s["party"]["phase"] == "reveal")
        assert ended["your_guess"]["points"] == 5000
        await a.send({"type": "next"})
        await b.state_where(lambda s: s["party"]["phase"] == "round" and s["round"]["index"] == 1)
        await a.close()
        await b.close()

    async_to_sync(scenario)()


def test_the_clock_ends_a_round_and_a_reconnect_finds_it_where_it_stands(make_party):
    party, (ana, ben) = make_party()

    async def scenario():
        a = Player(ana)
        await a.connect()
        await a.send({"type": "start"})
        await a.state_where(lambda s: s["party"]["phase"] == "round")
        await a.close()  # Ana's connection drops; the round's deadline passes with nobody connected
        past = timezone.now() - timedelta(seconds=120)
        await database_sync_to_async(PartyRound.objects.filter(party=party).update)(deadline=past)
        b = Player(ben)
        state = await b.connect()  # the first to come back catches the party up
        state = state if state["party"]["phase"] == "reveal" else await b.state_where(lambda s: s["party"]["phase"] == "reveal")
        assert all(g["timed_out"] for g in state["reveal"]["guesses"])
        again = Player(ana)  # a reload: the same member, the party where it stands
        state = await again.connect()
        assert state["party"]["phase"] == "reveal" and state["you"] == ana.pk and state["reveal"]["index"] == 0
        await again.close()
        await b.close()

    async_to_sync(scenario)()


def test_a_tick_ends_the_countdown(make_party):
    party, (ana, ben) = make_party()

    async def scenario():
        a, b = Player(ana), Player(ben)
        await a.connect()
        await b.connect()
        await a.send({"type": "start"})
        await b.state_where(lambda s: s["party"]["phase"] == "round")
        await a.send({"type": "guess", "round": 0, "lat": 10.0, "lon": 10.0})
        await b.state_where(lambda s: member_row(s, ana.pk)["guessed"])
        past = timezone.now() - timedelta(seconds=30)
        await database_sync_to_async(PartyRound.objects.filter(party=party).update)(countdown_until=past)
        await b.send({"type": "tick"})
        state = await b.state_where(lambda s: s["party"]["phase"] == "reveal")
        assert member_row(state, ben.pk)["guessed"] is False
        await b.send({"type": "guess", "round": 0, "lat": 1.0, "lon": 1.0})
        assert (await b.error())["code"] == "wrong_phase"
        await a.close()
        await b.close()

    async_to_sync(scenario)()


def test_the_host_removes_a_player_and_hands_over_on_leaving(make_party):
    _party, (ana, ben, cy) = make_party(players=("Ana", "Ben", "Cy"))

    async def scenario():
        a, b, c = Player(ana), Player(ben), Player(cy)
        for player in (a, b, c):
            await player.connect()
        await b.send({"type": "remove", "member": cy.pk})
        assert (await b.error())["code"] == "not_host"
        await a.send({"type": "remove", "member": cy.pk})
        assert (await c.until(lambda f: f["type"] in ("removed", "closed")))["type"] == "removed"
        assert (await c.frame())["code"] == CLOSE_NOT_A_MEMBER
        await b.state_where(lambda s: cy.pk not in [m["id"] for m in s["members"]])
        back = Player(cy)  # removed: the session's key opens nothing any more
        await back.communicator.connect()
        assert (await back.frame())["code"] == CLOSE_NOT_A_MEMBER
        await a.send({"type": "leave"})
        assert (await a.until(lambda f: f["type"] == "closed"))["code"] == CLOSE_LEFT
        state = await b.state_where(lambda s: member_row(s, ben.pk)["host"])
        assert not any(m["id"] == ana.pk for m in state["members"])
        for player in (a, b, c, back):
            await player.close()

    async_to_sync(scenario)()


def test_worldnet_at_the_table_locks_in_and_everyone_sees_it_guessed(make_party, model_version):
    from geoguess.party.models import Member
    from geoguess.party.tasks import worldnet_lock_in

    party, (ana, _ben) = make_party("battle_royale", worldnet_in=True)
    worldnet = Member.objects.get(party=party, is_worldnet=True)

    async def scenario():
        a = Player(ana)
        await a.connect()
        await a.send({"type": "start"})
        state = await a.state_where(lambda s: s["party"]["phase"] == "round")
        assert member_row(state, worldnet.pk)["connected"] and not member_row(state, worldnet.pk)["guessed"]
        round = await database_sync_to_async(PartyRound.objects.get)(party=party)
        await database_sync_to_async(PartyRound.objects.filter(pk=round.pk).update)(worldnet_locks_at=timezone.now())
        assert await database_sync_to_async(worldnet_lock_in)(party.pk, round.pk)  # the Celery task's function
        state = await a.state_where(lambda s: member_row(s, worldnet.pk)["guessed"])
        assert state["reveal"] is None and state["round"]["countdown_until"] is not None
        await a.close()

    async_to_sync(scenario)()


def test_play_again_over_the_socket(make_party):
    party, (ana, _ben) = make_party(rounds=3)
    from geoguess.party.models import Party

    async def scenario():
        a = Player(ana)
        await a.connect()
        await a.send({"type": "play_again"})
        assert (await a.error())["code"] == "wrong_phase"
        await database_sync_to_async(Party.objects.filter(pk=party.pk).update)(phase="finished")
        await a.send({"type": "play_again"})
        state = await a.state_where(lambda s: s["party"]["phase"] == "round")
        assert state["party"]["game_number"] == 1
        await a.close()

    async_to_sync(scenario)()


def connections_of(member) -> int:
    return Member.objects.get(pk=member.pk).connections


def test_a_member_who_left_or_was_removed_is_counted_out(make_party):
    """The connection of a member who leaves (or is removed) is counted out as it closes: not shown connected."""
    _party, (ana, ben, cy) = make_party(players=("Ana", "Ben", "Cy"))

    async def scenario():
        a, b, c = Player(ana), Player(ben), Player(cy)
        for player in (a, b, c):
            await player.connect()
        assert await database_sync_to_async(connections_of)(ben) == 1
        await b.send({"type": "leave"})
        assert (await b.until(lambda f: f["type"] == "closed"))["code"] == CLOSE_LEFT
        await b.close()  # the browser's side of the close: the server's disconnect
        await a.send({"type": "remove", "member": cy.pk})
        assert (await c.until(lambda f: f["type"] == "closed"))["code"] == CLOSE_NOT_A_MEMBER
        await c.close()
        assert await database_sync_to_async(connections_of)(ben) == 0
        assert await database_sync_to_async(connections_of)(cy) == 0
        await a.close()

    async_to_sync(scenario)()


def test_a_member_has_at_most_a_few_connections_open(make_party):
    _party, (ana, _ben) = make_party()

    async def scenario():
        tabs = [Player(ana) for _ in range(MAX_CONNECTIONS_PER_MEMBER)]
        for tab in tabs:
            await tab.connect()
        one_more = Player(ana)
        connected, _ = await one_more.communicator.connect()
        assert connected
        assert (await one_more.frame())["code"] == "too_many_connections"
        assert await one_more.frame() == {"type": "closed", "code": CLOSE_TOO_MANY}
        await one_more.close()
        assert await database_sync_to_async(connections_of)(ana) == MAX_CONNECTIONS_PER_MEMBER
        await tabs[0].close()
        again = Player(ana)  # a tab closed: room for one again
        await again.connect()
        for tab in [*tabs[1:], again]:
            await tab.close()
        assert await database_sync_to_async(connections_of)(ana) == 0

    async_to_sync(scenario)()


def test_a_flood_of_frames_is_dropped_beyond_the_token_bucket(make_party):
    _party, (ana, _ben) = make_party()

    async def scenario():
        a = Player(ana)
        await a.connect()
        sent = FRAMES_BURST + 15
        for _ in range(sent):
            await a.send({"type": "sync"})
        answers = [await a.frame() for _ in range(sent)]
        limited = [f for f in answers if f["type"] == "error"]
        assert limited and all(f["code"] == "rate_limited" for f in limited)
        assert sum(f["type"] == "state" for f in answers) >= FRAMES_BURST
        await a.close()

    async_to_sync(scenario)()


def test_the_token_bucket():
    now = [0.0]
    bucket = TokenBucket(rate=5, burst=20, clock=lambda: now[0])
    assert all(bucket.take() for _ in range(20))
    assert not bucket.take()
    now[0] += 0.2  # one more a fifth of a second
    assert bucket.take() and not bucket.take()
    now[0] += 60  # never more than the burst saved up
    assert sum(bucket.take() for _ in range(30)) == 20


def test_the_clock_hands_a_vanished_hosts_role_over(make_party, monkeypatch):
    """The host's tab closes in the lobby: the party's clock on the others' server hands over, with no message sent."""
    from geoguess.party import host

    monkeypatch.setattr(host, "HOST_AWAY_SECONDS", 0.5)
    _party, (ana, ben) = make_party()

    async def scenario():
        a, b = Player(ana), Player(ben)
        await a.connect()
        await b.connect()
        await a.close()  # no leave: the tab is gone
        state = await b.state_where(lambda s: member_row(s, ben.pk)["host"], timeout=5)
        assert not member_row(state, ana.pk)["host"] and not member_row(state, ana.pk)["connected"]
        await b.close()

    async_to_sync(scenario)()
