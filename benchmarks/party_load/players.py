"""The benchmark's players: asyncio WebSocket clients of real servers, each a member of a party, and what they saw when.

A ``Player`` is one member's connection (the ``websockets`` library, the member's session cookie, the
site's Origin); it records the moment each frame arrived (``time.time()``: the servers' clock on this
machine too). ``play_party`` plays a party's game to its end as its players would: the host starts it,
each player guesses each round after a think time (or, now and then, not at all: the round's clock
ends it then), and the reveal runs its course. ``Book`` keeps the times from which the report measures:
when each guess was sent, when each member first saw its sender as "has guessed", when each member saw
each round's reveal, and when the server's clock was due to close it.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

#: (party code, game number, round index): one round of one party.
RoundKey = tuple[str, int, int]
#: Error codes that refuse a guess (it is then never seen as "has guessed").
REFUSALS = frozenset({"time_up", "wrong_phase", "wrong_round", "already_guessed", "not_playing"})


@dataclass
class Book:
    """Everything the players timed (seconds since the epoch), for ``report``."""

    grace_s: float
    #: (round, member) -> when the member's client sent its guess.
    sent: dict[tuple[RoundKey, int], float] = field(default_factory=dict)
    #: (round, member) -> {viewer: when the viewer first saw the member as guessed}.
    seen: dict[tuple[RoundKey, int], dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    #: round -> {viewer: when the viewer first saw the round ended (its reveal)}.
    revealed: dict[RoundKey, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    #: round -> when the server's clock closes it (deadline or countdown, plus the grace), from the last frame seen of it.
    closes: dict[RoundKey, float] = field(default_factory=dict)
    #: round -> the players in it (member ids), and the humans of it who guessed (sent, not refused).
    in_round: dict[RoundKey, set[int]] = field(default_factory=lambda: defaultdict(set))
    refused: set[tuple[RoundKey, int]] = field(default_factory=set)
    errors: Counter[str] = field(default_factory=Counter)
    frames: int = 0
    frame_bytes: int = 0
    games_finished: int = 0


class Player:
    """One member's WebSocket connection to one server."""

    def __init__(self, book: Book, *, server: str, code: str, member: int, cookie: str) -> None:
        self.book, self.server, self.code, self.member, self.cookie = book, server, code, member, cookie
        self.ws: ClientConnection | None = None
        self.state: dict[str, Any] | None = None
        self.states: list[dict[str, Any]] = []
        self.changed = asyncio.Condition()
        self.closed: int | None = None
        self._reader: asyncio.Task[None] | None = None
        self.last_guess: RoundKey | None = None

    async def connect(self, *, keep_states: bool = False) -> None:
        origin = self.server.replace("ws://", "http://", 1)
        self.keep_states = keep_states
        self.ws = await connect(
            f"{self.server}/ws/party/{self.code}/",
            origin=origin,  # type: ignore[arg-type]  # websockets' Origin is a str
            additional_headers={"Cookie": self.cookie},
            proxy=None,
            compression=None,
            open_timeout=30,
            ping_interval=None,
        )
        self._reader = asyncio.create_task(self._read())
        await self.wait_for(lambda state: True, timeout=30)

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for message in self.ws:
                arrived = time.time()
                self.book.frames += 1
                self.book.frame_bytes += len(message)
                frame = json.loads(message)
                if frame["type"] == "state":
                    self._note(frame, arrived)
                elif frame["type"] == "error":
                    self.book.errors[f"error frame: {frame['code']}"] += 1
                    if self.last_guess is not None and frame["code"] in REFUSALS:
                        self.book.refused.add((self.last_guess, self.member))
                async with self.changed:
                    if frame["type"] == "state":
                        self.state = frame
                        if self.keep_states:
                            self.states.append(frame)
                    self.changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            self.closed = self.ws.close_code if self.ws.close_code is not None else -1
            async with self.changed:
                self.changed.notify_all()

    def _note(self, state: dict[str, Any], arrived: float) -> None:
        """What this member sees in a state frame, timed: who has guessed, the round's end, when it is due to close."""
        round = state.get("round")
        if round is None:
            return
        key: RoundKey = (self.code, state["party"]["game_number"], round["index"])
        book = self.book
        for member in state["members"]:
            if member["guessed"] and not member["worldnet"]:
                book.seen[key, member["id"]].setdefault(self.member, arrived)
        if round["in_it"]:
            book.in_round[key].add(self.member)
        if round["ended"]:
            book.revealed[key].setdefault(self.member, arrived)
        else:
            ends = round["deadline"] if round["countdown_until"] is None else min(round["deadline"], round["countdown_until"])
            book.closes[key] = ends / 1000 + book.grace_s

    async def wait_for(self, condition: Any, *, timeout: float) -> dict[str, Any]:
        """The latest state once it meets ``condition`` (at once if it does now)."""
        async with self.changed:
            await asyncio.wait_for(
                self.changed.wait_for(lambda: self.closed is not None or (self.state is not None and condition(self.state))), timeout
            )
        if self.state is None or not condition(self.state):
            raise ConnectionError(f"connection closed ({self.closed})")
        return self.state

    async def send(self, message: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(message))

    async def guess(self, key: RoundKey, lat: float, lon: float) -> None:
        self.last_guess = key
        self.book.sent[key, self.member] = time.time()
        await self.send({"type": "guess", "round": key[2], "lat": lat, "lon": lon})

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader


