"""One worker's attempt at a job: it owns the row while its token is the row's, and a heartbeat thread
writes what it reports.

The job's code calls ``report`` (progress fields) and ``log`` (lines) as often as it likes: both
only touch memory, so the work never waits on the database. A thread writes what they recorded,
at most once a second and at least every ``heartbeat_s`` (with a fresh ``heartbeat_at``), in one
UPDATE that names the attempt's token; it then reads back whether the attempt is to stop: the
UPDATE matched nothing (the job was taken over, or failed by the stale sweep) or an admin asked to
cancel it. The job's next ``check`` raises ``AttemptSuperseded`` or ``JobCancelled``, between two
steps.

With ``threaded=False`` the calls write themselves (at the same pace), from the caller's thread:
for a caller inside a transaction (a test's), where a second connection would not see the job.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from geoguess.jobs.kinds import JobKind
from geoguess.jobs.models import BackgroundJob

logger = logging.getLogger(__name__)
RUNNING = BackgroundJob.Status.RUNNING
#: Progress is written at most this often: a page polls it every second, no more is needed.
PROGRESS_WRITE_S = 1.0


class AttemptStopped(BaseException):
    """The attempt is to stop, between two steps. A ``BaseException``: the job's own code (an import
    that removes what it wrote on any error) cleans up and lets it through, and never reports it as a
    problem of the job's input."""


class AttemptSuperseded(AttemptStopped):
    """The attempt no longer owns its job (taken over after a silent heartbeat, or failed by the sweep): it writes nothing more."""


class JobCancelled(AttemptStopped):
    """An admin cancelled the job: the attempt ends it cancelled."""


class JobFailed(Exception):
    """The job cannot succeed as asked (an upload's problems, a run's bad settings): the admin's to fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Attempt:
    """The attempt ``job.token`` at ``job`` (as claimed: ``geoguess.jobs.services.job_claim``)."""

    def __init__(
        self,
        kind: JobKind,
        job: BackgroundJob,
        *,
        echo: Callable[[str], None] | None = None,
        threaded: bool | None = None,
        every_s: float | None = None,
    ) -> None:
        self.kind, self.job, self.token, self.echo = kind, job, job.token, echo
        # Inside a transaction (a test's), a thread's own connection would not see the job: write inline.
        self.threaded = not transaction.get_connection().in_atomic_block if threaded is None else threaded
        self.heartbeat_s = kind.heartbeat_s()
        self.every_s = min(self.heartbeat_s, PROGRESS_WRITE_S) if every_s is None else every_s
        self.stop_reason: type[AttemptStopped] | None = None
        self._lock = threading.Lock()
        self._fields: dict[str, Any] = {}  # progress not written yet
        self._lines: list[str] = []  # log lines not written yet
        self._last_write = time.monotonic()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"job-{kind.model._meta.label_lower}-{job.pk}", daemon=True)

    # --- the job's side -------------------------------------------------------------------

    def report(self, **fields: Any) -> None:
        """Records progress fields of the job's row (written by the heartbeat)."""
        with self._lock:
            self._fields.update(fields)
        self._inline()

    def log(self, line: str) -> None:
        """Adds a line to the job's log (and to ``echo``: the shell's output)."""
        if self.echo is not None:
            self.echo(line)
        with self._lock:
            self._lines.append(line)
        self._inline()

    def check(self) -> None:
        """Raises ``JobCancelled`` or ``AttemptSuperseded`` once the attempt is to stop; call it between two steps."""
        self._inline()
        if self.stop_reason is not None:
            raise self.stop_reason()

    # --- the heartbeat --------------------------------------------------------------------

    def start(self) -> None:
        if self.threaded:
            self._thread.start()

    def stop(self) -> None:
        """Ends the heartbeat after a last write of what is pending (call before ``finish``)."""
        if not self.threaded:
            self.flush()
            return
        if self._thread.is_alive():
            self._done.set()
            self._thread.join()

    def _inline(self) -> None:
        if not self.threaded and time.monotonic() - self._last_write >= self.every_s:
            self.flush()

    def _loop(self) -> None:
        try:
            while True:
                done = self._done.wait(self.every_s)
                with self._lock:
                    pending = bool(self._fields or self._lines)
                if done or pending or time.monotonic() - self._last_write >= self.heartbeat_s:
                    try:
                        self.flush()
                    except Exception:  # a locked or unreachable database: try again next time, keep working
                        logger.exception("%s %s: progress and heartbeat not written", self.kind.model.__name__, self.job.pk)
                        connection.close()  # the next write opens a fresh one
                if done or self.stop_reason is AttemptSuperseded:
                    return
        finally:
            connection.close()  # this thread's own connection

    def flush(self) -> None:
        """Writes the pending progress and log with a fresh heartbeat; learns whether the attempt is to stop."""
        self._last_write = time.monotonic()
        if self.stop_reason is AttemptSuperseded:
            return  # no longer ours: nothing more is written
        with self._lock:
            fields, lines = self._fields, self._lines
            self._fields, self._lines = {}, []
        mine = self.kind.model.objects.filter(pk=self.job.pk, token=self.token, status=RUNNING)
        try:
            log = {"log": Concat(F("log"), Value("".join(line + "\n" for line in lines)))} if lines else {}
            written = mine.update(heartbeat_at=timezone.now(), **fields, **log)
        except Exception:
            with self._lock:  # written next time, in order, unless newer progress replaced it
                self._fields = {**fields, **self._fields}
                self._lines[:0] = lines
            raise
        if not written:
            self.stop_reason = AttemptSuperseded
        elif mine.filter(cancel_requested=True).exists():
            self.stop_reason = JobCancelled

    # --- the end --------------------------------------------------------------------------

    def finish(self, status: str, **fields: Any) -> bool:
        """Records the job's end, if this attempt still owns it; then the kind's ``on_end``. Returns whether it did."""
        now = timezone.now()
        if status == BackgroundJob.Status.SUCCEEDED:
            fields.setdefault("stage", "done")
        owned = self.kind.model.objects.filter(pk=self.job.pk, token=self.token, status=RUNNING).update(
            status=status, finished_at=now, heartbeat_at=now, **fields
        )
        if owned:
            self.kind.on_end(self.job, status)
        return bool(owned)
