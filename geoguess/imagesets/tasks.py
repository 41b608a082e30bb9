"""Celery tasks of image sets, on the ``imports`` queue: they take ids and call services."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError

from geoguess.imagesets.jobs import import_job_run, import_jobs_sweep


@shared_task(
    name="geoguess.imagesets.tasks.import_run",
    # A worker killed mid-import leaves the message to be handed out again; the job's heartbeat
    # then tells the next delivery whether to take over (see ``jobs``). An upload's problems are
    # the job's result, recorded on it: no retry for them. A database that cannot be reached or
    # is locked (SQLite under load) is retried, so the job is not left queued with its message gone.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_jitter=True,
    max_retries=5,
)
def import_run(job_id: int) -> str:
    return import_job_run(job_id=job_id)


@worker_ready.connect(dispatch_uid="imagesets-sweep-on-worker-start")
def _sweep_on_start(**kwargs) -> None:
    # A worker that starts after a crash finds the jobs the crashed one was running.
    import_jobs_sweep()
