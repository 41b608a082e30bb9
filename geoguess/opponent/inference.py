"""worldNET's predictions computed, in a worker of the ``inference`` queue (``geoguess.opponent.tasks``).

A photo's prediction comes from a model of its version that never trained on it: the model trained
without the photo's fold, or, for a photo none of the version's models trained on (a test photo, a
photo of another set, a new one), the model trained on all its photos (see ``geoguess.opponent.models``).

It loads models with PyTorch: no page imports this module (the site queues predictions by name,
``geoguess.opponent.services.predictions_queue``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from geoguess.imagesets.models import Photo
from geoguess.opponent.models import ModelVersion, Prediction, TrainingPhoto
from worldnet_core.predictor import Predictor

logger = logging.getLogger(__name__)


# Predictors per worker process, loaded on first use: a version's full model and its fold models
# (a batch of a cross-fitted set's photos needs each), the least recently used one dropped first.
_predictor_lock = threading.Lock()
_predictors: OrderedDict[tuple[int, int | None], Predictor] = OrderedDict()
#: Models a worker keeps loaded: a two-fold version's three, and one more.
KEPT_PREDICTORS = 4


def _predictor_for(version: ModelVersion, fold: int | None) -> Predictor:
    key = (version.pk, fold)
    with _predictor_lock:
        if key not in _predictors:
            path = Path(settings.MEDIA_ROOT) / (version.checkpoint if fold is None else version.fold_checkpoints[fold])
            logger.info("loading worldNET version %s (%s) from %s", version.name, "full" if fold is None else f"fold {fold}", path)
            _predictors[key] = Predictor.load(path)
            while len(_predictors) > KEPT_PREDICTORS:
                _predictors.popitem(last=False)
        _predictors.move_to_end(key)
        return _predictors[key]


class NoModelWithoutThePhoto(RuntimeError):
    """Every model of the version trained on a photo: it has no guess worth the name, and gets none."""


def _photos_by_model(version: ModelVersion, photos: list[Photo]) -> dict[int | None, list[Photo]]:
    """The photos, by the version's model that never trained on them (a fold's, or None: the full model)."""
    folds = dict(TrainingPhoto.objects.filter(model_version=version, photo__in=photos).values_list("photo_id", "fold"))
    by_model: dict[int | None, list[Photo]] = {}
    for photo in photos:
        fold = folds.get(photo.pk)
        if fold is not None and fold >= len(version.fold_checkpoints or []):
            raise NoModelWithoutThePhoto(f"version {version.name} has no model that did not train on photo {photo.pk} (fold {fold})")
        by_model.setdefault(fold, []).append(photo)
    return by_model


def predictions_compute(*, version_id: int, photo_ids: list[int]) -> int:
    """Predicts the photos in one batch and stores what is not stored yet; returns how many it stored.

    Each photo is guessed by the version's model that never trained on it, and its prediction says which.
    """
    version = ModelVersion.objects.get(pk=version_id)
    photos = list(Photo.objects.filter(pk__in=photo_ids).exclude(predictions__model_version=version))
    stored = 0
    for fold, group in sorted(_photos_by_model(version, photos).items(), key=lambda item: -1 if item[0] is None else item[0]):
        stored += _predict(version, fold, group)
    return stored


def _predict(version: ModelVersion, fold: int | None, photos: list[Photo]) -> int:
    predictor = _predictor_for(version, fold)
    started = time.perf_counter()
    # With its activation maps: one matrix product more per batch (see `python -m training bench predictor`).
    results = predictor.predict([Path(settings.MEDIA_ROOT) / photo.original for photo in photos], with_maps=True)
    per_photo_ms = (time.perf_counter() - started) * 1000 / len(photos)
    stored = 0
    for photo, result in zip(photos, results):
        try:
            with transaction.atomic():
                Prediction.objects.create(
                    photo=photo,
                    model_version=version,
                    fold=fold,
                    lat=result.lat,
                    lon=result.lon,
                    top=[[name, p] for name, p in result.top],
                    latency_ms=per_photo_ms,
                    heatmap=result.heatmap,
                )
            stored += 1
        except IntegrityError:  # a redelivered task raced another worker to it: keep the first
            pass
    return stored
