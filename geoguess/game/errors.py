"""Why the game refuses a request: a stable machine-readable ``code``, a message a player can read, an HTTP status.

Pages branch on the code, never on the message's wording. The API answers
``{"error": {"code": "time_up", "message": "time is up: this round scores 0"}}``, and the round page's
script has an entry for every code it can send (``static/js/round.js``'s ``ON_REFUSAL``; a test holds it
to that). The refusals of starting a game (``START_CODES``) are shown on the pages whose forms start one
(the home page's, a challenge's, the daily challenge's).
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    # Starting a game (the home page's and the challenge page's forms).
    NAME_MISSING = "name_missing"
    NAME_TOO_LONG = "name_too_long"
    NAME_NOT_PRINTABLE = "name_not_printable"
    UNKNOWN_MODE = "unknown_mode"
    BAD_TIME_LIMIT = "bad_time_limit"
    BAD_ROUND_COUNT = "bad_round_count"
    TOO_FEW_PHOTOS = "too_few_photos"
    WORLDNET_NOT_READY = "worldnet_not_ready"
    WORLDNET_REMOVED = "worldnet_removed"
    # Starting the daily challenge (its page's form).
    DAILY_PLAYED = "daily_played"
    DAILY_NOT_OVER = "daily_not_over"
    NO_DAILY_SET = "no_daily_set"
    # A country streak draws its photos as it goes: it has no challenge link to replay.
    NO_REPLAY = "no_replay"
    # Which game, which round.
    GAME_NOT_FOUND = "game_not_found"
    NOT_YOUR_GAME = "not_your_game"
    ROUND_NOT_FOUND = "round_not_found"
    NOT_A_DUEL = "not_a_duel"
    # The guess's body, before the rules see it.
    BODY_EMPTY = "body_empty"
    BODY_NOT_JSON = "body_not_json"
    BODY_TOO_LARGE = "body_too_large"
    WRONG_CONTENT_TYPE = "wrong_content_type"
    WRONG_FIELDS = "wrong_fields"
    BAD_INDEX = "bad_index"
    BAD_NUMBER = "bad_number"
    # The guess, against the rules.
    ALREADY_GUESSED = "already_guessed"
    OUT_OF_ORDER = "out_of_order"
    ROUND_NOT_SHOWN = "round_not_shown"
    PIN_MISSING = "pin_missing"
    BAD_LATITUDE = "bad_latitude"
    TIME_UP = "time_up"
    NO_COUNTRY = "no_country"
    # What is shown after the guess only.
    ANSWER_AFTER_GUESS = "answer_after_guess"
    NO_ATTENTION_MAP = "no_attention_map"


#: Refused when a game is started (the home page's and the challenge page's forms); never by the round API.
START_CODES = frozenset(
    {
        Code.NAME_MISSING,
        Code.NAME_TOO_LONG,
        Code.NAME_NOT_PRINTABLE,
        Code.UNKNOWN_MODE,
        Code.BAD_TIME_LIMIT,
        Code.BAD_ROUND_COUNT,
        Code.TOO_FEW_PHOTOS,
        Code.WORLDNET_NOT_READY,
        Code.WORLDNET_REMOVED,
        Code.DAILY_PLAYED,
        Code.DAILY_NOT_OVER,
        Code.NO_DAILY_SET,
        Code.NO_REPLAY,
    }
)
#: What the round API may answer with.
API_CODES = frozenset(Code) - START_CODES


class GameError(Exception):
    """A request the rules refuse. ``status`` is the HTTP status a view answers with."""

    def __init__(self, code: Code, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    def as_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code.value, "message": self.message}}
