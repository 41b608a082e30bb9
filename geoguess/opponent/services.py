"""worldNET's side of the game: model versions, which sets they play, queueing and computing predictions.

A photo's prediction comes from a model of its version that never trained on it: the model trained
without the photo's fold, or, for a photo none of the version's models trained on (a test photo, a
photo of another set, a new one), the model trained on all its photos (see ``geoguess.opponent.models``).
"""

from __future__ import annotations

import io
import logging
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from geoguess.celery import send_task
from geoguess.imagesets.models import ImageSet, Photo
from geoguess.opponent.models import ModelVersion, Prediction, SetVersion, TrainingPhoto
from geoguess.opponent.selectors import active_version_for, sets_played_by_default

logger = logging.getLogger(__name__)
#: The task that predicts a batch of photos (``geoguess.opponent.tasks``), sent by name.
PREDICT_BATCH = "geoguess.opponent.tasks.predict_batch"


def model_version_register(
    *,
    name: str,
    checkpoint: Path,
    metrics: dict | None = None,
    training: dict | None = None,
    model_name: str = "worldnet",
    fold_checkpoints: Iterable[Path] = (),
    photo_folds: dict[int, int | None] | None = None,
    image_sets: Iterable[ImageSet] = (),
) -> ModelVersion:
    """Keeps a copy of ``checkpoint`` (and of each fold's model) under MEDIA_ROOT/models and records it, active nowhere.

    ``photo_folds``: the fold of each photo its training run had (photo id -> fold; None: a photo no
    model trained on). ``image_sets``: the sets it was trained for.
    """
    from worldnet_core.checkpoint import read_checkpoint

    payload = read_checkpoint(Path(checkpoint))  # refuses corrupt files before anything is stored
    fold_paths = list(fold_checkpoints)
    for path in fold_paths:
        read_checkpoint(Path(path))
    folds = photo_folds or {}
    if any(fold is not None and not 0 <= fold < len(fold_paths) for fold in folds.values()):
        raise ValueError(f"a photo's fold has no model among the {len(fold_paths)} fold checkpoints")
    stem = f"models/{slugify(name) or 'model'}-{secrets.token_hex(4)}"
    relative = _keep(Path(checkpoint), f"{stem}.pt")
    with transaction.atomic():
        version = ModelVersion.objects.create(
            name=name,
            checkpoint=relative,
            model_name=payload["model"],
            metrics=metrics if metrics is not None else payload.get("metrics", {}),
            training=training if training is not None else payload.get("training", {}),
            centroids=checkpoint_centroids(payload),
            fold_checkpoints=[_keep(Path(path), f"{stem}.fold{k}.pt") for k, path in enumerate(fold_paths)],
        )
        version.image_sets.set(list(image_sets))
        TrainingPhoto.objects.bulk_create(
            [TrainingPhoto(model_version=version, photo_id=photo_id, fold=fold) for photo_id, fold in folds.items()], batch_size=2000
        )
    return version


def _keep(source: Path, relative: str) -> str:
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return relative


def checkpoint_centroids(payload: dict) -> list[list]:
    """``[[name, lat, lon], ...]`` of a checkpoint's centroids (empty for models without them)."""
    names, latlon = payload.get("centroid_names") or [], payload.get("centroids") or []
    return [[str(name), float(lat), float(lon)] for name, (lat, lon) in zip(names, latlon)]


def model_version_activate(*, version: ModelVersion, image_sets: Iterable[ImageSet] | None = None) -> ModelVersion:
    """Makes ``version`` the worldNET of each of ``image_sets`` (replacing the version each had; no
    other set changes), or, with None, the site-wide default (it plays every set without its own).
    Queues its predictions for the photos it now plays, once this commits."""
    now = timezone.now()
    with transaction.atomic():
        if image_sets is None:
            ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
            version.is_active = True
            sets = list(sets_played_by_default())
        else:
            sets = list(image_sets)
            for image_set in sets:
                SetVersion.objects.update_or_create(image_set=image_set, defaults={"model_version": version, "activated_at": now})
        version.activated_at = now
        # Activating for sets writes nothing of the default: a stale ``is_active`` must not come back with it.
        version.save(update_fields=["is_active", "activated_at"] if image_sets is None else ["activated_at"])
        photo_ids = list(Photo.objects.filter(image_set__in=sets).values_list("id", flat=True))
        transaction.on_commit(partial(predictions_queue, version_id=version.pk, photo_ids=photo_ids))
    return version


def model_version_withdraw(*, version: ModelVersion, image_sets: Iterable[ImageSet] = (), default: bool = False) -> None:
    """``version`` stops playing ``image_sets`` (each goes back to the site-wide default) and, with
    ``default``, stops being the site-wide default (sets without their own then have no worldNET)."""
    with transaction.atomic():
        SetVersion.objects.filter(model_version=version, image_set__in=list(image_sets)).delete()
        if default:
            ModelVersion.objects.filter(pk=version.pk).update(is_active=False)
            version.is_active = False
        sets = list(sets_played_by_default())
        default_version = ModelVersion.objects.filter(is_active=True).first()
        if default_version is not None and sets:  # the sets it gave back: the default plays them, with its guesses
            photo_ids = list(Photo.objects.filter(image_set__in=sets).values_list("id", flat=True))
            transaction.on_commit(partial(predictions_queue, version_id=default_version.pk, photo_ids=photo_ids))


