"""Training runs: worldNET trained from the admin (a Celery task on the ``training`` queue) or from
the shell (``manage.py train_worldnet``), both recorded as ``TrainingRun`` rows, one history.

Both call ``train_from_database``: the image sets' photos written as a manifest, then
``training``'s own ``main`` with the flags of ``python -m training train``.

A run outlives Celery's visibility timeout without being trained twice:

- The training task acknowledges its message when a worker takes it (``acks_late=False``,
  unlike the project's other tasks). With late acknowledgement, a run longer than the
  Redis transport's visibility timeout (``CELERY_VISIBILITY_TIMEOUT``) would be handed to
  another worker while the first still trains.
- The price: a worker that dies mid-run takes the message with it. Its run stops
  heartbeating (``run_monitor`` writes ``heartbeat_at`` every few seconds), and
  ``training_runs_fail_stale`` marks it failed after ``TRAINING_STALE_AFTER_S``: an admin
  sees it and starts it again. The sweep runs whenever runs are shown in the admin and
  before a worker starts a run.
- A message delivered twice anyway (a copy a prefetching worker held when the timeout
  passed) does nothing: only the delivery that moves its run from queued to running, in
  one conditional UPDATE, trains it.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import socket
import tempfile
import traceback
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.opponent.models import ModelVersion, TrainingRun
from geoguess.opponent.run_monitor import RunMonitor, TrainingCancelled
from geoguess.opponent.services import model_version_activate, model_version_register
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
    created_by: AbstractBaseUser | None = None,
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


def training_run_start(**kwargs) -> TrainingRun:
    """Creates a run (``training_run_create``'s arguments) and queues it on the ``training`` queue, after commit."""
    with transaction.atomic():
        run = training_run_create(**kwargs)
        transaction.on_commit(lambda: training_run_enqueue(run_id=run.pk))
    run.refresh_from_db()  # failed already if the queue could not be reached
    return run


#: A run's error when its message could not be sent.
UNSENT_ERROR = "the training queue (Redis) could not be reached, so no worker got this run; start it again once Redis is up"


def training_run_enqueue(*, run_id: int) -> None:
    """Sends the run to the ``training`` queue. With the broker down the run ends failed, saying so:
    not a 500 after the run was stored, and not a run shown as queued that no worker will ever get."""
    from geoguess.celery import send_or_run_here
    from geoguess.opponent.tasks import train_run

    try:
        send_or_run_here(train_run, run_id)  # CELERY_TASK_ROUTES sends it to the training queue
    except Exception:
        logger.exception("training run %s could not be queued", run_id)
        TrainingRun.objects.filter(pk=run_id, status=TrainingRun.Status.QUEUED).update(
            status=TrainingRun.Status.FAILED,
            finished_at=timezone.now(),
            error=UNSENT_ERROR,
        )


def training_run_execute(*, run_id: int, echo: Callable[[str], None] | None = None) -> TrainingRun:
    """Trains a queued run here and now (a worker's task, or the shell); returns it finished.

    Does nothing to a run that is not queued: a redelivered message, or a run cancelled
    before a worker took it. ``echo`` also gets every log line (the shell's output).
    """
    TrainingRun.objects.filter(pk=run_id).update(deliveries=F("deliveries") + 1)
    training_runs_fail_stale()
    now = timezone.now()
    claimed = TrainingRun.objects.filter(pk=run_id, status=TrainingRun.Status.QUEUED).update(
        status=TrainingRun.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    run = TrainingRun.objects.get(pk=run_id)
    if not claimed:
        logger.warning("training run %s is %s already: this delivery does nothing", run_id, run.status)
        return run
    # Inside a transaction (a test's), a thread's own connection would not see the run: write inline.
    monitor = RunMonitor(run_id, echo=echo, threaded=not transaction.get_connection().in_atomic_block)
    monitor.start()
    # Whatever ends the training (BaseException included), the run ends with a status.
    status, error, version = TrainingRun.Status.FAILED, "the training process was stopped", None
    try:
        version = train_from_database(
            image_sets=run.image_sets.all(), arguments=training_namespace(run.arguments), name=run.name, log=monitor.log, hook=monitor.hook
        )
        status, error = TrainingRun.Status.SUCCEEDED, ""
    except TrainingCancelled:
        monitor.log("cancelled")
        status, error = TrainingRun.Status.CANCELLED, ""
    except (TrainingInputError, ImageSetError, PretrainedWeightsMissing) as problem:  # the admin's to fix: one line
        monitor.log(str(problem))
        error = str(problem)
    except KeyboardInterrupt:  # Ctrl-C in the shell
        monitor.log("interrupted")
        status, error = TrainingRun.Status.CANCELLED, "interrupted"
        raise
    except Exception as problem:  # a bug or a broken machine: the traceback goes to the run's log
        logger.exception("training run %s failed", run_id)
        monitor.log(traceback.format_exc())
        error = f"{type(problem).__name__}: {problem}"
    finally:
        monitor.stop()  # its last write first: _finish's state is the last word
        _finish(run_id, status=status, error=error, model_version=version)
    run.refresh_from_db()
    if run.status == TrainingRun.Status.SUCCEEDED and run.activate and run.model_version is not None:
        model_version_activate(version=run.model_version)
        _append_log(run_id, f"activated {run.model_version.name}: its predictions for every photo are queued")
        run.refresh_from_db()
    return run


def _finish(run_id: int, *, status: str, error: str = "", model_version: ModelVersion | None = None) -> None:
    """The run's last state; only a running run changes (one the sweep failed meanwhile stays failed)."""
    fields: dict[str, object] = {"status": status, "error": error, "finished_at": timezone.now(), "eta_seconds": None}
    if status == TrainingRun.Status.SUCCEEDED:
        fields.update(model_version=model_version, stage="done", stage_fraction=1.0)
    TrainingRun.objects.filter(pk=run_id, status=TrainingRun.Status.RUNNING).update(**fields)


def _append_log(run_id: int, line: str) -> None:
    TrainingRun.objects.filter(pk=run_id).update(log=Concat(F("log"), Value(line + "\n")))


def training_run_cancel(*, run: TrainingRun) -> TrainingRun:
    """A queued run ends cancelled at once; a running one is asked to stop (its worker stops between two batches)."""
    TrainingRun.objects.filter(pk=run.pk, status=TrainingRun.Status.QUEUED).update(
        status=TrainingRun.Status.CANCELLED, finished_at=timezone.now(), cancel_requested=True
    )
    TrainingRun.objects.filter(pk=run.pk, status=TrainingRun.Status.RUNNING).update(cancel_requested=True)
    run.refresh_from_db()
    return run


def training_runs_fail_stale(*, stale_after_s: float | None = None) -> int:
    """Marks failed the running runs whose worker has not written a heartbeat for ``stale_after_s``
    (default ``TRAINING_STALE_AFTER_S``): their worker died. Returns how many."""
    stale_after_s = settings.TRAINING_STALE_AFTER_S if stale_after_s is None else stale_after_s
    cutoff = timezone.now() - timedelta(seconds=stale_after_s)
    return TrainingRun.objects.filter(status=TrainingRun.Status.RUNNING, heartbeat_at__lt=cutoff).update(
        status=TrainingRun.Status.FAILED,
        finished_at=timezone.now(),
        eta_seconds=None,
        error=f"its worker stopped: no heartbeat for over {stale_after_s:.0f} s (killed, out of memory, or restarted); start it again",
    )
