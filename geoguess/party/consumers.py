"""The party's WebSocket: one connection per member at ``/ws/party/<code>/`` (``routing``).

A connection is the member whose key the session holds for that party (``sessions.member_for_session``);
any other is accepted, closed at once with ``CLOSE_NOT_A_MEMBER`` (4403) and never joins a group. Every
change to a party sends its group a bare ``party.changed``; each connection then builds its own member's
snapshot (``frames.state_from``) and sends that: a frame meant for one member can never reach another.

The connections of one server that hear the same change share one read of the party (``frames.party_snapshot``;
each makes its member's state from it), and the server keeps one clock per party it has connections to: a
timer for the next thing due (worldNET's lock-in, the round's close, the reveal's end) that calls
``services.advance_unless_busy`` (as does a client's ``tick``: neither ever waits on a party's lock); every such
call is idempotent, so the clocks of several servers firing at once do each transition once.

Floods: each connection takes at most ``messages.FRAMES_BURST`` frames at once and ``FRAMES_PER_SECOND`` sustained (a token
bucket; beyond it a frame is dropped with the error ``rate_limited``), and a member has at most
``MAX_CONNECTIONS_PER_MEMBER`` open connections on a server (one more is closed with ``CLOSE_TOO_MANY``). Client messages and
error codes: docs/parties.md. No exception leaves this class: a bad frame gets an error frame and the room carries on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import connection
from django.utils import timezone

from geoguess.party import messages, services
from geoguess.party.errors import Code, PartyError
from geoguess.party.frames import Snapshot, party_snapshot, state_from
from geoguess.party.messages import TokenBucket, parse, pin_from, whole_number
from geoguess.party.models import Member
from geoguess.party.notify import party_group
from geoguess.party.selectors import next_wakeup
from geoguess.party.sessions import member_for_session

logger = logging.getLogger(__name__)

#: Close codes: not a member of this party (or removed from it); the member left; the member has too many connections open.
CLOSE_NOT_A_MEMBER = 4403
CLOSE_LEFT = 4000
CLOSE_TOO_MANY = 4429
#: Open connections a member may have at once (tabs, browsers): one more is closed with ``CLOSE_TOO_MANY``.
MAX_CONNECTIONS_PER_MEMBER = 4
#: The clock fires a little after what is due (never early), spread so that a room's connections do not all queue at once.
CLOCK_SLACK_S = (0.02, 0.08)
#: After a timer that found nothing to do (another connection did it), wait at least this long before the next.
CLOCK_IDLE_S = 0.5


@dataclass
class _Shares:
    """What one server's connections share, per party: the snapshot of the last change they heard (each
    ``party.changed`` has an id: every connection here that hears it uses the one read made after it first
    arrived, so after the change), the party's clock (one timer a server, not one a connection), and how many
    of its connections are here. One per event loop (a server runs one; tests run one per scenario)."""

    snapshots: dict[int, tuple[str, asyncio.Future[Snapshot | None]]] = field(default_factory=dict)
    clocks: dict[int, tuple[datetime | None, asyncio.Task[None]]] = field(default_factory=dict)
    connections: dict[int, int] = field(default_factory=dict)
    #: Each member's open connections here (the cap, ``MAX_CONNECTIONS_PER_MEMBER``: counted per server, in memory, so
    #: that the database's count, which a server killed outright leaves too high, can never lock a member out).
    members: dict[int, int] = field(default_factory=dict)


_loops_shares: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Shares] = weakref.WeakKeyDictionary()


def _shares() -> _Shares:
    loop = asyncio.get_running_loop()
    shares = _loops_shares.get(loop)
    if shares is None:
        shares = _loops_shares[loop] = _Shares()
    return shares


def in_thread(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (the ORM's work) as a coroutine on one of the default executor's threads, each with its own database
    connection, not on the one thread that Channels' default (thread-sensitive) gives every call of the server: there,
    one commit waiting for the disk or one transition waiting for a party's lock held up every other party's frames.
    A connection's calls still run one after the other (the consumer awaits each), so its frames keep their order.

    Not on SQLite (the embedded default, one process): it takes one writer at a time anyway, and its shared in-memory
    test database refuses a reader at once while another thread writes ("database table is locked"), without waiting.
    """
    return database_sync_to_async(function, thread_sensitive=connection.vendor == "sqlite")


