"""Training runs: worldNET trained from the admin (a task on the ``training`` queue) or from the shell
(``manage.py train_worldnet``), both recorded as ``TrainingRun`` rows, one history.

Both call ``train_from_database``: the image sets' photos written as a manifest, then
``training``'s own ``main`` with the flags of ``python -m training train``.

A run is a ``geoguess.jobs`` background job (one row, one heartbeat, one stale sweep, one attempts
policy: read ``geoguess/jobs/__init__.py``). Its message is acknowledged when a worker takes it, so
a run longer than the broker's visibility timeout is never handed to a second worker; a run whose
worker dies stops heartbeating and the sweep fails it after ``TRAINING_STALE_AFTER_S``. It gets
one attempt (``TRAINING_MAX_ATTEMPTS``): a rerun costs hours of GPU time, and what most often kills
one (running out of memory) would kill it again, so an admin decides.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import tempfile
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.jobs.attempt import Attempt, JobFailed
from geoguess.jobs.kinds import JobKind
from geoguess.jobs.services import job_enqueue, job_run
from geoguess.opponent.models import ModelVersion, TrainingRun
from geoguess.opponent.services import model_version_activate, model_version_register
from geoguess.opponent.training_progress import TrainingProgress
from training import train as train_program
from training.engine import ProgressHook
from worldnet_core.manifest import ImageRecord, ImageSetError, Manifest, write_manifest
from worldnet_core.models.backbones import PretrainedWeightsMissing

logger = logging.getLogger(__name__)

#: Fewer photos than this cannot be split into training and test images worth the name.
MIN_PHOTOS = 10
#: Flags a run never takes from its arguments: the data and output are the run's own, and a
#: YAML file on the web machine is no argument of a worker.
_OWN_FLAGS = {"data", "output", "config", "help"}


class TrainingInputError(Exception):
    """The run cannot train as asked (no photos, an unknown flag): the admin's to fix."""


# --- arguments ----------------------------------------------------------------------------


def training_flags() -> dict[str, argparse.Action]:
    """The flags of ``python -m training train`` a run may set, by their destination name."""
    return {action.dest: action for action in train_program.get_args_parser(add_help=False)._actions if action.dest not in _OWN_FLAGS}


def training_defaults() -> dict[str, object]:
    """Every flag's default, as a run stores its arguments (the program's parser is the one source)."""
    return _stored(train_program.get_args_parser(add_help=False).parse_args([]))


def _stored(namespace: argparse.Namespace) -> dict[str, object]:
    return {k: v for k, v in train_program.stored_args(namespace).items() if k not in _OWN_FLAGS}


def training_namespace(arguments: dict[str, object]) -> argparse.Namespace:
    """The program's defaults with ``arguments`` over them; unknown flags are refused."""
    unknown = sorted(set(arguments) - set(training_flags()))
    if unknown:
        raise TrainingInputError(f"unknown training flag(s): {', '.join(unknown)}")
    namespace = train_program.get_args_parser(add_help=False).parse_args([])
    for key, value in arguments.items():
        setattr(namespace, key, value)
    return namespace


# --- the shared training ------------------------------------------------------------------


def train_from_database(
    *,
    image_sets: Iterable[ImageSet],
    arguments: argparse.Namespace,
    name: str,
    log: Callable[[str], None],
    hook: ProgressHook | None = None,
) -> ModelVersion:
    """Trains on the enabled photos of ``image_sets`` with ``training``'s ``main`` and registers the model (inactive).

    A photo an admin disabled (a sign that gives the answer away, a blurry shot, a wrong place)
    is no more a lesson than a round.
    """
    photos = Photo.objects.enabled().filter(image_set__in=list(image_sets))
    count = photos.count()
    if count < MIN_PHOTOS:
        raise TrainingInputError(f"{count} photos to train on; import an image set first (manage.py seed_demo or import_imageset)")
    media = Path(settings.MEDIA_ROOT)
    # The manifest lives beside the originals, so its paths stay inside its folder.
    manifest_path = media / f".train-{secrets.token_hex(6)}.csv"
    records = [ImageRecord(p.original, p.lat, p.lon, p.place, p.country, p.group) for p in photos]
    write_manifest(Manifest(media, records), manifest_path)
    try:
        with tempfile.TemporaryDirectory(prefix="train-") as folder:
            args = argparse.Namespace(**vars(arguments))
            args.data, args.output, args.config = manifest_path, Path(folder) / "model.pt", None
            result = train_program.main(args, log=log, hook=hook)
            return model_version_register(name=name, checkpoint=result["checkpoint"])
    finally:
        manifest_path.unlink(missing_ok=True)


# --- runs ---------------------------------------------------------------------------------

#: Attempts a run gets: its worker dying fails it (see the module's docstring).
TRAINING_MAX_ATTEMPTS = 1
#: Seconds between two heartbeats of a running run (its progress is written every second).
HEARTBEAT_S = 2.0