def predictions_queue_for_image_set(*, image_set_id: int) -> int:
    """Queues the predictions of the version that plays a set for its photos (new photos: an import)."""
    image_set = ImageSet.objects.filter(pk=image_set_id).first()
    version = active_version_for(image_set=image_set) if image_set is not None else None
    if version is None:
        return 0
    return predictions_queue(
        version_id=version.pk, photo_ids=list(Photo.objects.filter(image_set_id=image_set_id).values_list("id", flat=True))
    )


def predictions_queue(*, version_id: int, photo_ids: list[int]) -> int:
    """Sends the photos that still lack a prediction to the ``inference`` queue in batches."""
    done = set(Prediction.objects.filter(model_version_id=version_id, photo_id__in=photo_ids).values_list("photo_id", flat=True))
    folds: dict[int, int] = {
        photo_id: fold
        for photo_id, fold in TrainingPhoto.objects.filter(model_version_id=version_id).values_list("photo_id", "fold")
        if fold is not None
    }
    # By the model that guesses them (the full one first, then each fold's): a batch loads one model.
    todo = sorted((pk for pk in photo_ids if pk not in done), key=lambda pk: folds.get(pk, -1))
    size = settings.PREDICTION_BATCH_SIZE
    for start in range(0, len(todo), size):
        send_task(PREDICT_BATCH, version_id, todo[start : start + size], queue="inference")
    return len(todo)


def prediction_redo(*, photo_id: int) -> None:
    """Has the prediction of the version that plays a photo's set made again (its location was corrected):
    deleted now, in the caller's transaction, and queued once that commits (the queue skips photos that have one).

    Other versions keep theirs: a prediction comes from the pixels alone, and duels and challenges
    against those versions still need it.
    """
    photo = Photo.objects.select_related("image_set").filter(pk=photo_id).first()
    version = active_version_for(image_set=photo.image_set) if photo is not None else None
    if version is None:
        return
    Prediction.objects.filter(photo_id=photo_id, model_version=version).delete()
    transaction.on_commit(partial(_queue_again, version.pk, photo_id))


def _queue_again(version_id: int, photo_id: int) -> None:
    try:
        predictions_queue(version_id=version_id, photo_ids=[photo_id])
    except Exception:
        # The correction is saved; the prediction comes back with the next queueing for the set.
        logger.exception("the prediction of corrected photo %s could not be queued", photo_id)


# Predictors per worker process, loaded on first use: a version's full model and its fold models
# (a batch of a cross-fitted set's photos needs each), the least recently used one dropped first.
_predictor_lock = threading.Lock()
_predictors: OrderedDict[tuple[int, int | None], Any] = OrderedDict()
#: Models a worker keeps loaded: a two-fold version's three, and one more.
KEPT_PREDICTORS = 4


def _predictor_for(version: ModelVersion, fold: int | None) -> Any:
    key = (version.pk, fold)
    with _predictor_lock:
        if key not in _predictors:
            from worldnet_core.predictor import Predictor

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


#: Colours of the attention overlay, from where worldNET barely looked to where it looked most.
_ATTENTION_STOPS = np.array([[40, 60, 160], [250, 200, 40], [230, 40, 30]], dtype=np.float32)


def attention_jpeg(photo_jpeg: bytes, heatmap: bytes) -> bytes:
    """The photo with worldNET's activation map laid over it: warm where it looked, the rest dimmed."""
    from PIL import Image

    from worldnet_core.predictor import decode_heatmap

    with Image.open(io.BytesIO(photo_jpeg)) as opened:
        photo = np.asarray(opened.convert("RGB"), dtype=np.float32)
    height, width = photo.shape[:2]
    grid = decode_heatmap(heatmap)
    # Bicubic upsampling of a coarse grid (3×4 for the compact backbone) reads as a smooth glow.
    heat = (
        np.asarray(Image.fromarray((grid * 255).astype(np.uint8), "L").resize((width, height), Image.Resampling.BICUBIC), dtype=np.float32)
        / 255.0
    )
    scaled = heat * (len(_ATTENTION_STOPS) - 1)
    low = np.clip(np.floor(scaled).astype(int), 0, len(_ATTENTION_STOPS) - 2)
    colour = _ATTENTION_STOPS[low] + (scaled - low)[..., None] * (_ATTENTION_STOPS[low + 1] - _ATTENTION_STOPS[low])
    alpha = (0.25 + 0.45 * heat)[..., None]
    blended = photo * (0.55 + 0.45 * heat[..., None]) * (1 - alpha) + colour * alpha
    buffer = io.BytesIO()
    Image.fromarray(np.clip(blended, 0, 255).astype(np.uint8), "RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
