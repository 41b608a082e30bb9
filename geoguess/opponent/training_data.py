"""What a training run trains on, and the model version it makes of it.

A run on the site's photos is **cross-fitted**: besides the model trained on all its training photos,
``SITE_FOLDS`` fold models each train without one fold of them (``python -m training train --folds``).
The version keeps every model and the fold of each photo (``TrainingPhoto``), so that each photo's
guess comes from a model that never trained on it (``geoguess.opponent.inference.predictions_compute``):
what players meet is what a held-out test measures, never the model's memory of a photo. With two
folds each fold model trains on half the photos: the two cost about one more training.

A run on images outside the database (``data_path``: the demo worldNET trains on another draw of the
demo world's cities) trains one model: none of the site's photos was among its training images.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.opponent.models import ModelVersion
from geoguess.opponent.registration import model_version_register
from geoguess.opponent.training_runs import MIN_PHOTOS, SITE_FOLDS, TrainingInputError
from training import train as train_program
from training.engine import ProgressHook
from worldnet_core.manifest import ImageRecord, Manifest, write_manifest


def train_version(
    *,
    image_sets: Iterable[ImageSet],
    arguments: argparse.Namespace,
    name: str,
    log: Callable[[str], None],
    hook: ProgressHook | None = None,
    data_path: str = "",
    data_note: str = "",
) -> ModelVersion:
    """Trains with ``training``'s ``main`` and registers the version (active nowhere), trained for ``image_sets``.

    On the enabled photos of ``image_sets``, cross-fitted; or, with ``data_path``, on those images alone.
    A photo an admin disabled (a sign that gives the answer away, a blurry shot, a wrong place)
    is no more a lesson than a round.
    """
    image_sets = list(image_sets)
    if data_path:
        return _train_outside(image_sets, arguments, name, log, hook, Path(data_path), data_note)
    if arguments.folds < 2:
        raise TrainingInputError(
            f"a run on the site's photos is cross-fitted (--folds {SITE_FOLDS} or more): worldNET never guesses a photo it trained on"
        )
    photos = list(Photo.objects.enabled().filter(image_set__in=image_sets).order_by("pk"))
    if len(photos) < MIN_PHOTOS:
        raise TrainingInputError(f"{len(photos)} photos to train on; import an image set first (manage.py seed_demo or import_imageset)")
    media = Path(settings.MEDIA_ROOT)
    # The manifest lives beside the originals, so its paths stay inside its folder.
    manifest_path = media / f".train-{secrets.token_hex(6)}.csv"
    records = [ImageRecord(p.original, p.lat, p.lon, p.place, p.country, p.group) for p in photos]
    write_manifest(Manifest(media, records), manifest_path)
    try:
        with tempfile.TemporaryDirectory(prefix="train-") as folder:
            result = train_program.main(_with_io(arguments, manifest_path, Path(folder)), log=log, hook=hook)
            photo_of = {p.original: p.pk for p in photos}
            folds: dict[str, int | None] = result["folds"] or {}
            if set(folds) != set(photo_of):  # the program read back other paths than it was given: no record would be true
                raise RuntimeError("the training program's images are not the run's photos")
            photo_folds = {photo_of[path]: fold for path, fold in folds.items()}
            in_folds = sum(fold is not None for fold in folds.values())
            training = {
                **result["training"],
                "trained_on": f"{len(photos)} photos of {_names(image_sets)}: {in_folds} in {arguments.folds} folds, each guessed by "
                f"the model trained without its fold; {len(photos) - in_folds} trained on by no model (test photos)",
            }
            return model_version_register(
                name=name,
                checkpoint=result["checkpoint"],
                training=training,
                fold_checkpoints=result["fold_checkpoints"],
                photo_folds=photo_folds,
                image_sets=image_sets,
            )
    finally:
        manifest_path.unlink(missing_ok=True)


def _train_outside(
    image_sets: list[ImageSet],
    arguments: argparse.Namespace,
    name: str,
    log: Callable[[str], None],
    hook: ProgressHook | None,
    data: Path,
    note: str,
) -> ModelVersion:
    with tempfile.TemporaryDirectory(prefix="train-") as folder:
        args = _with_io(arguments, data, Path(folder))
        args.folds = 0  # none of the site's photos to guess out of fold
        result = train_program.main(args, log=log, hook=hook)
        training = {**result["training"], "trained_on": f"{note or data}: none of the site's photos"}
        return model_version_register(name=name, checkpoint=result["checkpoint"], training=training, image_sets=image_sets)


def _with_io(arguments: argparse.Namespace, data: Path, folder: Path) -> argparse.Namespace:
    args = argparse.Namespace(**vars(arguments))
    args.data, args.output, args.config = data, folder / "model.pt", None
    return args


def _names(image_sets: list[ImageSet]) -> str:
    return ", ".join(image_set.name for image_set in image_sets) or "no image set"
