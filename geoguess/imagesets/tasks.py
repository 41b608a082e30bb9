"""Celery tasks of image sets, on the ``imports`` queue: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from geoguess.imagesets.jobs import IMPORTS, import_job_run
from geoguess.jobs.worker import JOB_TASK_OPTIONS, sweep_when_a_worker_starts


@shared_task(name="geoguess.imagesets.tasks.import_run", **JOB_TASK_OPTIONS)
def import_run(job_id: int) -> str:
    return import_job_run(job_id=job_id)


sweep_when_a_worker_starts(IMPORTS)  # a worker that starts after a crash finds the jobs the crashed one was running
