"""What players send, validated before the rules see it: the two forms, and the guess JSON.

Every message here is shown to players as is, so each says in plain English what a good
value looks like, never what Python thought of a bad one.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from django import forms
from django.db.models import QuerySet

from geoguess.game import services
from geoguess.game.models import CLASSIC, MODES, ROUNDS_PER_GAME, TIME_LIMITS
from geoguess.imagesets.models import ImageSet

TIME_LIMIT_MESSAGE = f"time limit must be one of {', '.join(map(str, TIME_LIMITS))} seconds"
NAME_MESSAGE = "please give a display name for the leaderboard"

# Public ids and image tokens are ``secrets.token_urlsafe(18)``: 24 URL-safe characters. Anything
# else in their place in a URL is no game of ours: answered 404 before it reaches the database
# (PostgreSQL refuses NUL characters with an error, not an empty result).
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_token(value: str) -> bool:
    return TOKEN_PATTERN.fullmatch(value) is not None


class _PlayerNameForm(forms.Form):
    # No max_length here: services.clean_player_name measures the name after collapsing spaces,
    # and its messages are the ones players see. Django's own null-character check stays.
    player_name = forms.CharField(strip=False, error_messages={"required": NAME_MESSAGE})

    def clean_player_name(self) -> str:
        # One rule for names, in the services, whether a name comes through a form or not.
        try:
            return services.clean_player_name(self.cleaned_data["player_name"])
        except services.GameError as problem:
            raise forms.ValidationError(str(problem)) from None


class GameStartForm(_PlayerNameForm):
    """The home page's form: an image set with photos, a display name and a time limit."""

    image_set = forms.ModelChoiceField(
        queryset=ImageSet.objects.none(),
        empty_label=None,
        error_messages={"required": "choose one of the image sets listed", "invalid_choice": "choose one of the image sets listed"},
    )
    # A <select>: "" (no choice sent) is "no limit", like the form's first option.
    time_limit = forms.TypedChoiceField(
        choices=[(str(t), str(t)) for t in TIME_LIMITS],
        coerce=int,
        required=False,
        empty_value=0,
        error_messages={"invalid_choice": TIME_LIMIT_MESSAGE},
    )

    # The home page's two buttons: "Classic" and "Duel worldNET". Nothing sent (Enter in the name
    # field of an older page) is a classic game, like the form's first button.
    mode = forms.TypedChoiceField(
        choices=MODES,
        required=False,
        empty_value=CLASSIC,
        error_messages={"invalid_choice": "choose Classic or Duel worldNET"},
    )

    field_order = ["image_set", "player_name", "time_limit", "mode"]

    def __init__(self, *args, image_sets: QuerySet[ImageSet], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["image_set"].queryset = image_sets


class ChallengeAcceptForm(_PlayerNameForm):
    """The challenge page's form: a display name."""


def playable_image_sets() -> QuerySet[ImageSet]:
    """Image sets with enough enabled photos for a game, with their ``photo_count`` (enabled photos).

    Imports refuse smaller sets; this keeps one that shrank (photos deleted or disabled) from being offered.
    """
    return ImageSet.objects.playable()


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


class GuessRejected(Exception):
    """A guess body that is not a guess; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class GuessInput:
    index: int
    #: Both None: the countdown ran out with no pin on the map.
    lat: float | None
    lon: float | None


def guess_from_json(*, body: bytes, content_type: str, rounds: int = ROUNDS_PER_GAME) -> GuessInput:
    """The guess in a request body: ``{"index": 0-4, "lat": number, "lon": number}`` (lat and lon may both be null).

    ``rounds``: how many rounds the game has (a duel: those drawn so far), which bounds the index.

    Checked in this order, each with its own message: something sent, content type, size, UTF-8,
    JSON, an object with exactly the three keys, then each value's type. json.loads is safe here:
    the size limit keeps nesting far below the depth where it recurses out of stack.
    """
    if not body.strip():
        raise GuessRejected("send the guess as a JSON object with index, lat and lon")
    if content_type != "application/json":
        raise GuessRejected("send the guess as JSON (Content-Type: application/json)", status=415)
    if len(body) > GUESS_MAX_BYTES:
        raise GuessRejected(f"a guess is at most {GUESS_MAX_BYTES} bytes", status=413)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise GuessRejected("the guess is not valid UTF-8 text") from None
    try:
        # Python's json also reads NaN, Infinity and 1e400 (as inf): the type checks below refuse them.
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: belt and braces beside the size limit
        raise GuessRejected("the guess is not valid JSON") from None
    if not isinstance(data, dict):
        raise GuessRejected("send the guess as a JSON object with index, lat and lon")
    if unexpected := sorted(set(data) - set(GUESS_FIELDS)):
        raise GuessRejected(f"a guess has only index, lat and lon (unexpected: {', '.join(unexpected)[:100]})")
    if missing := [k for k in GUESS_FIELDS if k not in data]:
        raise GuessRejected(f"a guess needs index, lat and lon (missing: {', '.join(missing)})")
    return GuessInput(index=round_index(data["index"], rounds), lat=_coordinate(data["lat"]), lon=_coordinate(data["lon"]))


def round_index(value: object, rounds: int = ROUNDS_PER_GAME) -> int:
    """A round's index, 0 to ``rounds - 1``: a JSON integer, never a boolean, float or string."""
    # bool is a subclass of int: True would otherwise be round 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < rounds:
        raise GuessRejected(f"index must be a round number from 0 to {rounds - 1}")
    return value


def _coordinate(value: object) -> float | None:
    """A JSON number as a finite float, or None; booleans, strings, lists and objects are refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GuessRejected("latitude and longitude must be numbers")
    try:
        number = float(value)
    except OverflowError:  # an integer literal beyond a float: 1 followed by 400 zeros
        raise GuessRejected("latitude and longitude must be numbers") from None
    if not math.isfinite(number):  # 1e400 parses as inf
        raise GuessRejected("latitude and longitude must be finite numbers")
    return number