def _membership(session: Any, code: str) -> tuple[int, int] | None:
    member = member_for_session(session, code)
    return None if member is None else (member.pk, member.party_id)


def _as_member(member_id: int, action: Callable[..., Any], **fields: Any) -> Any:
    """Runs a service as the connection's member (read again: they may have been removed meanwhile)."""
    member = Member.objects.select_related("party").filter(pk=member_id, removed=False).first()
    if member is None:
        raise PartyError(Code.NO_SUCH_MEMBER, "you are no longer in this party")
    return action(member=member, **fields)


class PartyConsumer(AsyncWebsocketConsumer):
    #: The connection's member and party, once counted in (``connect``); kept until ``disconnect`` counts it out.
    member_id: int | None = None
    party_id: int | None = None
    #: The member left or was removed: nothing more is read from or sent to this connection (it is closing).
    done: bool = False
    #: The connection's frames allowed (``connect`` makes it).
    frames: TokenBucket

    async def connect(self) -> None:
        code = str(self.scope["url_route"]["kwargs"].get("code", ""))
        self.frames = TokenBucket(rate=messages.FRAMES_PER_SECOND, burst=messages.FRAMES_BURST)
        try:
            found = await in_thread(_membership)(self.scope.get("session"), code)
        except Exception:
            logger.exception("could not look up the membership of a connection to party %r", code)
            found = None
        await self.accept()
        if found is None:
            await self.close(code=CLOSE_NOT_A_MEMBER)
            return
        shares = _shares()
        if shares.members.get(found[0], 0) >= MAX_CONNECTIONS_PER_MEMBER:
            await self._send(
                PartyError(Code.TOO_MANY_CONNECTIONS, f"this party is open in {MAX_CONNECTIONS_PER_MEMBER} tabs already").as_frame()
            )
            await self.close(code=CLOSE_TOO_MANY)
            return
        self.member_id, self.party_id = found
        shares.members[self.member_id] = shares.members.get(self.member_id, 0) + 1
        shares.connections[self.party_id] = shares.connections.get(self.party_id, 0) + 1
        await self.channel_layer.group_add(party_group(self.party_id), self.channel_name)
        await self._safely(self._arrive)

    async def _arrive(self) -> None:
        assert self.member_id is not None and self.party_id is not None
        await in_thread(services.connection_count)(member_id=self.member_id, delta=1)
        await in_thread(services.advance)(party_id=self.party_id)  # a party nobody was connected to catches up
        await self.send_state()

    async def disconnect(self, code: int) -> None:
        shares = _shares()
        if self.member_id is not None and self.member_id in shares.members:
            shares.members[self.member_id] -= 1
            if shares.members[self.member_id] <= 0:
                del shares.members[self.member_id]
        if self.party_id is not None and self.party_id in shares.connections:
            shares.connections[self.party_id] -= 1
            if shares.connections[self.party_id] <= 0:  # the server's last connection to the party: its clock and snapshot go
                del shares.connections[self.party_id]
                shares.snapshots.pop(self.party_id, None)
                clock = shares.clocks.pop(self.party_id, None)
                if clock is not None:
                    clock[1].cancel()
        if self.party_id is None or self.member_id is None:
            return
        await self.channel_layer.group_discard(party_group(self.party_id), self.channel_name)
        try:
            await in_thread(services.connection_count)(member_id=self.member_id, delta=-1)
        except Exception:
            logger.exception("could not count member %s's connection out", self.member_id)

    # --- from the client ---------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.member_id is None or self.done:
            return  # closed already: a non-member's frames are dropped
        if not self.frames.take():
            await self._send(PartyError(Code.RATE_LIMITED, "too many messages: slow down").as_frame())
            return
        await self._safely(self._handle, text_data, bytes_data)

    async def _safely(self, handler: Callable[..., Any], *args: Any) -> None:
        """Runs ``handler``; a refusal becomes an error frame, anything else is logged and answered ``server_error``."""
        try:
            await handler(*args)
        except PartyError as problem:
            await self._send(problem.as_frame())
        except Exception:
            logger.exception("party connection of member %s", self.member_id)
            await self._send(PartyError(Code.SERVER_ERROR, "something went wrong on the server: try again").as_frame())

    async def _handle(self, text_data: str | None, bytes_data: bytes | None) -> None:
        assert self.member_id is not None and self.party_id is not None
        message = parse(text_data, bytes_data)
        kind = message["type"]
        act = in_thread(_as_member)
        if kind == "guess":
            round_index = whole_number(message, "round")
            pin = pin_from(message["lat"], message["lon"])
            await act(self.member_id, services.guess_submit, round_index=round_index, lat=pin[0], lon=pin[1])
        elif kind == "start":
            await act(self.member_id, services.party_start)
        elif kind == "play_again":
            await act(self.member_id, services.party_play_again)
        elif kind == "next":
            await act(self.member_id, services.reveal_skip)
        elif kind == "remove":
            await act(self.member_id, services.member_remove, removed_id=whole_number(message, "member"))
        elif kind == "leave":
            await act(self.member_id, services.member_leave)
            await self._send({"type": "left"})
            self.done = True  # nothing more is sent to this connection; ``disconnect`` still counts it out
            await self.close(code=CLOSE_LEFT)
        elif kind == "tick":
            await in_thread(services.advance_unless_busy)(party_id=self.party_id)  # never waits on the party's lock
            await self.send_state()
        else:  # sync
            await self.send_state()

    # --- to the client -----------------------------------------------------------------------------

    async def party_changed(self, event: dict[str, Any]) -> None:
        """The party changed (``notify.announce``): send this member's state."""
        change = event.get("id")
        await self._safely(self.send_state, change if isinstance(change, str) else None)

    async def send_state(self, change: str | None = None) -> None:
        """This member's state, from a fresh read of the party (or the one made here for the same ``change`` since it arrived)."""
        if self.member_id is None or self.party_id is None or self.done:
            return
        snapshot = await _snapshot(self.party_id, change)
        state = state_from(snapshot, self.member_id) if snapshot is not None else None
        if state is None:  # removed from the party
            self.done = True  # ``disconnect`` still counts the connection out
            await self._send({"type": "removed"})
            await self.close(code=CLOSE_NOT_A_MEMBER)
            return
        await self._send(state)
        if snapshot is not None:
            _set_clock(self.party_id, snapshot.due)

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, allow_nan=False))


