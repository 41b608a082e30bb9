"""Celery tasks of image sets, on the ``imports`` queue: they take ids and call services."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready

from geoguess.imagesets.jobs import import_job_run, import_jobs_sweep


@shared_task(
    name="geoguess.imagesets.tasks.import_run",
    # A worker killed mid-import leaves the message to be handed out again; the job's heartbeat
    # then tells the next delivery whether to take over (see ``jobs``). No automatic retry: an
    # upload's problems are the job's result, recorded on it.
    acks_late=True,
    reject_on_worker_lost=True,
)
def import_run(job_id: int) -> str:
    return import_job_run(job_id=job_id)


@worker_ready.connect(dispatch_uid="imagesets-sweep-on-worker-start")
def _sweep_on_start(**kwargs) -> None:
    # A worker that starts after a crash finds the jobs the crashed one was running.
    import_jobs_sweep()
