"""Queueing, running, cancelling and sweeping background jobs: the policy of ``geoguess.jobs``, once for every kind."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import traceback
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from geoguess.celery import send_or_run_here
from geoguess.jobs.attempt import Attempt, AttemptSuperseded, JobCancelled, JobFailed
from geoguess.jobs.kinds import JobKind
from geoguess.jobs.models import BackgroundJob

logger = logging.getLogger(__name__)
Status = BackgroundJob.Status
#: The stage of a job whose message could not be sent (the broker was down): the sweep sends it again.
UNSENT = "queued, not yet sent: the queue (Redis) could not be reached"
#: The stage of a job the sweep queued again after its worker stopped.
REQUEUED = "queued again: its worker stopped"
#: What a delivery's work returns: the fields of the succeeded job (e.g. the image set it made).
Work = Callable[[Attempt], dict[str, Any]]


def _append(line: str) -> Concat:
    return Concat(F("log"), Value(line + "\n"))


# --- queueing -------------------------------------------------------------------------------


def job_enqueue(kind: JobKind, *, job_id: int) -> bool:
    """Sends the job's message to its queue (call it once the job's row has committed). With the broker
    down the job stays queued and says so; the sweep sends it again. Returns whether it was sent."""
    try:
        send_or_run_here(kind.task_name, job_id)
    except Exception:
        logger.exception("%s %s could not be queued", kind.model.__name__, job_id)
        kind.model.objects.filter(pk=job_id, status=Status.QUEUED).update(stage=UNSENT)
        return False
    return True


# --- one delivery ---------------------------------------------------------------------------


def job_claim(kind: JobKind, *, job_id: int, echo: Callable[[str], None] | None = None, every_s: float | None = None) -> Attempt | None:
    """Makes this delivery the owner of a queued job (a new attempt), or returns None: the job is not
    queued (running elsewhere, finished, cancelled), or its dead attempt's work was found complete."""
    job = kind.model.objects.filter(pk=job_id).first()
    if job is None or job.status != Status.QUEUED:
        return None
    dead = job.token  # an earlier attempt that died (the sweep queued the job again)
    if dead:
        with transaction.atomic():
            salvaged = kind.salvage(job)
            if salvaged is not None:
                _end(kind, kind.model.objects.filter(pk=job.pk, status=Status.QUEUED, token=dead), job, Status.SUCCEEDED, **salvaged)
                return None
    if job.attempts >= kind.max_attempts():  # queued again by an older sweep past its budget: give up now
        with transaction.atomic():
            stale = kind.model.objects.filter(pk=job.pk, status=Status.QUEUED, token=dead)
            if _end(kind, stale, job, Status.FAILED, problems=[kind.gave_up(job)]) and dead:
                transaction.on_commit(partial(kind.discard, dead))
        return None
    now = timezone.now()
    claimed = kind.model.objects.filter(pk=job.pk, status=Status.QUEUED, token=dead).update(
        status=Status.RUNNING,
        token=secrets.token_hex(8),
        attempts=F("attempts") + 1,
        stage=kind.first_stage,
        problems=[],
        started_at=job.started_at or now,
        heartbeat_at=now,
        worker=f"{socket.gethostname()}:{os.getpid()}"[:200],
        **kind.fresh_fields(),
    )
    if not claimed:
        return None  # another delivery claimed it (or an admin cancelled it) meanwhile
    if dead:
        kind.discard(dead)  # nothing of the dead attempt was kept: its leftovers go, this one starts afresh
    job.refresh_from_db()
    attempt = Attempt(kind, job, echo=echo, every_s=every_s)
    if job.attempts > 1:
        attempt.log(f"attempt {job.attempts} of {kind.max_attempts()}, on {job.worker}: the worker of the last one stopped")
    return attempt


