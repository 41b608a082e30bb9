"""Training runs: worldNET trained from the admin (a task on the ``training`` queue) or from the shell
(``manage.py train_worldnet``), both recorded as ``TrainingRun`` rows, one history.

This module creates and queues runs, with the flags of ``python -m training train`` read from
``training.flags`` (no PyTorch: the admin's pages use it). The process that trains one (a worker of the
``training`` queue, or the shell) runs it with ``geoguess.opponent.training_worker``, which calls
``geoguess.opponent.training_data.train_version``: the image sets' photos written as a manifest, then
``training``'s own ``main``, cross-fitted (``--folds 2``), so that worldNET never guesses a photo it
trained on. A run that succeeds and was started to be activated becomes the worldNET of its image
sets, and of no other.

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
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.jobs.kinds import JobKind
from geoguess.jobs.services import job_enqueue
from geoguess.opponent.models import ModelVersion, TrainingRun
from training.flags import backbone_training_problem, get_args_parser, stored_args

logger = logging.getLogger(__name__)

#: Folds of a run on the site's photos: two cost about one more training (each fold model sees half).
SITE_FOLDS = 2
#: What a run on the site's photos trains unless its arguments say otherwise; the program's own defaults
#: (the compact backbone from scratch, retrieval) are the demo world's, which ``seed_demo`` trains with.
#: Uploaded image sets are real photos, and on real photos worldNET measured best on the pretrained
#: EfficientNet-Lite0 that comes with the install, frozen (each photo's features computed once: minutes on a
#: CPU), its belief its classifier's alone: on the shared OSV-5M sample, over 20 seeds, 741 points on
#: seen countries and 483 on unseen ones, against 460 and 273 for the compact backbone from scratch; with
#: retrieval it scored less on both (docs/model.md, "Which backbone where"). A backbone without pretrained
#: weights trains in full (``backbone_training`` None: decided by the backbone, ``site_backbone_training``).
SITE_DEFAULTS: dict[str, object] = {
    "folds": SITE_FOLDS,
    "backbone": "efficientnet_lite0",
    "backbone_training": None,
    "retrieval_weight": 0.0,
}
#: The help of the flags whose default SITE_DEFAULTS changes, as the admin's form and ``train_worldnet`` show it.
SITE_DEFAULT_HELP = {
    "backbone": "image backbone (the site's default efficientnet_lite0: ImageNet weights installed with the worker's "
    "requirements, no download; compact trains a small network from scratch)",
    "backbone_training": "how much of worldNET's pretrained backbone trains: frozen (the site's default: each photo's "
    "features computed once and cached, minutes on a CPU), partial (its last --trainable-blocks blocks) or full (every "
    "block, best on a GPU); a backbone without pretrained weights always trains in full",
    "retrieval_weight": "worldNET's belief: this share from the places of its nearest training images (the site's default "
    "0: on real photos its classifier alone measured better)",
}
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
    return {action.dest: action for action in get_args_parser(add_help=False)._actions if action.dest not in _OWN_FLAGS}


def training_defaults() -> dict[str, object]:
    """Every flag's default, as a run stores its arguments: the program's (its parser is the one source), with the
    site's over them (``SITE_DEFAULTS``: cross-fitted, the pretrained backbone frozen, no retrieval)."""
    namespace = _with_site_defaults(get_args_parser(add_help=False).parse_args([]))
    return _stored(namespace)


def site_backbone_training(namespace: argparse.Namespace) -> str:
    """How a site's run trains its backbone when not told: frozen when it starts from pretrained weights, else in full."""
    return "full" if namespace.backbone == "compact" or namespace.no_pretrained else "frozen"


def _with_site_defaults(namespace: argparse.Namespace, given: Iterable[str] = ()) -> argparse.Namespace:
    for key, value in SITE_DEFAULTS.items():
        if key not in given:
            setattr(namespace, key, value)
    if namespace.backbone_training is None:
        namespace.backbone_training = site_backbone_training(namespace)
    return namespace


def _stored(namespace: argparse.Namespace) -> dict[str, object]:
    return {k: v for k, v in stored_args(namespace).items() if k not in _OWN_FLAGS}


def training_namespace(arguments: dict[str, object]) -> argparse.Namespace:
    """The program's defaults with ``arguments`` over them; unknown flags are refused."""
    unknown = sorted(set(arguments) - set(training_flags()))
    if unknown:
        raise TrainingInputError(f"unknown training flag(s): {', '.join(unknown)}")
    namespace = get_args_parser(add_help=False).parse_args([])
    for key, value in arguments.items():
        setattr(namespace, key, value)
    return _with_site_defaults(namespace, given={key for key, value in arguments.items() if value is not None})


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
    data_path: str = "",
    data_note: str = "",
) -> TrainingRun:
    """A queued run (not sent to a worker: ``training_run_start`` does that; the shell runs it itself).

    It trains on the enabled photos of ``image_sets``, cross-fitted; or, with ``data_path``, on the images
    there (a manifest or folder on the machine that runs it, ``data_note`` saying what they are), for ``image_sets``.
    """
    namespace = training_namespace(arguments)  # refuses unknown flags before anything is stored
    image_sets = list(image_sets)
    if not image_sets:
        raise TrainingInputError("choose at least one image set")
    if not data_path:
        photos = Photo.objects.enabled().filter(image_set__in=image_sets).count()
        if photos < MIN_PHOTOS:
            raise TrainingInputError(f"{photos} enabled photos to train on; at least {MIN_PHOTOS} are needed")
        if namespace.folds < 2:
            raise TrainingInputError(f"a run on the site's photos is cross-fitted: --folds from 2 (the default is {SITE_FOLDS})")
    problem = backbone_training_problem(namespace)  # a frozen backbone without pretrained weights would keep random ones
    if problem:
        raise TrainingInputError(problem)
    name = name or training_run_default_name(namespace.model)
    if training_run_name_taken(name):
        raise TrainingInputError(f"a model version (or a run that may register one) is called {name!r} already")
    with transaction.atomic():
        run = TrainingRun.objects.create(
            name=name,
            arguments=_stored(namespace),
            activate=activate,
            source=source,
            created_by=created_by,
            data_path=data_path,
            data_note=data_note[:200],
        )
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
