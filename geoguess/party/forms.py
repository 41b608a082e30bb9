"""The shape of the party pages' forms: create a party, join one by its code, join by its link (a name).

Shape only, as the game's forms (``geoguess.game.forms``): which modes, round counts, time limits and
names are allowed is the services' to say (``services.party_create``, ``services.party_join``), once, and
their refusals become the form's error. Every message is shown to players as is.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from geoguess import rules
from geoguess.game.forms import PlayerNameForm
from geoguess.imagesets.models import ImageSet
from geoguess.party.models import CLASSIC

ROUNDS_MESSAGE = f"a party classic game has {', '.join(map(str, rules.ROUND_COUNTS))} rounds"
TIME_LIMIT_MESSAGE = f"a round's time limit is one of {', '.join(map(str, rules.PARTY_TIME_LIMITS))} seconds"
CODE_MISSING_MESSAGE = "type the party's code (six letters and digits)"


def _whole_number(text: str, *, default: int, message: str) -> int:
    """A whole number as a <select> writes it: digits, no sign, no leading zero; "" is ``default``."""
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and str(int(text)) == text):
        raise forms.ValidationError(message)
    return int(text)


class PartyNameForm(PlayerNameForm):
    """Joining by the party's link: a display name, as the game's forms take it (its rules are the services')."""


class PartyJoinForm(PartyNameForm):
    """Joining by code: the code (case and spaces do not matter) and a display name."""

    code = forms.CharField(
        strip=False, max_length=40, error_messages={"required": CODE_MISSING_MESSAGE, "max_length": CODE_MISSING_MESSAGE}
    )

    field_order = ["code", "player_name"]


class PartyCreateForm(PartyNameForm):
    """A new party: one of the image sets offered, the mode, classic's rounds, the time limit, worldNET in or out, the host's name."""

    image_set = forms.ModelChoiceField(
        queryset=ImageSet.objects.none(),
        empty_label=None,
        error_messages={"required": "choose one of the image sets listed", "invalid_choice": "choose one of the image sets listed"},
    )
    mode = forms.CharField(required=False, strip=False)
    rounds = forms.CharField(required=False, strip=False)
    time_limit = forms.CharField(required=False, strip=False)
    # A checkbox: sent ("on") when ticked, absent when not.
    worldnet_in = forms.BooleanField(required=False)

    field_order = ["image_set", "mode", "rounds", "time_limit", "worldnet_in", "player_name"]

    def __init__(self, *args: Any, image_sets: QuerySet[ImageSet], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["image_set"].queryset = image_sets  # type: ignore[attr-defined]  # a ModelChoiceField's

    def clean_mode(self) -> str:
        return self.cleaned_data["mode"] or CLASSIC

    def clean_rounds(self) -> int:
        return _whole_number(self.cleaned_data["rounds"], default=rules.ROUNDS_PER_GAME, message=ROUNDS_MESSAGE)

    def clean_time_limit(self) -> int:
        return _whole_number(self.cleaned_data["time_limit"], default=rules.PARTY_TIME_LIMIT_DEFAULT, message=TIME_LIMIT_MESSAGE)
