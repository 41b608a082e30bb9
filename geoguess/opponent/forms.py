"""The admin's forms: starting a training run (image sets, the common flags of ``python -m training
train``, built from its own parser, so defaults, choices and help text are the program's, and
activation), and choosing which image sets a model version plays.

The parser comes from ``training.flags``, which imports no PyTorch: the admin's pages never load it."""

from __future__ import annotations

import argparse
import re
from typing import Any

from django import forms
from django.db.models import QuerySet

from geoguess.imagesets.models import ImageSet
from geoguess.opponent.models import ModelVersion
from geoguess.opponent.selectors import set_players
from geoguess.opponent.training_runs import SITE_DEFAULT_HELP, training_defaults, training_flags, training_run_name_taken
from training.flags import MAX_FOLDS, at_least_one, fold_count, kilometres, positive_kilometres

#: The flags an admin sets here, in this order; the others keep their defaults (the run's page lists all).
FORM_FLAGS = [
    "model",
    "backbone",
    "backbone_training",
    "epochs",
    "head_epochs",
    "batch_size",
    "lr",
    "image_size",
    "test_fraction",
    "holdout_places",
    "place_by",
    "max_per_place",
    "interpolation",
    "label_smoothing_km",
    "retrieval_weight",
    "seed",
    "device",
    "no_pretrained",
    "folds",
]
DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d{1,2})?")
#: Bounds the parser leaves to the program: (minimum, maximum) for the form's number fields.
#: Upper bounds keep every number within the database's 32-bit integer columns and of a sane size.
BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "epochs": (1, 10_000),
    "head_epochs": (1, 10_000),
    "batch_size": (1, 65_536),
    "lr": (1e-7, 10.0),
    "test_fraction": (0.0, 0.9),
    "holdout_places": (1, 100_000),
    "max_per_place": (1, 10_000_000),
    "retrieval_weight": (0.0, 1.0),
    "seed": (0, 2**31 - 1),
    "label_smoothing_km": (0.0, 20_000.0),  # half the Earth's circumference: a cap on what makes sense
    "folds": (2, MAX_FOLDS),  # a run on the site's photos is cross-fitted
}
#: The help of flags whose meaning or default on the site differs from the program's.
SITE_HELP = {
    "folds": "cross-fitting: each photo is guessed in play by a model trained without it; "
    "2 folds cost about one more training, each fold more another (the site's default 2)",
    **SITE_DEFAULT_HELP,
}
#: The program's number types that a form field holds as a float or a whole number (its bounds above
#: say the rest). A new argparse type of the program must be added here, or its field is plain text.
FLOAT_TYPES = (float, kilometres, positive_kilometres)
INT_TYPES = (int, at_least_one, fold_count)
#: A row id as a form or query string may carry it: ASCII digits (str.isdigit() takes "²", which
#: int() refuses), short enough for a 64-bit column (a longer one overflows SQLite's integers: a 500).
ROW_ID = re.compile(r"[0-9]{1,18}")


