"""worldNET's side of the game: which sets a model version plays, queueing its predictions, the attention overlay.

What loads a model (PyTorch) lives in the modules that workers and commands import, never a page:
registering a trained checkpoint (``geoguess.opponent.registration``) and computing predictions
(``geoguess.opponent.inference``, the task this module queues by name).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from functools import partial

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image

from geoguess.celery import send_task
from geoguess.imagesets.models import ImageSet, Photo
from geoguess.opponent.models import ModelVersion, Prediction, SetVersion, TrainingPhoto
from geoguess.opponent.selectors import active_version_for, sets_played_by_default
from worldnet_core.heatmaps import decode_heatmap

logger = logging.getLogger(__name__)
#: The task that predicts a batch of photos (``geoguess.opponent.tasks``), sent by name.
PREDICT_BATCH = "geoguess.opponent.tasks.predict_batch"


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


#: Colours of the attention overlay, from where worldNET barely looked to where it looked most.
_ATTENTION_STOPS = np.array([[40, 60, 160], [250, 200, 40], [230, 40, 30]], dtype=np.float32)


#: Rows of the photo blended at a time: the overlay's float arithmetic then takes a few MB of a web
#: worker whatever the photo's size (a 1600 × 1200 photo blended whole took 216 MB more, briefly; in bands, 38 MB).
_ATTENTION_BAND_ROWS = 64


def attention_jpeg(photo_jpeg: bytes, heatmap: bytes) -> bytes:
    """The photo with worldNET's activation map laid over it: warm where it looked, the rest dimmed."""
    with Image.open(io.BytesIO(photo_jpeg)) as opened:
        photo = np.asarray(opened.convert("RGB"))
    height, width = photo.shape[:2]
    grid = decode_heatmap(heatmap)
    # Bicubic upsampling of a coarse grid (3×4 for the compact backbone) reads as a smooth glow.
    heat = (
        np.asarray(Image.fromarray((grid * 255).astype(np.uint8), "L").resize((width, height), Image.Resampling.BICUBIC), dtype=np.float32)
        / 255.0
    )
    blended = np.empty_like(photo)
    for top in range(0, height, _ATTENTION_BAND_ROWS):
        rows = slice(top, top + _ATTENTION_BAND_ROWS)
        blended[rows] = _attention_overlay(photo[rows].astype(np.float32), heat[rows])
    buffer = io.BytesIO()
    Image.fromarray(blended, "RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _attention_overlay(photo: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """Rows of the photo (float RGB) under their heat (0 to 1): the colour of the heat laid over, as bytes."""
    scaled = heat * (len(_ATTENTION_STOPS) - 1)
    low = np.clip(np.floor(scaled).astype(int), 0, len(_ATTENTION_STOPS) - 2)
    colour = _ATTENTION_STOPS[low] + (scaled - low)[..., None] * (_ATTENTION_STOPS[low + 1] - _ATTENTION_STOPS[low])
    alpha = (0.25 + 0.45 * heat)[..., None]
    blended = photo * (0.55 + 0.45 * heat[..., None]) * (1 - alpha) + colour * alpha
    return np.clip(blended, 0, 255).astype(np.uint8)
