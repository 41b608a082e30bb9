"""The Celery side of background jobs: the options every job's task takes, and the sweep when a worker starts."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError

from geoguess.jobs.kinds import JobKind
from geoguess.jobs.services import jobs_sweep

#: The options of every job's task (``@shared_task(name=..., **JOB_TASK_OPTIONS)``), the policy of ``geoguess.jobs``:
#: acknowledged when a worker takes it (a job outlives the visibility timeout; the sweep, not the broker,
#: hands out again the job of a worker that died); a database that cannot be reached or is locked (SQLite
#: under load) before the job is claimed is retried, so the job is not left queued with its message gone.
JOB_TASK_OPTIONS: dict[str, Any] = {
    "acks_late": False,
    "reject_on_worker_lost": False,
    "ignore_result": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_jitter": True,
    "max_retries": 5,
}


def sweep_when_a_worker_starts(kind: JobKind) -> None:
    """Sweeps ``kind``'s jobs when a worker starts: it finds the jobs a crashed worker was running."""

    def sweep(**kwargs: object) -> None:
        jobs_sweep(kind)

    worker_ready.connect(sweep, weak=False, dispatch_uid=f"jobs-sweep-{kind.model._meta.label_lower}")
