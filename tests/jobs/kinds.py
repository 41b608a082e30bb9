"""A kind of job of the tests' own, over the import jobs' table: it records what the machinery asks of it."""

from __future__ import annotations

from typing import Any

from geoguess.imagesets.models import ImportJob
from geoguess.jobs.kinds import JobKind


class Recorder(JobKind):
    model = ImportJob
    task_name = "tests.jobs.noop"
    queue = "tests"
    first_stage = "warming up"

    def __init__(self, *, attempts: int = 2, heartbeat_s: float = 0.01, stale_after_s: float = 60, salvaged: dict | None = None) -> None:
        self._attempts, self._heartbeat_s, self._stale_after_s, self.salvaged = attempts, heartbeat_s, stale_after_s, salvaged
        self.discarded: list[str] = []
        self.ended: list[tuple[int, str]] = []

    def heartbeat_s(self) -> float:
        return self._heartbeat_s

    def stale_after_s(self) -> float:
        return self._stale_after_s

    def max_attempts(self) -> int:
        return self._attempts

    def fresh_fields(self) -> dict[str, Any]:
        return {"checked": 0, "stored": 0, "total": 0}

    def salvage(self, job: ImportJob) -> dict[str, Any] | None:
        return self.salvaged

    def discard(self, token: str) -> None:
        self.discarded.append(token)

    def on_end(self, job: ImportJob, status: str) -> None:
        self.ended.append((job.pk, status))


def new_job(**fields: Any) -> ImportJob:
    fields.setdefault("name", "a job")
    return ImportJob.objects.create(archive="imports/x/a.zip", archive_name="a.zip", **fields)
