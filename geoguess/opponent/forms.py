"""The admin's form to start a training run: image sets, the common flags of ``python -m training
train`` (built from its own parser, so defaults, choices and help text are the program's), activation."""

from __future__ import annotations

import argparse
import re
from typing import Any

from django import forms
from django.db.models import QuerySet

from geoguess.imagesets.models import ImageSet
from geoguess.opponent.training_runs import training_defaults, training_flags, training_run_name_taken
from training import train as train_program

#: The flags an admin sets here, in this order; the others keep their defaults (the run's page lists all).
FORM_FLAGS = [
    "model",
    "backbone",
    "epochs",
    "head_epochs",
    "batch_size",
    "lr",
    "image_size",
    "test_fraction",
    "holdout_places",
    "max_per_place",
    "interpolation",
    "label_smoothing_km",
    "retrieval_weight",
    "seed",
    "device",
    "no_pretrained",
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
}
#: The program's number types that a form field holds as a float (its bounds above say the rest).
#: A new argparse type of the program must be added here, or its field is plain text.
FLOAT_TYPES = (float, train_program.kilometres, train_program.positive_kilometres)
#: A row id as a form or query string may carry it: ASCII digits (str.isdigit() takes "²", which
#: int() refuses), short enough for a 64-bit column (a longer one overflows SQLite's integers: a 500).
ROW_ID = re.compile(r"[0-9]{1,18}")


class ImageSetChoices(forms.ModelMultipleChoiceField):
    """Image sets by id; an id no database column could hold is refused before any query is made."""

    def clean(self, value: Any) -> QuerySet[ImageSet]:
        for pk in value if isinstance(value, (list, tuple)) else []:
            if not ROW_ID.fullmatch(str(pk)):
                raise forms.ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk})
        return super().clean(value)


def _label(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def flag_field(action: argparse.Action, default: object) -> forms.Field:
    """A form field for one parser flag, with its default and help."""
    label, help_text = _label(action.dest), action.help or ""
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
    if action.type is int:
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
        help_text="make the new version worldNET when the run succeeds (queues its predictions for every photo)",
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
