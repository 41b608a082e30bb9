"""``JobKind``: what the machinery needs to know of one kind of job (the rest of the policy is shared: see ``geoguess.jobs``)."""

from __future__ import annotations

from typing import Any, ClassVar

from geoguess.jobs.models import BackgroundJob


class JobKind:
    """A kind of background job. Subclass it once per kind and override what differs; the defaults
    are those of a job that leaves nothing behind when its worker dies and gets one attempt."""

    #: The concrete model of its rows.
    model: ClassVar[type[BackgroundJob]]
    #: The Celery task that runs one delivery (sent by name: the sender never imports the tasks module).
    task_name: ClassVar[str]
    #: The queue its task is routed to (``CELERY_TASK_ROUTES``), as pages name it.
    queue: ClassVar[str]
    #: The stage an attempt starts in.
    first_stage: ClassVar[str] = "starting"
    #: Its stages in words for its page (``progress.stage_shown``), ``"done"`` for a succeeded job's; None:
    #: the stages are shown as they are stored (a kind whose stages are words already).
    stage_words: ClassVar[dict[str, str] | None] = None

    def heartbeat_s(self) -> float:
        """Seconds between two heartbeats of a running attempt (its progress is written more often)."""
        return 2.0

    def stale_after_s(self) -> float:
        """Seconds without a heartbeat after which a running job's worker is taken for dead."""
        return 4 * self.heartbeat_s()

    def max_attempts(self) -> int:
        """Attempts a job gets in all; a job whose workers died that often fails."""
        return 1

    def fresh_fields(self) -> dict[str, Any]:
        """The progress fields an attempt starts from (a takeover starts afresh)."""
        return {}

    def salvage(self, job: Any) -> dict[str, Any] | None:
        """The fields of the finished job, when the attempt ``job.token`` finished its work just before its
        worker died (e.g. an import that saved its set); None when it did not. Runs inside a transaction."""
        return None

    def discard(self, token: str) -> None:
        """Removes what the dead attempt ``token`` left behind (its files): nothing of it was kept."""

    def on_end(self, job: Any, status: str) -> None:
        """Called once the job has ended (succeeded, failed or cancelled): what the job held can go."""

    def gave_up(self, job: Any) -> str:
        """The problem of a job whose workers died ``max_attempts`` times."""
        return (
            f"its worker stopped: no heartbeat for over {self.stale_after_s():.0f} s, {job.attempts} time(s) "
            "(killed, out of memory, or restarted); start it again"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.model.__name__}>"