class Training(JobKind):
    """Training runs, for ``geoguess.jobs``."""

    model = TrainingRun
    task_name = "geoguess.opponent.tasks.train_run"
    queue = "training"
    first_stage = "starting"

    def heartbeat_s(self) -> float:
        return HEARTBEAT_S

    def stale_after_s(self) -> float:
        return float(settings.TRAINING_STALE_AFTER_S)

    def max_attempts(self) -> int:
        return TRAINING_MAX_ATTEMPTS

    def fresh_fields(self) -> dict[str, Any]:
        return {"epoch": None, "epochs": None, "loss": None, "stage_fraction": 0.0, "eta_seconds": None}

    def on_end(self, job: TrainingRun, status: str) -> None:
        if status != TrainingRun.Status.SUCCEEDED:  # no stage is running: no time left to guess
            TrainingRun.objects.filter(pk=job.pk).update(eta_seconds=None)


TRAINING = Training()


def training_run_default_name(model: str) -> str:
    name = f"{model}-{timezone.now():%Y%m%d-%H%M%S}"
    taken = set(ModelVersion.objects.filter(name__startswith=name).values_list("name", flat=True))
    taken |= set(
        TrainingRun.objects.filter(name__startswith=name)
        .exclude(status__in=[TrainingRun.Status.FAILED, TrainingRun.Status.CANCELLED])
        .values_list("name", flat=True)
    )
    suffix = 2
    unique = name
    while unique in taken:
        unique, suffix = f"{name}-{suffix}", suffix + 1
    return unique


def training_run_name_taken(name: str) -> bool:
    """A model version has it, or a run that may still register one."""
    active = TrainingRun.objects.filter(name=name).exclude(status__in=[TrainingRun.Status.FAILED, TrainingRun.Status.CANCELLED])
    return ModelVersion.objects.filter(name=name).exists() or active.exists()


def training_run_create(
    *,
    image_sets: Iterable[ImageSet],
    arguments: dict[str, object],
    activate: bool,
    name: str = "",
    source: str = TrainingRun.Source.ADMIN,
    created_by: User | None = None,
) -> TrainingRun:
    """A queued run (not sent to a worker: ``training_run_start`` does that; the shell runs it itself)."""
    namespace = training_namespace(arguments)  # refuses unknown flags before anything is stored
    image_sets = list(image_sets)
    if not image_sets:
        raise TrainingInputError("choose at least one image set")
    photos = Photo.objects.enabled().filter(image_set__in=image_sets).count()
    if photos < MIN_PHOTOS:
        raise TrainingInputError(f"{photos} enabled photos to train on; at least {MIN_PHOTOS} are needed")
    name = name or training_run_default_name(namespace.model)
    if training_run_name_taken(name):
        raise TrainingInputError(f"a model version (or a run that may register one) is called {name!r} already")
    with transaction.atomic():
        run = TrainingRun.objects.create(name=name, arguments=_stored(namespace), activate=activate, source=source, created_by=created_by)
        run.image_sets.set(image_sets)
    return run


def training_run_start(**kwargs: Any) -> TrainingRun:
    """Creates a run (``training_run_create``'s arguments) and queues it on the ``training`` queue, after
    commit. With the broker down it stays queued, its stage says so, and the sweep sends it later."""
    with transaction.atomic():
        run = training_run_create(**kwargs)
        transaction.on_commit(partial(job_enqueue, TRAINING, job_id=run.pk))
    run.refresh_from_db()
    return run


def training_run_execute(*, run_id: int, echo: Callable[[str], None] | None = None) -> TrainingRun:
    """Trains a queued run here and now (a worker's task, or the shell); returns it, finished.

    Does nothing to a run that is not queued: a copy of its message, or a run cancelled before a
    worker took it. ``echo`` also gets every log line (the shell's output). A run that succeeds and
    was started to be activated is activated.
    """
    outcome = job_run(TRAINING, job_id=run_id, work=_train, echo=echo)
    run = TrainingRun.objects.get(pk=run_id)
    if outcome == TrainingRun.Status.SUCCEEDED and run.activate and run.model_version is not None:
        model_version_activate(version=run.model_version)
        line = f"activated {run.model_version.name}: its predictions for every photo are queued"
        TrainingRun.objects.filter(pk=run_id).update(log=Concat(F("log"), Value(line + "\n")))
        run.refresh_from_db()
    return run


def _train(attempt: Attempt) -> dict[str, Any]:
    run = cast(TrainingRun, attempt.job)
    progress = TrainingProgress(attempt)
    try:
        version = train_from_database(
            image_sets=run.image_sets.all(), arguments=training_namespace(run.arguments), name=run.name, log=attempt.log, hook=progress.hook
        )
    except (TrainingInputError, ImageSetError, PretrainedWeightsMissing) as problem:  # the admin's to fix: one line
        raise JobFailed([str(problem)]) from None
    return {"model_version": version, "stage_fraction": 1.0, "eta_seconds": None}
