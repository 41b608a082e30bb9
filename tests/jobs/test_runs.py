"""One delivery of a job (geoguess.jobs.services.job_run): claim, work, end; and cancelling."""

from __future__ import annotations

import socket
import time

import pytest

from geoguess.imagesets.models import ImportJob
from geoguess.jobs.attempt import AttemptSuperseded, JobFailed
from geoguess.jobs.services import job_cancel, job_claim, job_run
from tests.jobs.kinds import Recorder, new_job

pytestmark = pytest.mark.django_db


def test_it_claims_a_queued_job_once():
    kind, job = Recorder(), new_job()
    attempt = job_claim(kind, job_id=job.pk)
    assert attempt is not None and job_claim(kind, job_id=job.pk) is None  # a second delivery finds it taken
    job.refresh_from_db()
    assert job.status == "running" and job.attempts == 1 and job.stage == "warming up" and len(job.token) == 16
    assert attempt.token == job.token and job.worker.startswith(socket.gethostname() + ":")
    assert job.started_at and job.heartbeat_at and kind.discarded == []


@pytest.mark.parametrize("status", ["running", "succeeded", "failed", "cancelled"])
def test_a_delivery_of_a_job_that_is_not_queued_does_nothing(status):
    kind, job = Recorder(), new_job(status=status, stage="as it was")
    worked: list[int] = []
    assert job_run(kind, job_id=job.pk, work=lambda attempt: worked.append(1) or {}) == "skipped"
    job.refresh_from_db()
    assert worked == [] and job.deliveries == 1 and (job.status, job.stage, job.attempts, job.log) == (status, "as it was", 0, "")


def test_work_that_returns_ends_the_job_succeeded_with_its_fields():
    kind, job = Recorder(), new_job()

    def work(attempt):
        attempt.report(stage="checking", checked=3, total=5)
        attempt.log("checked 3")
        return {"stored": 5, "checked": 5}

    assert job_run(kind, job_id=job.pk, work=work) == "succeeded"
    job.refresh_from_db()
    assert (job.status, job.stage, job.checked, job.stored, job.total) == ("succeeded", "done", 5, 5, 5)
    assert job.log == "checked 3\n" and job.finished_at >= job.started_at and job.problems == []
    assert kind.ended == [(job.pk, "succeeded")]


def test_work_that_fails_ends_the_job_failed_with_its_problems():
    kind, job = Recorder(), new_job()

    def work(attempt):
        attempt.report(stage="checking")
        raise JobFailed(["labels.csv, row 3: no latitude", "labels.csv, row 4: no longitude"])

    assert job_run(kind, job_id=job.pk, work=work) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and job.problems == ["labels.csv, row 3: no latitude", "labels.csv, row 4: no longitude"]
    assert job.stage == "checking" and "failed: labels.csv, row 3" in job.log and kind.ended == [(job.pk, "failed")]


def test_a_bug_fails_the_job_with_its_type_and_the_traceback_in_its_log():
    kind, job = Recorder(), new_job()

    def work(attempt):
        raise ZeroDivisionError("division by zero")

    assert job_run(kind, job_id=job.pk, work=work) == "failed"
    job.refresh_from_db()
    assert job.problems == ["ZeroDivisionError: division by zero"] and "Traceback" in job.log


def test_an_interrupt_ends_the_job_cancelled_and_goes_on():
    kind, job = Recorder(), new_job()

    def work(attempt):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        job_run(kind, job_id=job.pk, work=work)
    job.refresh_from_db()
    assert job.status == "cancelled" and job.problems == ["interrupted"] and job.log.endswith("interrupted\n")


def test_a_queued_job_is_cancelled_at_once_and_its_message_later_does_nothing(django_capture_on_commit_callbacks):
    kind, job = Recorder(), new_job()
    with django_capture_on_commit_callbacks(execute=True):
        job = job_cancel(kind, job=job)
    assert job.status == "cancelled" and job.finished_at and "cancelled before a worker took it" in job.log
    assert kind.ended == [(job.pk, "cancelled")]  # what it held goes
    assert job_run(kind, job_id=job.pk, work=lambda attempt: {}) == "skipped"


def test_a_running_job_asked_to_stop_stops_at_its_next_step():
    kind, job = Recorder(), new_job()
    steps: list[int] = []

    def work(attempt):
        for step in range(1000):
            if step == 3:
                job_cancel(kind, job=ImportJob.objects.get(pk=job.pk))  # an admin, meanwhile
            attempt.check()
            steps.append(step)
            time.sleep(0.02)  # past the heartbeat (0.01 s): each step writes, and reads the request back
        return {}

    assert job_run(kind, job_id=job.pk, work=work) == "cancelled"
    job.refresh_from_db()
    assert job.status == "cancelled" and job.cancel_requested and 3 <= len(steps) <= 4
    assert job.log.endswith("cancel requested: it stops after its current step\ncancelled\n")


def test_an_attempt_taken_over_stops_and_writes_nothing_more():
    kind, job = Recorder(), new_job()
    attempt = job_claim(kind, job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(token="another attempt", checked=1)  # the sweep and a new claim, meanwhile
    time.sleep(0.02)
    attempt.report(checked=99)
    with pytest.raises(AttemptSuperseded):
        attempt.check()
    attempt.stop()
    assert attempt.finish("succeeded", stored=99) is False
    job.refresh_from_db()
    assert (job.status, job.token, job.checked, job.stored) == ("running", "another attempt", 1, 0) and kind.ended == []


def test_a_delivery_whose_attempt_was_taken_over_says_so():
    kind, job = Recorder(), new_job()

    def work(attempt):
        ImportJob.objects.filter(pk=job.pk).update(token="another attempt")
        time.sleep(0.02)
        attempt.check()
        return {"stored": 1}

    assert job_run(kind, job_id=job.pk, work=work) == "superseded"
    job.refresh_from_db()
    assert job.status == "running" and job.stored == 0 and kind.ended == []
