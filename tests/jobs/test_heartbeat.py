"""The heartbeat thread of an attempt (geoguess.jobs.attempt), on real commits: it writes the attempt's
progress and log with a fresh heartbeat while the job's code works, and brings back a cancel."""

from __future__ import annotations

import threading
import time

import pytest

from geoguess.imagesets.models import ImportJob
from geoguess.jobs.attempt import JobCancelled
from geoguess.jobs.services import job_cancel, job_claim
from tests.jobs.kinds import Recorder, new_job

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_thread_writes_progress_and_heartbeat_while_the_work_says_nothing_and_brings_back_a_cancel():
    kind = Recorder(heartbeat_s=0.1)
    job = new_job()
    attempt = job_claim(kind, job_id=job.pk)
    assert attempt.threaded  # outside a transaction: a thread of its own
    claimed_at = ImportJob.objects.get(pk=job.pk).heartbeat_at
    attempt.start()
    try:
        attempt.report(stage="checking", checked=7, total=9)
        attempt.log("a line from the work")
        wait_until(lambda: ImportJob.objects.get(pk=job.pk).checked == 7)
        row = ImportJob.objects.get(pk=job.pk)
        assert (row.stage, row.total, row.log) == ("checking", 9, "a line from the work\n")
        # Nothing reported for a while (a long step): the heartbeat still beats.
        wait_until(lambda: ImportJob.objects.get(pk=job.pk).heartbeat_at > row.heartbeat_at)
        assert row.heartbeat_at > claimed_at
        job_cancel(kind, job=row)  # an admin, from another request
        wait_until(lambda: attempt.stop_reason is not None)
        with pytest.raises(JobCancelled):
            attempt.check()
        attempt.report(stored=3)
    finally:
        attempt.stop()  # a last write of what is pending, then the thread ends
    assert not any(thread.name.startswith("job-imagesets.importjob") for thread in threading.enumerate())
    assert ImportJob.objects.get(pk=job.pk).stored == 3
    assert attempt.finish("cancelled") and ImportJob.objects.get(pk=job.pk).status == "cancelled"
