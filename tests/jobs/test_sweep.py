"""The stale sweep (geoguess.jobs.services.jobs_sweep): a job whose worker died is completed, queued
again or failed; a job whose message could not be sent is sent again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from geoguess.imagesets.models import ImportJob
from geoguess.jobs.services import REQUEUED, UNSENT, job_claim, job_enqueue, job_run, jobs_sweep
from tests.jobs.kinds import Recorder, new_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list[tuple]:
    """What was sent to the broker (the tests' broker is in memory: nothing would run it anyway)."""
    from geoguess.celery import app

    messages: list[tuple] = []
    monkeypatch.setattr(app, "send_task", lambda name, args, **options: messages.append((name, args)))
    return messages


def dead(kind: Recorder, *, attempts: int = 1) -> ImportJob:
    """A job whose worker died mid-attempt: running, its heartbeat older than the kind allows."""
    job = new_job()
    job_claim(kind, job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(attempts=attempts, heartbeat_at=timezone.now() - timedelta(seconds=61))
    job.refresh_from_db()
    return job


def test_a_dead_attempt_with_attempts_left_is_queued_again_and_sent(django_capture_on_commit_callbacks, sent):
    kind = Recorder(attempts=2)
    job = dead(kind)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert jobs_sweep(kind) == 1
    assert len(callbacks) == 1 and sent == [("tests.jobs.noop", (job.pk,))]
    token = job.token
    job.refresh_from_db()
    assert job.status == "queued" and job.stage == REQUEUED and job.token == token  # the next attempt removes its leftovers
    assert "its worker stopped" in job.log and kind.discarded == [] and kind.ended == []
    # The next delivery removes what the dead attempt left, then starts afresh.
    assert job_run(kind, job_id=job.pk, work=lambda attempt: {"stored": 1}) == "succeeded"
    job.refresh_from_db()
    assert kind.discarded == [token] and job.attempts == 2 and job.token != token and "attempt 2 of 2" in job.log


def test_a_dead_attempt_without_attempts_left_fails_the_job_and_its_leftovers_go(django_capture_on_commit_callbacks, sent):
    kind = Recorder(attempts=2)
    job = dead(kind, attempts=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep(kind) == 1
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at and job.problems == [kind.gave_up(job)]
    assert "no heartbeat for over 60 s, 2 time(s)" in job.problems[0]
    assert kind.discarded == [job.token] and kind.ended == [(job.pk, "failed")] and sent == []


def test_a_dead_attempt_that_finished_its_work_completes_the_job(django_capture_on_commit_callbacks):
    kind = Recorder(attempts=1, salvaged={"stored": 12})
    job = dead(kind)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep(kind) == 1
    job.refresh_from_db()
    assert (job.status, job.stage, job.stored) == ("succeeded", "done", 12) and kind.ended == [(job.pk, "succeeded")]
    assert kind.discarded == []  # what it left is the result


def test_the_sweep_leaves_live_queued_and_finished_jobs_alone():
    kind = Recorder()
    now = timezone.now()
    alive = new_job(name="alive", status="running", token="t", attempts=1, heartbeat_at=now - timedelta(seconds=30))
    unborn = new_job(name="no heartbeat yet", status="running", token="u", attempts=1)
    queued = new_job(name="queued")
    done = new_job(name="done", status="succeeded", heartbeat_at=now - timedelta(days=1))
    assert jobs_sweep(kind) == 0
    for job in (alive, unborn, queued, done):
        before = job.status
        job.refresh_from_db()
        assert job.status == before


def test_a_message_that_cannot_be_sent_leaves_the_job_queued_saying_so_and_the_sweep_sends_it(
    monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from geoguess.celery import app

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    kind, job = Recorder(), new_job()
    monkeypatch.setattr(app, "send_task", unreachable)
    assert job_enqueue(kind, job_id=job.pk) is False
    job.refresh_from_db()
    assert job.status == "queued" and job.stage == UNSENT and "could not be reached" in job.stage
    with django_capture_on_commit_callbacks(execute=True):  # still down: it says so again
        jobs_sweep(kind)
    assert ImportJob.objects.get(pk=job.pk).stage == UNSENT
    sent: list[tuple] = []
    monkeypatch.setattr(app, "send_task", lambda name, args, **options: sent.append((name, args)))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep(kind) == 1
    assert sent == [("tests.jobs.noop", (job.pk,))] and ImportJob.objects.get(pk=job.pk).stage == "queued"