# --- one server's shares of a party ------------------------------------------------------------------


async def _snapshot(party_id: int, change: str | None) -> Snapshot | None:
    """The party's snapshot for ``change`` (shared by this server's connections that heard it), or a new one (None: no change)."""
    shares = _shares()
    shared = shares.snapshots.get(party_id)
    if change is not None and shared is not None and shared[0] == change:
        return await asyncio.shield(shared[1])
    read = asyncio.ensure_future(in_thread(party_snapshot)(party_id))
    if change is not None and party_id in shares.connections:
        shares.snapshots[party_id] = (change, read)
    return await read


def _set_clock(party_id: int, due: datetime | None) -> None:
    """The party's clock on this server, due at ``due`` (None: nothing timed); kept as it is when already due then."""
    shares = _shares()
    if party_id not in shares.connections:
        return
    running = shares.clocks.get(party_id)
    if running is not None:
        if running[0] == due and not running[1].done():
            return
        running[1].cancel()
    if due is None:
        shares.clocks.pop(party_id, None)
        return
    shares.clocks[party_id] = (due, asyncio.ensure_future(_run_clock(party_id, due)))


async def _run_clock(party_id: int, due: datetime) -> None:
    """Sleeps until the party's next due moment, then advances it; again, until nothing is timed (a change resets it)."""
    try:
        while True:
            delay = (due - timezone.now()).total_seconds()
            await asyncio.sleep(max(0.0, delay) + random.uniform(*CLOCK_SLACK_S))
            if not await in_thread(services.advance_unless_busy)(party_id=party_id):
                await asyncio.sleep(CLOCK_IDLE_S)  # another server did it (or is doing it): its change resets this clock
            next_due = await in_thread(next_wakeup)(party_id)
            if next_due is None:
                return
            due = next_due
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("the clock of party %s", party_id)
