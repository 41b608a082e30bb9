"""Players of a party for the tests: a session holding their membership, and a real WebSocket connection to
the project's ASGI application (``channels.testing.WebsocketCommunicator``) that records every frame it receives.

The tests that connect run with ``transaction=True`` (the consumers' threads must see committed rows), so nothing needs
Channels' test patch that turns ``close_old_connections`` into a no-op while a frame is sent or awaited (it keeps a
``TestCase``'s one connection open): the consumers' threads close their connections as they do in a server. With the
patch, every thread that touched the database left its connection open until the garbage collector found it, and
PostgreSQL could not drop the test database at the end of the run ("being accessed by other users")."""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from asgiref.testing import ApplicationCommunicator
from channels.testing import WebsocketCommunicator
from django.conf import settings

from geoguess.party.models import Member
from geoguess.party.sessions import remember_member

ORIGIN = (b"origin", b"http://testserver")


def session_cookie(*members: Member) -> bytes:
    """A session (the site's engine: a signed cookie) that holds the members' keys, as the cookie header's value."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for member in members:
        remember_member(store, member)
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}".encode()


class ServerCommunicator(WebsocketCommunicator):
    """``WebsocketCommunicator`` that leaves ``channels.db.close_old_connections`` as a server has it (see above)."""

    async def send_input(self, message: dict[str, Any]) -> None:
        return await ApplicationCommunicator.send_input(self, message)

    async def receive_output(self, timeout: float = 1) -> dict[str, Any]:
        return await ApplicationCommunicator.receive_output(self, timeout)


class Player:
    """One member's connection; ``frames`` holds every frame it has received, in order."""

    def __init__(self, member: Member | None, *, code: str | None = None, cookie: bytes | None = None) -> None:
        from geoguess.asgi import application

        self.member = member
        code = code or (member.party.code if member is not None else "")
        headers = [ORIGIN]
        if cookie is None and member is not None:
            cookie = session_cookie(member)
        if cookie is not None:
            headers.append((b"cookie", cookie))
        self.communicator = ServerCommunicator(application, f"/ws/party/{code}/", headers=headers)
        self.frames: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self.state: dict[str, Any] | None = None

    async def connect(self) -> dict[str, Any]:
        connected, _ = await self.communicator.connect()
        assert connected
        return await self.until(lambda f: f["type"] == "state")

    async def send(self, message: Any) -> None:
        await self.communicator.send_to(text_data=message if isinstance(message, str) else json.dumps(message))

    async def frame(self, timeout: float = 5) -> dict[str, Any]:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            frame = {"type": "closed", "code": output.get("code")}
        else:
            self.raw.append(output["text"])
            frame = json.loads(output["text"])
        self.frames.append(frame)
        if frame["type"] == "state":
            self.state = frame
        return frame

    async def until(self, condition: Any, timeout: float = 5) -> dict[str, Any]:
        """The first frame from now on that meets ``condition`` (the frames before it are recorded too)."""
        while True:
            frame = await self.frame(timeout)
            if condition(frame):
                return frame

    async def state_where(self, condition: Any, timeout: float = 5) -> dict[str, Any]:
        return await self.until(lambda f: f["type"] == "state" and condition(f), timeout)

    async def error(self, timeout: float = 5) -> dict[str, Any]:
        return await self.until(lambda f: f["type"] == "error", timeout)

    async def drain(self) -> None:
        """Reads what has arrived (recording it) until nothing more comes for a moment."""
        while not await self.communicator.receive_nothing(timeout=0.2):
            await self.frame()

    async def close(self) -> None:
        await self.communicator.disconnect()
