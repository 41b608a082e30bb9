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
