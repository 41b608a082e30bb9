"""Admin: model versions with their evaluation; activating one queues its predictions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from geoguess.opponent.models import ModelVersion, Prediction
from geoguess.opponent.services import model_version_activate
from worldnet_core.metrics import METRIC_KEYS


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "model_name", "is_active", "seen_mean_km", "unseen_mean_km", "prediction_count", "created_at"]
    readonly_fields = ["model_name", "checkpoint", "is_active", "activated_at", "created_at", "evaluation", "training"]
    fields = ["name", "model_name", "checkpoint", "is_active", "activated_at", "created_at", "evaluation", "training"]
    actions = ["activate"]

    def has_add_permission(self, request) -> bool:
        return False  # versions come from `manage.py train_worldnet`

    @admin.action(description="Activate (and predict every photo)")
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one model version to activate.", messages.ERROR)
            return
        version = model_version_activate(version=queryset.get())
        self.message_user(request, f"{version.name} is now worldNET; its predictions for every photo are queued.", messages.SUCCESS)

    def _mean(self, obj: ModelVersion, split: str) -> str:
        value = (obj.metrics.get(split) or {}).get("mean_km")
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
        splits = [s for s in ("seen", "unseen") if obj.metrics.get(s)]
        if not splits:
            return "no evaluation stored"
        header = format_html_join("", "<th>{}</th>", ((s,) for s in splits))
        rows = format_html_join(
            "", "<tr><th>{}</th>{}</tr>",
            ((key, format_html_join("", "<td>{}</td>", ((f"{obj.metrics[s].get(key, float('nan')):,.3f}",) for s in splits))) for key in METRIC_KEYS),
        )
        return format_html("<table><tr><th>metric</th>{}</tr>{}</table>", header, rows)


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = ["photo", "model_version", "lat", "lon", "latency_ms", "created_at"]
    list_filter = ["model_version"]
    readonly_fields = ["photo", "model_version", "lat", "lon", "top", "latency_ms", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False