class ImageSetChoices(forms.ModelMultipleChoiceField):
    """Image sets by id; an id no database column could hold is refused before any query is made.
    Each is labelled with the worldNET that plays it now."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._players: dict[int, str] | None = None

    def label_from_instance(self, obj: ImageSet) -> str:
        if self._players is None:
            self._players = {image_set.pk: _played_by(version, own) for image_set, version, own in set_players()}
        return f"{obj.name} (worldNET now: {self._players.get(obj.pk, 'none')})"

    def clean(self, value: Any) -> QuerySet[ImageSet]:
        for pk in value if isinstance(value, (list, tuple)) else []:
            if not ROW_ID.fullmatch(str(pk)):
                raise forms.ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk})
        return super().clean(value)


def _played_by(version: ModelVersion | None, own: bool) -> str:
    if version is None:
        return "none"
    return version.name if own else f"{version.name}, the site-wide default"


def _label(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def flag_field(action: argparse.Action, default: object) -> forms.Field:
    """A form field for one parser flag, with its default and help."""
    label, help_text = _label(action.dest), SITE_HELP.get(action.dest, action.help or "")
    low, high = BOUNDS.get(action.dest, (None, None))
    if isinstance(action, argparse._StoreTrueAction):
        return forms.BooleanField(required=False, initial=bool(default), label=label, help_text=help_text)
    if action.choices:
        choices = [(choice, choice) for choice in action.choices]
        return forms.ChoiceField(choices=choices, initial=default, label=label, help_text=help_text)
    if action.nargs is not None:  # e.g. --image-size H W
        initial = " ".join(map(str, default)) if isinstance(default, list) else ""
        return forms.CharField(required=False, initial=initial, label=label, help_text=help_text)
    required = default is not None
    if action.type in INT_TYPES:
        low_int, high_int = (None if low is None else int(low)), (None if high is None else int(high))
        return forms.IntegerField(
            required=required, initial=default, min_value=low_int, max_value=high_int, label=label, help_text=help_text
        )
    if action.type in FLOAT_TYPES:
        return forms.FloatField(required=required, initial=default, min_value=low, max_value=high, label=label, help_text=help_text)
    return forms.CharField(required=False, initial=default or "", max_length=100, label=label, help_text=help_text)


class TrainingRunForm(forms.Form):
    image_sets = ImageSetChoices(
        queryset=ImageSet.objects.all(), widget=forms.CheckboxSelectMultiple, help_text="train on the photos of these sets"
    )
    name = forms.CharField(required=False, max_length=120, help_text="of the new model version (default: <model>-<date and time>)")
    activate = forms.BooleanField(
        required=False,
        initial=False,
        help_text="when the run succeeds, the new version becomes the worldNET of the image sets ticked above, replacing the one each "
        "has now (queues its predictions for their photos); no other set changes",
    )

    def __init__(self, *args: Any, initial_arguments: dict[str, object] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defaults = {**training_defaults(), **(initial_arguments or {})}
        flags = training_flags()
        for dest in FORM_FLAGS:
            self.fields[dest] = flag_field(flags[dest], defaults.get(dest))

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if name and training_run_name_taken(name):
            raise forms.ValidationError("A model version (or a run that may register one) has this name already.")
        return name

    def clean_image_size(self) -> list[int] | None:
        text = self.cleaned_data["image_size"].strip()
        if not text:
            return None
        parts = text.replace(",", " ").replace("x", " ").split()
        if len(parts) != 2 or not all(part.isdigit() and 16 <= int(part) <= 4096 for part in parts):
            raise forms.ValidationError(
                "Two whole numbers, height and width in pixels (16 to 4096), e.g. 96 128; or empty for the backbone's."
            )
        return [int(part) for part in parts]

    def clean_device(self) -> str | None:
        device = self.cleaned_data["device"].strip()
        if device and not DEVICE.fullmatch(device):
            raise forms.ValidationError("auto, cpu, cuda or cuda:N (e.g. cuda:1); or empty for the worker's WORLDNET_DEVICE.")
        return device or None  # empty: the worker's WORLDNET_DEVICE, else auto

    def arguments(self) -> dict[str, object]:
        """The flags this form sets (the others keep the program's defaults)."""
        return {dest: self.cleaned_data[dest] for dest in FORM_FLAGS}


class ActivationForm(forms.Form):
    """Which image sets a version plays: its own worldNET for the sets ticked, and maybe the site-wide default."""

    image_sets = ImageSetChoices(
        queryset=ImageSet.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="plays these image sets",
        help_text="it becomes the worldNET of each set ticked (replacing the one it has now); a set it plays now and you untick "
        "goes back to the site-wide default; no set not named here changes",
    )
    default = forms.BooleanField(
        required=False,
        label="site-wide default",
        help_text="it also plays every image set without a worldNET of its own, and any set added later; "
        "untick to leave those sets without one (or choose another version as the default)",
    )
