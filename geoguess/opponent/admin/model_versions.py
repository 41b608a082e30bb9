"""Admin: model versions with their evaluation (activating one queues its predictions), and their predictions."""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from geoguess.opponent.admin.display import arguments_table, facts_table
from geoguess.opponent.models import ModelVersion
from geoguess.opponent.selectors import active_version
from geoguess.opponent.services import model_version_activate
from worldnet_core.metrics import METRIC_KEYS

SPLIT_LABELS = {"seen": "seen places (held-out images)", "unseen": "unseen places"}
METRIC_MEANINGS = {
    "mean_km": "mean error, km",
    "median_km": "median error, km",
    "continent_acc": "share on the right continent",
    "points": "mean GeoGuessr points (of 5000)",
    "coherence": "share of guesses more than 1,500 km from every candidate shown (lower is better)",
    **{key: f"share within {key[4:-2]} km" for key in METRIC_KEYS if key.startswith("acc_") and key.endswith("km")},
}
# Versions registered before train_worldnet kept only its own flags stored Django's stdout
# and stderr as "<django.core.management.base.OutputWrapper object at 0x...>": not arguments.
_OBJECT_REPR = re.compile(r"^<.* object at 0x[0-9a-fA-F]+>$")


def _is_object_repr(key: str, value: object) -> bool:
    return key in ("stdout", "stderr") or (isinstance(value, str) and bool(_OBJECT_REPR.match(value)))


def _number(value: object) -> str:
    return f"{value:,.3f}" if isinstance(value, (int, float)) else "–"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def mean_km(version: ModelVersion, split: str) -> float | None:
    """The version's stored mean error on ``split``, if it is a number (metrics are JSON from a checkpoint)."""
    block = version.metrics.get(split) if isinstance(version.metrics, dict) else None
    value = block.get("mean_km") if isinstance(block, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def activation_warnings(version: ModelVersion, replaced: ModelVersion | None) -> list[str]:
    """What an admin should know about the version just activated: no evaluation, or a mean
    error worse than the version it replaced (players would notice the weaker opponent)."""
    if not any(mean_km(version, split) is not None for split in SPLIT_LABELS):
        return [f"{version.name} has no stored evaluation: nothing says how well it plays."]
    if replaced is None or replaced.pk == version.pk:
        return []
    worse = [
        f"{SPLIT_LABELS[split]}: {ours:,.0f} km against {theirs:,.0f} km"
        for split in SPLIT_LABELS
        if (ours := mean_km(version, split)) is not None and (theirs := mean_km(replaced, split)) is not None and ours > theirs
    ]
    if not worse:
        return []
    return [
        f"{version.name} guesses farther off on average than {replaced.name}, which it replaced "
        f"({'; '.join(worse)}; each measured on its own test photos). To go back, activate {replaced.name}."
    ]


class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "model_name", "is_active", "seen_mean_km", "unseen_mean_km", "prediction_count", "created_at"]
    readonly_fields = [
        "model_name",
        "checkpoint",
        "is_active",
        "activated_at",
        "created_at",
        "evaluation",
        "trained_by",
        "training_run",
        "training_arguments",
    ]
    fields = ["name", *readonly_fields]  # the name is the one field an admin may edit
    actions = ["activate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from training runs (the admin's, or `manage.py train_worldnet`)

    @admin.action(description="Activate (and predict every photo)")
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one model version to activate.", messages.ERROR)
            return
        replaced = active_version()
        version = model_version_activate(version=queryset.get())
        self.message_user(request, f"{version.name} is now worldNET; its predictions for every photo are queued.", messages.SUCCESS)
        for warning in activation_warnings(version, replaced):
            self.message_user(request, warning, messages.WARNING)

    def _mean(self, obj: ModelVersion, split: str) -> str:
        value = mean_km(obj, split)
        return f"{value:,.0f}" if value is not None else "–"

    @admin.display(description="seen mean km")
    def seen_mean_km(self, obj: ModelVersion) -> str:
        return self._mean(obj, "seen")

    @admin.display(description="unseen mean km")
    def unseen_mean_km(self, obj: ModelVersion) -> str:
        return self._mean(obj, "unseen")

    @admin.display(description="predictions")
    def prediction_count(self, obj: ModelVersion) -> int:
        return obj.predictions.count()

    @admin.display(description="evaluation")
    def evaluation(self, obj: ModelVersion) -> str:
        splits = [s for s in ("seen", "unseen") if isinstance(obj.metrics.get(s), dict) and obj.metrics[s]]
        if not splits:
            return "no evaluation stored"
        header = format_html_join("", "<th>{}</th>", ((SPLIT_LABELS[s],) for s in splits))
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td>{}</tr>",
            (
                (
                    key,
                    METRIC_MEANINGS.get(key, ""),
                    format_html_join("", "<td>{}</td>", ((_number(obj.metrics[s].get(key)),) for s in splits)),
                )
                for key in METRIC_KEYS
            ),
        )
        return format_html(
            '<table class="metrics"><thead><tr><th>metric</th><th>meaning</th>{}</tr></thead><tbody>{}</tbody></table>', header, rows
        )

    @admin.display(description="trained by")
    def trained_by(self, obj: ModelVersion) -> str:
        runs = [
            (reverse("admin:opponent_trainingrun_change", args=[run.pk]), f"{run.name} ({run.get_source_display()})")
            for run in obj.training_runs.all()
        ]
        return format_html_join(", ", '<a href="{}">{}</a>', runs) if runs else "no training run recorded"

    @admin.display(description="training run")
    def training_run(self, obj: ModelVersion) -> str:
        training = obj.training if isinstance(obj.training, dict) else {}
        facts = []
        if "train_images" in training:
            facts.append(("training images", f"{training['train_images']:,}"))
        if "seconds" in training:
            facts.append(("training time", _duration(float(training["seconds"]))))
        if "scale_km" in training:
            facts.append(("scale D of the image set", f"{float(training['scale_km']):,.0f} km"))
        if training.get("holdout"):
            facts.append(("places held out (unseen)", ", ".join(map(str, training["holdout"]))))
        if not facts:
            return "no training record stored"
        return facts_table(facts)

    @admin.display(description="training arguments")
    def training_arguments(self, obj: ModelVersion) -> str:
        training = obj.training if isinstance(obj.training, dict) else {}
        arguments = training.get("args")
        if not isinstance(arguments, dict) or not arguments:
            return "none stored"
        return arguments_table({key: value for key, value in arguments.items() if not _is_object_repr(key, value)})


class PredictionAdmin(admin.ModelAdmin):
    list_display = ["photo", "model_version", "lat", "lon", "latency_ms", "created_at"]
    list_filter = ["model_version"]
    readonly_fields = ["photo", "model_version", "lat", "lon", "top", "latency_ms", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
