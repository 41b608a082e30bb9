"""The shape of what players send, checked before the rules see it: the two forms, and the guess's JSON.

Shape only (a field is there, a number is a number): the rules (which names, modes, time limits and
rounds are allowed, where a pin may be) are the services' and the engine's, checked once, there.
Every message here is shown to players as is, so each says in plain English what a good value looks
like, never what Python thought of a bad one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet

from geoguess import rules
from geoguess.game.errors import Code, GameError
from geoguess.game.models import CLASSIC
from geoguess.game.services import NAME_MISSING_MESSAGE, ROUND_COUNT_MESSAGE, TIME_LIMIT_MESSAGE
from geoguess.imagesets.models import ImageSet

# Public ids and image tokens are ``secrets.token_urlsafe(18)``: 24 URL-safe characters. Anything
# else in their place in a URL is no game of ours: answered 404 before it reaches the database
# (PostgreSQL refuses NUL characters with an error, not an empty result).
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_token(value: str) -> bool:
    return TOKEN_PATTERN.fullmatch(value) is not None


class PlayerNameForm(forms.Form):
    """A display name: present, and text (the game's forms and the party's build on it)."""

    # Present, and text (Django's own null-character check stays); the name rules (spaces, length,
    # printable characters) are the services' (``services.clean_player_name``).
    player_name = forms.CharField(strip=False, error_messages={"required": NAME_MISSING_MESSAGE})


class GameStartForm(PlayerNameForm):
    """The home page's form: one of the image sets offered, a display name, a time limit and a mode."""

    image_set = forms.ModelChoiceField(
        queryset=ImageSet.objects.none(),
        empty_label=None,
        error_messages={"required": "choose one of the image sets listed", "invalid_choice": "choose one of the image sets listed"},
    )
    # A <select>: "" (no choice sent) is "no limit", like the form's first option.
    # Text, not stripped: " 30" is no option of the page's <select>. Nothing sent: the default.
    rounds = forms.CharField(required=False, strip=False)
    time_limit = forms.CharField(required=False, strip=False)
    # The home page's two buttons. Nothing sent (Enter in the name field of an older page) is a
    # classic game, like the form's first button.
    mode = forms.CharField(required=False, strip=False)

    field_order = ["image_set", "player_name", "rounds", "time_limit", "mode"]

    def __init__(self, *args: Any, image_sets: QuerySet[ImageSet], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["image_set"].queryset = image_sets  # type: ignore[attr-defined]  # a ModelChoiceField's

    def clean_rounds(self) -> int:
        return _whole_number(self.cleaned_data["rounds"], default=rules.ROUNDS_PER_GAME, message=ROUND_COUNT_MESSAGE)

    def clean_time_limit(self) -> int:
        return _whole_number(self.cleaned_data["time_limit"], default=0, message=TIME_LIMIT_MESSAGE)

    def clean_mode(self) -> str:
        return self.cleaned_data["mode"] or CLASSIC


def _whole_number(text: str, *, default: int, message: str) -> int:
    """A whole number as the page's <select> writes it: digits, no sign, no leading zero; "" is ``default``."""
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and str(int(text)) == text):
        raise forms.ValidationError(message)
    return int(text)


class ChallengeAcceptForm(PlayerNameForm):
    """The challenge page's form: a display name."""


class StreakStartForm(PlayerNameForm):
    """The country streak's form (``/streak/``): one of the image sets offered and a display name."""

    image_set = forms.ModelChoiceField(
        queryset=ImageSet.objects.none(),
        empty_label=None,
        error_messages={"required": "choose one of the image sets listed", "invalid_choice": "choose one of the image sets listed"},
    )

    field_order = ["image_set", "player_name"]

    def __init__(self, *args: Any, image_sets: QuerySet[ImageSet], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["image_set"].queryset = image_sets  # type: ignore[attr-defined]  # a ModelChoiceField's


def first_error(form: forms.Form) -> str:
    """The first problem of a form, as one line for the page (fields in the form's order)."""
    for field in form.fields:
        if field in form.errors:
            return str(form.errors[field][0])
    return str(form.non_field_errors()[0]) if form.non_field_errors() else "please check the form"


# --- the guess API's JSON -------------------------------------------------------------------

#: A guess is three numbers: anything longer is not one (and json never sees it).
GUESS_MAX_BYTES = 1024
GUESS_FIELDS = ("index", "lat", "lon")


@dataclass(frozen=True)
class GuessInput:
    index: int
    #: Both None: the countdown ran out with no pin on the map.
    lat: float | None
    lon: float | None


def guess_from_json(*, body: bytes, content_type: str) -> GuessInput:
    """The guess in a request body: ``{"index": integer, "lat": number, "lon": number}`` (lat and lon may be null).

    Checked in this order, each with its own message: something sent, content type, size, UTF-8,
    JSON, an object with exactly the three keys, then each value's type. json.loads is safe here:
    the size limit keeps nesting far below the depth where it recurses out of stack.
    """
    if not body.strip():
        raise GameError(Code.BODY_EMPTY, "send the guess as a JSON object with index, lat and lon")
    if content_type != "application/json":
        raise GameError(Code.WRONG_CONTENT_TYPE, "send the guess as JSON (Content-Type: application/json)", status=415)
    if len(body) > GUESS_MAX_BYTES:
        raise GameError(Code.BODY_TOO_LARGE, f"a guess is at most {GUESS_MAX_BYTES} bytes", status=413)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise GameError(Code.BODY_NOT_JSON, "the guess is not valid UTF-8 text") from None
    try:
        # Python's json also reads NaN, Infinity and 1e400 (as inf): the engine refuses those as no place on the map.
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: belt and braces beside the size limit
        raise GameError(Code.BODY_NOT_JSON, "the guess is not valid JSON") from None
    if not isinstance(data, dict):
        raise GameError(Code.WRONG_FIELDS, "send the guess as a JSON object with index, lat and lon")
    if unexpected := sorted(set(data) - set(GUESS_FIELDS)):
        raise GameError(Code.WRONG_FIELDS, f"a guess has only index, lat and lon (unexpected: {', '.join(unexpected)[:100]})")
    if missing := [k for k in GUESS_FIELDS if k not in data]:
        raise GameError(Code.WRONG_FIELDS, f"a guess needs index, lat and lon (missing: {', '.join(missing)})")
    return GuessInput(index=_index(data["index"]), lat=_coordinate(data["lat"]), lon=_coordinate(data["lon"]))


def _index(value: object) -> int:
    """A JSON integer, never a boolean, float or string (which rounds exist is the engine's to say)."""
    # bool is a subclass of int: True would otherwise be round 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise GameError(Code.BAD_INDEX, "index must be a round number (a whole number from 0)")
    return value


def _coordinate(value: object) -> float | None:
    """A JSON number as a float, or None; booleans, strings, lists and objects are refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GameError(Code.BAD_NUMBER, "latitude and longitude must be numbers")
    try:
        return float(value)
    except OverflowError:  # an integer literal beyond a float: 1 followed by 400 zeros
        raise GameError(Code.BAD_NUMBER, "latitude and longitude must be numbers") from None