def job_run(kind: JobKind, *, job_id: int, work: Work, echo: Callable[[str], None] | None = None) -> str:
    """One delivery of a job's message: sweeps, claims the job, runs ``work`` with a heartbeat, records the end.

    Returns what became of it: ``succeeded``, ``failed``, ``cancelled``, ``skipped`` (not queued: a copy
    of a message, a cancelled job) or ``superseded`` (taken over meanwhile). ``work`` returns the fields
    of the succeeded job and raises ``JobFailed`` for what the admin is to fix. Whatever ends the work
    (``BaseException`` included), the job ends with a status.
    """
    kind.model.objects.filter(pk=job_id).update(deliveries=F("deliveries") + 1)
    jobs_sweep(kind)
    attempt = job_claim(kind, job_id=job_id, echo=echo)
    if attempt is None:
        logger.info("%s %s is not queued: this delivery does nothing", kind.model.__name__, job_id)
        return "skipped"
    attempt.start()
    status: str = Status.FAILED
    fields: dict[str, Any] = {"problems": ["the worker process was stopped"]}
    try:
        fields = work(attempt)
        status = Status.SUCCEEDED
    except JobCancelled:
        attempt.log("cancelled")
        status, fields = Status.CANCELLED, {}
    except AttemptSuperseded:
        logger.warning("%s %s: another attempt took it over; this one stopped", kind.model.__name__, job_id)
        status = "superseded"
    except JobFailed as failure:
        attempt.log("failed: " + "; ".join(failure.problems[:20]))
        fields = {"problems": failure.problems}
    except KeyboardInterrupt:  # Ctrl-C in the shell
        attempt.log("interrupted")
        status, fields = Status.CANCELLED, {"problems": ["interrupted"]}
        raise
    except Exception as problem:  # a bug or a broken machine: the traceback goes to the job's log
        logger.exception("%s %s failed", kind.model.__name__, job_id)
        attempt.log(traceback.format_exc())
        fields = {"problems": [f"{type(problem).__name__}: {problem}"]}
    finally:
        attempt.stop()  # its last write first: the end is the last word
        if status != "superseded" and not attempt.finish(status, **fields):
            logger.warning("%s %s was taken over before this attempt ended (%s)", kind.model.__name__, job_id, status)
    return status


# --- cancelling -----------------------------------------------------------------------------


def job_cancel(kind: JobKind, *, job: BackgroundJob) -> BackgroundJob:
    """A queued job ends cancelled at once; a running one is asked to stop (its attempt stops between two steps)."""
    with transaction.atomic():
        queued = kind.model.objects.filter(pk=job.pk, status=Status.QUEUED)
        if _end(kind, queued, job, Status.CANCELLED, cancel_requested=True):
            _log(kind, job.pk, "cancelled before a worker took it")
        elif kind.model.objects.filter(pk=job.pk, status=Status.RUNNING).update(cancel_requested=True):
            _log(kind, job.pk, "cancel requested: it stops after its current step")
    job.refresh_from_db()
    return job


# --- the sweep ------------------------------------------------------------------------------


def jobs_sweep(kind: JobKind) -> int:
    """Deals with every running job of ``kind`` whose heartbeat is stale (its worker is gone), and sends
    again every message that could not be sent; returns how many jobs it changed.

    A stale job is completed from what its dead attempt left when that finished the work
    (``salvage``), queued again while it has attempts left (keeping its token, so that the next
    attempt removes what the dead one wrote), or failed (``gave_up``), its leftovers removed.
    """
    cutoff = timezone.now() - timedelta(seconds=kind.stale_after_s())
    changed = 0
    for job in kind.model.objects.filter(status=Status.RUNNING, heartbeat_at__lt=cutoff):
        with transaction.atomic():
            stale = kind.model.objects.filter(pk=job.pk, status=Status.RUNNING, token=job.token, heartbeat_at__lt=cutoff)
            salvaged = kind.salvage(job) if job.token else None
            if salvaged is not None:
                changed += _end(kind, stale, job, Status.SUCCEEDED, **salvaged)
            elif job.attempts < kind.max_attempts():
                line = f"its worker stopped (no heartbeat since {job.heartbeat_at:%H:%M:%S} UTC): queued again"
                if stale.update(status=Status.QUEUED, stage=REQUEUED, log=_append(line)):
                    transaction.on_commit(partial(job_enqueue, kind, job_id=job.pk))
                    changed += 1
            elif _end(kind, stale, job, Status.FAILED, problems=[kind.gave_up(job)], log=_append("its worker stopped: failed")):
                transaction.on_commit(partial(kind.discard, job.token))
                changed += 1
    for job_id in kind.model.objects.filter(status=Status.QUEUED, stage=UNSENT).values_list("pk", flat=True):
        with transaction.atomic():
            if kind.model.objects.filter(pk=job_id, status=Status.QUEUED, stage=UNSENT).update(stage="queued"):
                transaction.on_commit(partial(job_enqueue, kind, job_id=job_id))
                changed += 1
    if changed:
        logger.warning("%s: the sweep changed %d job(s)", kind.model.__name__, changed)
    return changed


def _end(kind: JobKind, rows: QuerySet[Any], job: BackgroundJob, status: str, **fields: Any) -> bool:
    """Ends the job if ``rows`` (its row, as the caller expects it) still match; the kind's ``on_end`` once committed."""
    now = timezone.now()
    if status == Status.SUCCEEDED:
        fields.setdefault("stage", "done")
    if not rows.update(status=status, finished_at=now, heartbeat_at=now, **fields):
        return False
    transaction.on_commit(partial(kind.on_end, job, status))
    return True


def _log(kind: JobKind, job_id: int, line: str) -> None:
    kind.model.objects.filter(pk=job_id).update(log=_append(line))
