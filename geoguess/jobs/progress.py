"""The one JSON shape of a job's progress, which every job page polls (``static/jobs/job_progress.js``)::

    {
      "id": 7, "name": "Camera photos", "status": "running", "finished": false,
      "stage": "storing", "attempts": 1, "elapsed_s": 12.5, "waited_s": 0.4,
      "facts": {"status": "running", "stage": "storing", "elapsed": "12 s", "stored": "40 of 100", ...},
      "bars": {"stored": {"value": 40, "max": 100}, ...},
      "problems": ["labels.csv, row 3: ..."],
      "log": {"from": 120, "text": "new lines\\n", "length": 131}
    }

``facts`` are what the page shows, by the ``data-fact`` of the element that shows it: text, a
number, None ("–") or a link ``{"text": ..., "href": ...}``; every job has ``status``, ``stage``
and ``elapsed``, each kind adds its own. ``bars`` fill ``<progress data-bar=...>`` elements.
``log`` is the text the page lacks: from character ``log_from`` (the poll's query) on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models.functions import Length, Substr
from django.utils import timezone

from geoguess.jobs.models import BackgroundJob

Facts = dict[str, Any]
Bars = dict[str, dict[str, float]]
#: Problems a page lists at most (an upload of 100,000 bad rows has as many).
MAX_PROBLEMS = 200


def duration(seconds: float | None) -> str:
    """``"42 s"``, ``"3 min 5 s"``, ``"2 h 4 min"``; ``"–"`` when unknown.

    >>> duration(42.4), duration(185), duration(7440), duration(None)
    ('42 s', '3 min 5 s', '2 h 4 min', '–')
    """
    if seconds is None:
        return "–"
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def stage_shown(job: BackgroundJob, *, queue: str, words: Mapping[str, str] | None = None) -> str:
    """The stage in words: a queued job waits for a worker on its queue (or says its message was not sent).

    ``words``: the kind's own for its stages (``JobKind.stage_words``: ``"checking"`` → ``"checking the
    photos"``, ``"done"`` → what a succeeded job has done). With them, a job that failed or was cancelled
    says at which stage it stopped rather than naming that stage as if it were still under way.
    """
    if job.status == job.Status.QUEUED and job.stage in ("", "queued"):
        return f"queued: waiting for a worker on the {queue} queue"
    if words is None:
        return job.stage or "starting"
    if job.status == job.Status.SUCCEEDED:
        return words.get("done", "done")
    if job.status in (job.Status.FAILED, job.Status.CANCELLED):
        if job.stage in words:
            return f"stopped while {words[job.stage]}"
        return "stopped" if job.started_at else "stopped before a worker took it"
    return words.get(job.stage, job.stage) or "starting"


def job_progress(
    job: BackgroundJob, *, queue: str, words: Mapping[str, str] | None = None, facts: Facts | None = None, bars: Bars | None = None
) -> dict[str, Any]:
    """The job's progress, in the one shape (without ``log``: ``job_log_since`` adds it); ``words``: ``stage_shown``'s."""
    end = job.finished_at or timezone.now()
    elapsed = round((end - job.started_at).total_seconds(), 1) if job.started_at else None
    stage = stage_shown(job, queue=queue, words=words)
    return {
        "id": job.pk,
        "name": job.name,
        "status": job.status,
        "finished": job.is_finished,
        "stage": stage,
        "attempts": job.attempts,
        "elapsed_s": elapsed,
        "waited_s": round(((job.started_at or end) - job.created_at).total_seconds(), 1),
        "facts": {"status": job.status, "stage": stage, "elapsed": duration(elapsed), **(facts or {})},
        "bars": bars or {},
        "problems": [str(problem) for problem in list(job.problems)[:MAX_PROBLEMS]],
    }


def log_offset(value: str | None) -> int:
    """``?log_from=``: the characters of the log the page holds already (anything else: none).
    At most 9 digits: PostgreSQL's substring() takes a 32-bit position."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 9 else 0


def job_log_since(job: BackgroundJob, offset: int) -> dict[str, Any]:
    """The job's log from character ``offset`` on, cut in the database (a long run's page polls every
    second, and its whole log would be sent each time). ``from`` says where the text starts (0 where
    the page's offset no longer fits the log), ``length`` where the page is after it."""
    row = type(job).objects.filter(pk=job.pk).annotate(log_length=Length("log"), log_new=Substr("log", offset + 1))
    length, text = row.values_list("log_length", "log_new").get()
    if offset > length:
        whole = type(job).objects.filter(pk=job.pk).values_list("log", flat=True).get()
        return {"from": 0, "text": whole, "length": length}
    return {"from": offset, "text": text or "", "length": length}
