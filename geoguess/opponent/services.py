"""worldNET's side of the game: model versions, queueing and computing predictions."""

from __future__ import annotations

import io
import logging
import secrets
import shutil
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from geoguess.celery import send_task
from geoguess.imagesets.models import Photo
from geoguess.opponent.models import ModelVersion, Prediction
from geoguess.opponent.selectors import active_version

logger = logging.getLogger(__name__)
#: The task that predicts a batch of photos (``geoguess.opponent.tasks``), sent by name.
PREDICT_BATCH = "geoguess.opponent.tasks.predict_batch"


def model_version_register(
    *, name: str, checkpoint: Path, metrics: dict | None = None, training: dict | None = None, model_name: str = "worldnet"
) -> ModelVersion:
    """Keeps a copy of ``checkpoint`` under MEDIA_ROOT/models and records it (inactive)."""
    from worldnet_core.checkpoint import read_checkpoint

    payload = read_checkpoint(Path(checkpoint))  # refuses corrupt files before anything is stored
    relative = f"models/{slugify(name) or 'model'}-{secrets.token_hex(4)}.pt"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(checkpoint, target)
    return ModelVersion.objects.create(
        name=name,
        checkpoint=relative,
        model_name=payload["model"],
        metrics=metrics if metrics is not None else payload.get("metrics", {}),
        training=training if training is not None else payload.get("training", {}),
        centroids=checkpoint_centroids(payload),
    )


def checkpoint_centroids(payload: dict) -> list[list]:
    """``[[name, lat, lon], ...]`` of a checkpoint's centroids (empty for models without them)."""
    names, latlon = payload.get("centroid_names") or [], payload.get("centroids") or []
    return [[str(name), float(lat), float(lon)] for name, (lat, lon) in zip(names, latlon)]


def model_version_activate(*, version: ModelVersion) -> ModelVersion:
    """Makes ``version`` the opponent and queues its predictions for every photo (after commit)."""
    with transaction.atomic():
        ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
        version.is_active = True
        version.activated_at = timezone.now()
        version.save(update_fields=["is_active", "activated_at"])
        transaction.on_commit(lambda: predictions_queue(version_id=version.pk, photo_ids=list(Photo.objects.values_list("id", flat=True))))
    return version


def predictions_queue_for_image_set(*, image_set_id: int) -> int:
    """Queues the active version's predictions for a set's photos (new photos: an import)."""
    version = active_version()
    if version is None:
        return 0
    return predictions_queue(
        version_id=version.pk, photo_ids=list(Photo.objects.filter(image_set_id=image_set_id).values_list("id", flat=True))
    )


def predictions_queue(*, version_id: int, photo_ids: list[int]) -> int:
    """Sends the photos that still lack a prediction to the ``inference`` queue in batches."""
    done = set(Prediction.objects.filter(model_version_id=version_id, photo_id__in=photo_ids).values_list("photo_id", flat=True))
    todo = [pk for pk in photo_ids if pk not in done]
    size = settings.PREDICTION_BATCH_SIZE
    for start in range(0, len(todo), size):
        send_task(PREDICT_BATCH, version_id, todo[start : start + size], queue="inference")
    return len(todo)


def prediction_redo(*, photo_id: int) -> None:
    """Has the active version's prediction for a photo made again (its location was corrected): deleted
    now, in the caller's transaction, and queued once that commits (the queue skips photos that have one).

    Other versions keep theirs: a prediction comes from the pixels alone, and duels and challenges
    against those versions still need it.
    """
    version = active_version()
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


# One predictor per worker process, loaded on first use and replaced when another version is asked for.
_predictor_lock = threading.Lock()
_predictor: tuple[int, object] | None = None


def _predictor_for(version: ModelVersion):
    global _predictor
    with _predictor_lock:
        if _predictor is None or _predictor[0] != version.pk:
            from worldnet_core.predictor import Predictor

            path = Path(settings.MEDIA_ROOT) / version.checkpoint
            logger.info("loading worldNET version %s from %s", version.name, path)
            _predictor = (version.pk, Predictor.load(path))
        return _predictor[1]


def predictions_compute(*, version_id: int, photo_ids: list[int]) -> int:
    """Predicts the photos in one batch and stores what is not stored yet; returns how many it stored."""
    version = ModelVersion.objects.get(pk=version_id)
    photos = list(Photo.objects.filter(pk__in=photo_ids).exclude(predictions__model_version=version))
    if not photos:
        return 0
    predictor = _predictor_for(version)
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
