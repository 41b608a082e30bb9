"""What a client may send on the party's WebSocket, and how fast: the message types and their fields, the parse that
checks a frame against them (and a guess's pin: ``pin_from``), and the token bucket that caps a connection's frames.
The consumer (``consumers``) reads frames through these and acts on them; docs/parties.md has the protocol."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

from geoguess.party.errors import Code, PartyError

#: A connection's frames: this many at once, then this many a second (a token bucket); beyond, dropped (``rate_limited``).
FRAMES_BURST = 20
FRAMES_PER_SECOND = 5.0
#: A client frame is a few numbers: anything longer is refused unread.
FRAME_MAX_BYTES = 4096
#: The largest round index or member id a message may name.
MAX_ID = 2**53

#: Each message type and its fields besides "type" (checked exactly: no field missing, none extra).
MESSAGES: dict[str, tuple[str, ...]] = {
    "start": (),
    "remove": ("member",),
    "guess": ("round", "lat", "lon"),
    "next": (),
    "play_again": (),
    "leave": (),
    "sync": (),
    "tick": (),
}


class TokenBucket:
    """``burst`` frames at once, then ``rate`` a second: ``take`` says whether one more may pass now."""

    def __init__(self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, float(burst), clock
        self.tokens, self.at = float(burst), clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


def parse(text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
    """A client frame as a message: text, at most ``FRAME_MAX_BYTES``, a JSON object of a known type with exactly its fields."""
    if text_data is None:
        raise PartyError(Code.NOT_TEXT, "send messages as JSON text frames")
    if len(text_data) > FRAME_MAX_BYTES or len(text_data.encode("utf-8", "surrogatepass")) > FRAME_MAX_BYTES:
        raise PartyError(Code.FRAME_TOO_LARGE, f"a message is at most {FRAME_MAX_BYTES} bytes")
    try:
        message = json.loads(text_data)
    except (ValueError, RecursionError):
        raise PartyError(Code.NOT_JSON, "a message is a JSON object") from None
    if not isinstance(message, dict):
        raise PartyError(Code.NOT_AN_OBJECT, "a message is a JSON object with a type")
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in MESSAGES:
        raise PartyError(Code.UNKNOWN_TYPE, f"type must be one of: {', '.join(MESSAGES)}")
    if set(message) != {"type", *MESSAGES[kind]}:
        raise PartyError(Code.BAD_FIELD, f"a {kind} message has the fields: {', '.join(('type', *MESSAGES[kind]))}")
    return message


def whole_number(message: dict[str, Any], field: str) -> int:
    """The message's ``field`` as a round index or member id: a whole number from 0 to ``MAX_ID`` (a JSON true is not one)."""
    value = message.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise PartyError(Code.BAD_FIELD, f"{field} must be a whole number")
    return value


def pin_from(lat: object, lon: object) -> tuple[float, float]:
    """A pin as sent: two finite numbers (not booleans, not text), a latitude within ±90; the longitude brought into ±180."""
    for value in (lat, lon):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PartyError(Code.BAD_FIELD, "lat and lon must be numbers")
    try:
        lat_f, lon_f = float(lat), float(lon)  # type: ignore[arg-type]
    except OverflowError:  # an integer too large for a float
        raise PartyError(Code.BAD_NUMBER, "latitude and longitude must be finite numbers") from None
    if not (math.isfinite(lat_f) and math.isfinite(lon_f)) or abs(lon_f) > 1e6:
        raise PartyError(Code.BAD_NUMBER, "latitude and longitude must be finite numbers")
    if not -90.0 <= lat_f <= 90.0:
        raise PartyError(Code.BAD_LATITUDE, "latitude must be between -90 and 90")
    if not -180.0 <= lon_f <= 180.0:  # a map scrolled round the world
        lon_f = (lon_f + 180.0) % 360.0 - 180.0
    return lat_f, lon_f
