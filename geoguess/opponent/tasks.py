"""Celery tasks of the opponent: they take ids and call services (the model loads lazily per process)."""

from __future__ import annotations

from celery import shared_task

from geoguess.opponent.services import predictions_compute


@shared_task(
    name="geoguess.opponent.tasks.predict_batch",
    acks_late=True,  # a worker killed mid-batch leaves the message for another worker
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_jitter=True,
    max_retries=5,
)
def predict_batch(version_id: int, photo_ids: list[int]) -> int:
    return predictions_compute(version_id=version_id, photo_ids=photo_ids)


@shared_task(
    name="geoguess.opponent.tasks.train_run",
    # Acknowledged when a worker takes it, not when it ends (settings make late the default): a run
    # outlives the broker's visibility timeout, and a late-acknowledged one would then be handed to
    # a second worker while the first still trains. A worker that dies mid-run is caught by the
    # heartbeat sweep instead (see geoguess/opponent/training_runs.py).
    acks_late=False,
    reject_on_worker_lost=False,
    ignore_result=True,
)
def train_run(run_id: int) -> str:
    from geoguess.opponent.training_runs import training_run_execute

    return training_run_execute(run_id=run_id).status