async def play_party(
    players: list[Player], *, start_after_s: float, think_s: tuple[float, float], miss_share: float, rng: random.Random, timeout_s: float
) -> None:
    """Connects the party's players, the host starts after ``start_after_s``; each guesses every round it is in after a
    think time (``miss_share`` of the time not at all); returns when the game has finished for every player."""
    book = players[0].book
    try:
        await asyncio.gather(*(player.connect() for player in players))
    except Exception as problem:
        book.errors[f"connect: {type(problem).__name__} {problem}"[:120]] += 1
        await asyncio.gather(*(player.close() for player in players), return_exceptions=True)
        return
    await asyncio.sleep(start_after_s)
    await players[0].send({"type": "start"})
    results = await asyncio.gather(
        *(_play(player, think_s=think_s, miss_share=miss_share, rng=rng, timeout_s=timeout_s) for player in players), return_exceptions=True
    )
    for result in results:
        if isinstance(result, ConnectionError):
            book.errors[f"player: {result}"] += 1
        elif isinstance(result, BaseException):
            book.errors[f"player: {type(result).__name__}"] += 1
    await asyncio.gather(*(player.close() for player in players), return_exceptions=True)


async def _play(player: Player, *, think_s: tuple[float, float], miss_share: float, rng: random.Random, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    played: set[RoundKey] = set()
    await player.wait_for(lambda s: s["party"]["game_number"] > 0, timeout=timeout_s)
    while True:
        state = await player.wait_for(
            lambda s: s["party"]["phase"] == "finished" or (_key(s) not in played and s["round"]["in_it"] and not s["round"]["ended"]),
            timeout=max(0.1, deadline - time.monotonic()),
        )
        if state["party"]["phase"] == "finished":
            player.book.games_finished += 1
            return
        key = _key(state)
        played.add(key)
        if rng.random() < miss_share:
            continue  # this one does not guess: the round's clock ends it
        await asyncio.sleep(rng.uniform(*think_s))
        now = player.state
        if now is None or _key(now) != key or now["round"]["ended"]:
            continue  # the round ended meanwhile (the clock, or every other guess)
        await player.guess(key, rng.uniform(-60, 60), rng.uniform(-180, 180))


def _key(state: dict[str, Any]) -> RoundKey:
    round = state["round"]
    return (state["party"]["code"], state["party"]["game_number"], -1 if round is None else round["index"])
