"""The one progress JSON of every job (geoguess.jobs.progress): its shape, the stage in words, the log in slices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from geoguess.imagesets.models import ImportJob
from geoguess.jobs.progress import MAX_PROBLEMS, duration, job_log_since, job_progress, log_offset
from geoguess.jobs.services import UNSENT
from tests.jobs.kinds import new_job

pytestmark = pytest.mark.django_db


def test_it_has_one_shape_for_every_job():
    now = timezone.now()
    job = new_job(status="running", stage="storing", attempts=1, started_at=now - timedelta(seconds=185), problems=["x"] * 500)
    ImportJob.objects.filter(pk=job.pk).update(created_at=now - timedelta(seconds=200))
    job.refresh_from_db()
    state = job_progress(job, queue="imports", facts={"stored": "4 of 9"}, bars={"stored": {"value": 4, "max": 9}})
    assert set(state) == {"id", "name", "status", "finished", "stage", "attempts", "elapsed_s", "waited_s", "facts", "bars", "problems"}
    assert (state["status"], state["finished"], state["stage"], state["attempts"]) == ("running", False, "storing", 1)
    assert 185 <= state["elapsed_s"] < 190 and 14 <= state["waited_s"] <= 15.5
    assert state["facts"] == {"status": "running", "stage": "storing", "elapsed": "3 min 5 s", "stored": "4 of 9"}
    assert state["bars"] == {"stored": {"value": 4, "max": 9}} and len(state["problems"]) == MAX_PROBLEMS


def test_a_queued_job_waits_for_a_worker_on_its_queue_or_says_it_was_not_sent():
    assert job_progress(new_job(), queue="imports")["stage"] == "queued: waiting for a worker on the imports queue"
    unsent = job_progress(new_job(name="unsent", stage=UNSENT), queue="training")
    assert unsent["stage"] == UNSENT and unsent["elapsed_s"] is None and unsent["facts"]["elapsed"] == "–"


def test_the_log_comes_in_slices_from_where_the_page_is():
    job = new_job(log="first line — São Paulo 🌏\nsecond\n")
    whole = job_log_since(job, 0)
    assert whole == {"from": 0, "text": job.log, "length": len(job.log)}
    first = len("first line — São Paulo 🌏\n")  # characters, as the database counts them
    assert job_log_since(job, first) == {"from": first, "text": "second\n", "length": len(job.log)}
    assert job_log_since(job, len(job.log))["text"] == ""
    assert job_log_since(job, 10_000) == whole  # past the end (a log that was cut): the whole log again


@pytest.mark.parametrize(
    "value,offset", [("12", 12), ("", 0), (None, 0), ("-1", 0), ("1e3", 0), ("١٢", 0), ("9" * 10, 0), ("999999999", 999999999)]
)
def test_a_log_offset_is_a_count_of_at_most_nine_digits(value, offset):
    assert log_offset(value) == offset


def test_durations_read_as_people_say_them():
    assert [duration(s) for s in (None, 0, 42.4, 59.6, 185, 7440)] == ["–", "0 s", "42 s", "1 min 0 s", "3 min 5 s", "2 h 4 min"]


# --- an import's stages, in words (the kind's stage_words) -----------------------------------------


@pytest.mark.parametrize(
    "fields,shown",
    [
        ({}, "queued: waiting for a worker on the imports queue"),
        ({"status": "running", "stage": "unpacking"}, "unpacking the zip"),
        ({"status": "running", "stage": "checking"}, "checking the photos"),
        ({"status": "running", "stage": "storing"}, "storing the photos"),
        ({"status": "running", "stage": "saving"}, "saving the image set"),
        ({"status": "succeeded", "stage": "done"}, "done: the image set is saved"),
        ({"status": "failed", "stage": "checking"}, "stopped while checking the photos"),
        ({"status": "cancelled", "stage": "storing"}, "stopped while storing the photos"),
        ({"status": "cancelled", "stage": "queued"}, "stopped before a worker took it"),
        ({"status": "queued", "stage": UNSENT}, UNSENT),
    ],
    ids=["queued", "unpacking", "checking", "storing", "saving", "done", "failed", "cancelled", "cancelled-queued", "unsent"],
)
def test_an_imports_stage_reads_as_words(fields, shown):
    from geoguess.imagesets.jobs import IMPORTS

    assert job_progress(new_job(**fields), queue="imports", words=IMPORTS.stage_words)["stage"] == shown


def test_every_stage_an_import_reports_has_its_words(tmp_path):
    """The stages ``imageset_import`` reports as it runs, from a real import, each worded, "done" included."""
    from geoguess.imagesets.jobs import IMPORTS
    from geoguess.imagesets.services import imageset_import
    from tests.support.images import small_world

    stages: list[str] = []
    imageset_import(name="Staged", source=small_world(tmp_path / "w", per_city=2), progress=lambda stage, done, total: stages.append(stage))
    assert set(stages) | {IMPORTS.first_stage, "done"} == set(IMPORTS.stage_words)


def test_a_kind_without_words_shows_its_stages_as_stored():
    job = new_job(status="failed", stage="classifier")
    assert job_progress(job, queue="training")["stage"] == "classifier"
