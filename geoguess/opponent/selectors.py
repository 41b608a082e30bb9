"""Reads of the opponent's state: which model version plays, and its stored guesses (writes are in ``services``)."""

from __future__ import annotations

from geoguess.opponent.models import ModelVersion, Prediction


def active_version() -> ModelVersion | None:
    """The model version that plays as worldNET now (None before any is activated)."""
    return ModelVersion.objects.filter(is_active=True).first()


def prediction_for(*, photo_id: int) -> Prediction | None:
    """The active version's prediction for a photo, if stored."""
    # With its version: the reveal places the candidates from the version's centroids.
    return Prediction.objects.select_related("model_version").filter(photo_id=photo_id, model_version__is_active=True).first()
