"""One party, two ASGI servers: its players on different Daphne processes play it to the end.

The site as deployed, on loopback (``benchmarks.party_load.servers``): two Daphne processes with the
production settings (DEBUG off, a SECRET_KEY, ALLOWED_HOSTS), one Redis (the channel layer and the
broker), one throwaway PostgreSQL, a Celery worker on the ``party`` queue (worldNET's lock-ins). The
players are real WebSocket clients (``websockets``) with their own session cookies (the site's signed
cookie sessions, holding each one's membership), connected to server A or B. Each round a player on one
server guesses and the members on the other see "has guessed" before anything else happens; the round's
end reaches everyone with the reveal; worldNET's lock-in (the worker, or whichever server's clock comes
first) reaches both servers; the host on A skips reveals and every member on B follows; the final
standings are the same for everyone.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from benchmarks.load.stack import missing_services
from benchmarks.party_load.players import Book, Player
from benchmarks.party_load.servers import party_site
from tests.support.postgres import FAST_SETTINGS

pytestmark = pytest.mark.slow

WAIT_S = 30


def member_of(state: dict[str, Any], member_id: int) -> dict[str, Any]:
    return next(m for m in state["members"] if m["id"] == member_id)


def in_round(index: int, *, ended: bool = False) -> Any:
    return lambda s: s["round"] is not None and s["round"]["index"] == index and s["round"]["ended"] == ended


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    missing = missing_services()
    if missing:
        pytest.skip("needs " + "; ".join(missing))
    with party_site(tmp_path_factory.mktemp("two-servers"), servers=2, postgres=FAST_SETTINGS) as running:
        yield running


def test_a_party_split_over_two_servers_plays_to_the_end(site):
    (party,) = site.make_parties(parties=1, players=3, worldnet_share=1, rounds=3, time_limit=60)
    a, b = (server.ws_url for server in site.servers)
    book = Book(grace_s=3)
    ana, ben, cleo = (
        Player(book, server=server, code=party["code"], member=player["id"], cookie=player["cookie"])
        for server, player in zip((a, b, a), party["players"], strict=True)
    )
    everyone = (ana, ben, cleo)
    worldnet = party["worldnet"]
    assert worldnet is not None

    async def scenario() -> None:
        for player in everyone:
            await player.connect(keep_states=True)
        # Ben is on B: Ana and Cleo, on A, see him connected, and he sees them.
        for player in everyone:
            await player.wait_for(lambda s: all(member_of(s, p.member)["connected"] for p in everyone), timeout=WAIT_S)
        await ana.send({"type": "start"})
        for player in everyone:
            state = await player.wait_for(in_round(0), timeout=WAIT_S)
            assert state["round"]["in_it"] and state["round"]["image_url"]
        for index in range(3):
            order = (ana, ben, cleo) if index != 1 else (ben, cleo, ana)
            if index == 2:
                # worldNET locks in first (the party worker's task, or a server's clock): both servers hear it.
                for player in everyone:
                    await player.wait_for(lambda s: member_of(s, worldnet)["guessed"], timeout=WAIT_S)
            for turn, guesser in enumerate(order):
                state = guesser.state
                assert state is not None and state["round"]["index"] == index and not state["round"]["ended"]
                await guesser.send({"type": "guess", "round": index, "lat": 10.0 * turn, "lon": 20.0 * index})
                if turn < 2:
                    # Every member, on either server, sees "has guessed", and those who have not guessed see nothing more.
                    for player in everyone:
                        seen = await player.wait_for(lambda s, g=guesser: member_of(s, g.member)["guessed"], timeout=WAIT_S)
                        assert not seen["round"]["ended"]
                        if player in order[turn + 1 :]:
                            assert seen["reveal"] is None and seen["your_guess"] is None
            # The last guess ends the round (worldNET locks in at once if it had not): the reveal reaches all.
            for player in everyone:
                state = await player.wait_for(in_round(index, ended=True), timeout=WAIT_S)
                assert len(state["reveal"]["guesses"]) == 4
                assert state["reveal"]["worldnet"] is not None
            if index < 2:
                await ana.send({"type": "next"})  # the host on A skips the reveal: B's player follows
                for player in everyone:
                    await player.wait_for(in_round(index + 1), timeout=WAIT_S)
        finals = [await player.wait_for(lambda s: s["party"]["phase"] == "finished", timeout=WAIT_S) for player in everyone]
        assert all(final["party"]["ended_by"] == "rounds_played" for final in finals)
        assert finals[0]["standings"] == finals[1]["standings"] == finals[2]["standings"]
        assert len(finals[0]["standings"]) == 4
        for player in everyone:
            await player.close()

    asyncio.run(scenario())
    assert not book.errors, book.errors
    # Each player saw each round start and end, in order, whichever server it was on.
    for player in everyone:
        seen = []
        for state in player.states:
            if state["round"] is not None:
                step = (state["round"]["index"], state["round"]["ended"])
                if not seen or seen[-1] != step:
                    seen.append(step)
        assert seen == [(0, False), (0, True), (1, False), (1, True), (2, False), (2, True)], seen
