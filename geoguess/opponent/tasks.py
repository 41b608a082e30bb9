"""Celery tasks of the opponent: they take ids and call services (the model loads lazily per process).

Nothing imports this module to send these tasks: they are sent by name (``geoguess.celery.send_task``),
and a worker finds them through ``autodiscover_tasks``. So a web process never imports what they
import (the training program, PyTorch).
"""

from __future__ import annotations

from celery import shared_task

from geoguess.jobs.worker import JOB_TASK_OPTIONS, sweep_when_a_worker_starts
from geoguess.opponent.inference import predictions_compute
from geoguess.opponent.services import PREDICT_BATCH
from geoguess.opponent.training_runs import TRAINING
from geoguess.opponent.training_worker import training_run_execute


@shared_task(
    name=PREDICT_BATCH,
    # A batch is short and storing a prediction twice is refused by the database: acknowledged late,
    # a worker killed mid-batch leaves its message for another worker (unlike a job's: geoguess.jobs).
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_jitter=True,
    max_retries=5,
)
def predict_batch(version_id: int, photo_ids: list[int]) -> int:
    return predictions_compute(version_id=version_id, photo_ids=photo_ids)


@shared_task(name=TRAINING.task_name, **JOB_TASK_OPTIONS)
def train_run(run_id: int) -> str:
    return training_run_execute(run_id=run_id).status


sweep_when_a_worker_starts(TRAINING)  # a worker that starts after a crash finds the runs the crashed one was training
