"""Why a party refuses something: a stable machine-readable ``code`` and a message a player can read.

The same shape as the game's errors (``geoguess.game.errors``): ``{"code": ..., "message": ...}``. Over the
WebSocket a refusal is the frame ``{"type": "error", "code": ..., "message": ...}`` and the room carries on;
from a view (create or join) it is the form's error. docs/parties.md lists every code.
"""

from __future__ import annotations

from enum import StrEnum

from geoguess.game.errors import GameError


class Code(StrEnum):
    # Creating and joining (the forms); the display name's codes are the game's (name_missing, ...).
    UNKNOWN_MODE = "unknown_mode"
    BAD_ROUND_COUNT = "bad_round_count"
    BAD_TIME_LIMIT = "bad_time_limit"
    TOO_FEW_PHOTOS = "too_few_photos"
    WORLDNET_NOT_READY = "worldnet_not_ready"
    PARTY_NOT_FOUND = "party_not_found"
    PARTY_FULL = "party_full"
    PARTY_STARTED = "party_started"
    NAME_TAKEN = "name_taken"
    ALREADY_IN_PARTY = "already_in_party"
    NAME_RESERVED = "name_reserved"
    TOO_MANY_JOINS = "too_many_joins"
    # Frames, before the rules see them.
    FRAME_TOO_LARGE = "frame_too_large"
    NOT_TEXT = "not_text"
    NOT_JSON = "not_json"
    NOT_AN_OBJECT = "not_an_object"
    UNKNOWN_TYPE = "unknown_type"
    BAD_FIELD = "bad_field"
    # The rules.
    NOT_HOST = "not_host"
    WRONG_PHASE = "wrong_phase"
    NEED_PLAYERS = "need_players"
    NO_SUCH_MEMBER = "no_such_member"
    WRONG_ROUND = "wrong_round"
    NOT_PLAYING = "not_playing"
    ALREADY_GUESSED = "already_guessed"
    TIME_UP = "time_up"
    BAD_LATITUDE = "bad_latitude"
    BAD_NUMBER = "bad_number"
    NOT_REMOVABLE = "not_removable"
    # Too many frames from one connection: the frame is dropped, the connection carries on.
    RATE_LIMITED = "rate_limited"
    # A member's connection beyond the most they may have open (then closed with 4429).
    TOO_MANY_CONNECTIONS = "too_many_connections"
    # Something went wrong on the server: logged, the room carries on.
    SERVER_ERROR = "server_error"


class PartyError(Exception):
    """Something the party refuses; ``code`` a ``Code`` or one of the game's name codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = str(code), message

    @classmethod
    def from_game(cls, problem: GameError) -> PartyError:
        """The game's refusal (a display name's) under the same code."""
        return cls(problem.code.value, problem.message)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    def as_frame(self) -> dict[str, str]:
        return {"type": "error", **self.as_dict()}
