"""Admin: model versions with what they play and how well (in play, and on their held-out tests), the
page that chooses which image sets one plays (``activation``), and their predictions."""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from geoguess.opponent.admin.activation import activation_view
from geoguess.opponent.admin.display import arguments_table, facts_table
from geoguess.opponent.models import ModelVersion
from geoguess.opponent.selectors import sets_played_by
from geoguess.opponent.strength import (
    SPLIT_LABELS,
    WITHIN_KM,
    held_out_counts,
    mean_km,
    measurable,
    min_test_photos,
    records_its_training_photos,
    version_in_play,
)
from worldnet_core.metrics import METRIC_KEYS

#: How to measure a version whose test is too small, by table.
TOO_SMALL_FIX = {
    "seen": "import more photos of its places (with the default test share of 0.3, some 100 photos hold out 30), or read its "
    "figures in play above: every photo of its sets, each guessed by a model that never trained on it (out of fold)",
    "unseen": "hold out more places (--holdout-places), with more photos each",
    "out_of_fold": "import more photos",
}
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


#: How a version's backbone trained, by its ``--backbone-training``.
BACKBONE_TRAINING_TEXT = {
    "full": "every block trained (fine-tuned)",
    "partial": "its last {blocks} blocks trained, the others kept their starting weights",
    "frozen": "frozen: it kept its starting weights; each training photo's features were computed once, and the heads trained on them",
}


def _backbone_facts(training: dict) -> list[tuple[str, str]]:
    """The backbone, the weights it started from and how it trained, as the run recorded them (its training
    record and arguments: the page never opens the checkpoint, which would take PyTorch)."""
    stored = training.get("args")
    arguments: dict = stored if isinstance(stored, dict) else {}
    facts = []
    if arguments.get("backbone"):
        facts.append(("backbone", str(arguments["backbone"])))
    if training.get("backbone_weights"):
        facts.append(("backbone started from", str(training["backbone_weights"])))
    mode = training.get("backbone_training") or arguments.get("backbone_training")
    if mode in BACKBONE_TRAINING_TEXT:
        facts.append(("backbone training", BACKBONE_TRAINING_TEXT[mode].format(blocks=arguments.get("trainable_blocks", "?"))))
    return facts


class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "model_name", "plays_now", "is_active", "seen_mean_km", "unseen_mean_km", "prediction_count", "created_at"]
    readonly_fields = [
        "model_name",
        "checkpoint",
        "plays",
        "is_active",
        "trained_for",
        "activated_at",
        "created_at",
        "in_play",
        "evaluation",
        "trained_by",
        "training_run",
        "training_arguments",
    ]
    fields = ["name", *readonly_fields]  # the name is the one field an admin may edit
    actions = ["activate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from training runs (the admin's, or `manage.py train_worldnet`)

    def get_urls(self) -> list[URLPattern]:
        own = [path("<path:object_id>/activate/", self.admin_site.admin_view(self.activate_view), name="opponent_modelversion_activate")]
        return [*own, *super().get_urls()]  # before the admin's catch-all object URLs

    def activate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return activation_view(self, request, object_id)

    @admin.action(description="Activate: choose the image sets it plays")
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> HttpResponseRedirect | None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one model version to activate.", messages.ERROR)
            return None
        return HttpResponseRedirect(reverse("admin:opponent_modelversion_activate", args=[queryset.get().pk]))

    @admin.display(description="plays")
    def plays_now(self, obj: ModelVersion) -> str:
        names = list(sets_played_by(version=obj).values_list("name", flat=True)[:4])
        return ", ".join(names[:3]) + (", …" if len(names) > 3 else "") if names else "–"

    @admin.display(description="plays these image sets now")
    def plays(self, obj: ModelVersion) -> str:
        names = list(sets_played_by(version=obj).values_list("name", flat=True))
        return ", ".join(names) if names else "none (activate it to choose the sets it plays)"

    @admin.display(description="trained for")
    def trained_for(self, obj: ModelVersion) -> str:
        return ", ".join(obj.image_sets.values_list("name", flat=True)) or "–"

    @admin.display(description="in play")
    def in_play(self, obj: ModelVersion) -> SafeString | str:
        """Its stored guesses for the photos games draw: the error players meet, per set."""
        results = version_in_play(version=obj)
        note = (
            ""
            if records_its_training_photos(obj)
            else "It was registered before versions recorded which photos they trained on: its guesses on those photos may be "
            "recall, not skill. "
        )
        if not results:
            return note + "no stored guesses yet"
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td>{}</tr>",
            (
                (
                    r.image_set,
                    f"{r.photos:,}",
                    f"{r.out_of_fold:,}",
                    format_html("<td>{}</td><td>{}</td><td>{}</td>", f"{r.mean_km:,.0f}", f"{r.median_km:,.0f}", f"{r.within_km:.1%}")
                    if r.measurable
                    else format_html('<td colspan="3">{}</td>', f"too few photos to measure (at least {min_test_photos()})"),
                )
                for r in results
            ),
        )
        seen = sum(r.seen_in_training for r in results)
        trained = format_html(
            '<p class="{}">{}</p>',
            "errornote" if seen else "help",
            f"{seen:,} of its stored guesses come from a model that trained on the photo"
            + ("." if seen else ": every guess players meet is on a photo its model never saw."),
        )
        return format_html(
            '{}<table class="in-play"><thead><tr><th>image set</th><th>photos guessed</th><th>by a fold model (out of fold)</th>'
            "<th>mean km</th><th>median km</th><th>within {} km</th></tr></thead><tbody>{}</tbody></table>{}",
            note,
            WITHIN_KM,
            rows,
            trained,
        )

    def _mean(self, obj: ModelVersion, split: str) -> str:
        value = mean_km(obj, split)
        if value is not None and not measurable(held_out_counts(obj)[split]):
            return "too few to measure"  # a mean over a handful of photos, in a column, would read as a result
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

    @admin.display(description="held-out tests")
    def evaluation(self, obj: ModelVersion) -> SafeString | str:
        splits = [s for s in SPLIT_LABELS if isinstance(obj.metrics.get(s), dict) and obj.metrics[s]]
        if not splits:
            return "no evaluation stored"
        counts = held_out_counts(obj)
        too_small = [s for s in splits if not measurable(counts[s])]
        warnings = format_html_join(
            "",
            '<p class="errornote">{}</p>',
            (
                (
                    f"{SPLIT_LABELS[s]}: {counts[s]} test photo(s), too few to measure (at least {min_test_photos()}): its mean and "
                    f"median would say little, and are not shown. To measure it: {TOO_SMALL_FIX[s]}.",
                )
                for s in too_small
            ),
        )
        splits = [s for s in splits if s not in too_small]
        if not splits:
            return warnings
        return format_html("{}{}", warnings, self._metrics_table(obj, splits, counts))

    def _metrics_table(self, obj: ModelVersion, splits: list[str], counts: dict[str, int | None]) -> SafeString:
        photos = format_html_join("", "<td>{}</td>", (("–" if counts[s] is None else f"{counts[s]:,}",) for s in splits))
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
            '<table class="metrics"><thead><tr><th>metric</th><th>meaning</th>{}</tr></thead><tbody>'
            "<tr><th>test photos</th><td>photos the table rests on</td>{}</tr>{}</tbody></table>",
            header,
            photos,
            rows,
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
        if "trained_on" in training:
            facts.append(("trained on", str(training["trained_on"])))
        if "train_images" in training:
            facts.append(("training images", f"{training['train_images']:,}"))
        facts += _backbone_facts(training)
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
