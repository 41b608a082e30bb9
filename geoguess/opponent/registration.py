"""A trained checkpoint registered as a model version: kept under MEDIA_ROOT/models, recorded, active nowhere.

Reading the checkpoint (which refuses a corrupt file before anything is stored) loads it with
PyTorch: the training worker and the commands that train (``train_worldnet``, ``seed_demo``) call
this module; no page imports it.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from geoguess.imagesets.models import ImageSet
from geoguess.opponent.models import ModelVersion, TrainingPhoto
from worldnet_core.checkpoint import read_checkpoint


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
