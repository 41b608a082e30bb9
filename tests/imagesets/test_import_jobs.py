"""Import jobs without a worker: the services a worker calls, run here (a real worker: test_import_jobs_integration)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from geoguess.imagesets.jobs import IMPORTS, import_job_create, import_job_run
from geoguess.imagesets.models import ImageSet, ImportJob, Photo
from geoguess.imagesets.services import imageset_import, import_folders
from geoguess.jobs.services import job_cancel, jobs_sweep
from tests.support.images import small_world
from tests.support.import_corpus import labels_zip
from worldnet_core.manifest import ImageSetError

pytestmark = pytest.mark.django_db


def good_zip() -> bytes:
    return labels_zip([["a.jpg", "48.85", "2.35", "Paris"], ["b.jpg", "-33.9", "151.2", "Sydney"]])


def queued(name: str = "Jobbed") -> ImportJob:
    return import_job_create(name=name, archive=io.BytesIO(good_zip()), archive_name="set.zip")


def media_files(settings) -> list[Path]:
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def dead_attempt(job: ImportJob, settings, *, attempts: int = 1) -> str:
    """What a worker killed mid-import leaves: the job running, a stale heartbeat, files in its folders."""
    token = "deadbeefdeadbeef"
    for folder in import_folders(token):
        (Path(settings.MEDIA_ROOT) / folder).mkdir(parents=True)
        (Path(settings.MEDIA_ROOT) / folder / "half-written.jpg").write_bytes(b"\xff\xd8")
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", token=token, attempts=attempts, stage="storing", stored=1, heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    return token


def test_it_keeps_the_upload_and_queues_without_importing(settings):
    job = queued()
    assert job.status == "queued" and job.archive_bytes > 0
    assert (Path(settings.MEDIA_ROOT) / job.archive).is_file() and ImageSet.objects.count() == 0


def test_it_reports_every_stage_with_counts():
    stages: list[tuple[str, int, int]] = []
    imageset_import(name="Staged", source=small_world(Path(__import__("tempfile").mkdtemp()) / "w"), progress=lambda *a: stages.append(a))
    names = [s[0] for s in stages]
    assert names[0] == "unpacking" and names[-1] == "saving"
    assert ("checking", 12, 12) in stages and ("storing", 12, 12) in stages
    assert names.index("checking") < names.index("storing")


def test_it_runs_a_job_to_success_and_removes_its_archive(settings):
    job = queued()
    assert import_job_run(job_id=job.pk) == "succeeded"
    job.refresh_from_db()
    assert job.status == "succeeded" and job.stage == "done" and job.checked == job.stored == job.total == 5
    assert job.image_set.photos.count() == 5 and job.started_at and job.finished_at and job.attempts == 1
    assert not (Path(settings.MEDIA_ROOT) / job.archive).exists()
    assert import_job_run(job_id=job.pk) == "skipped"  # a second delivery of a finished job does nothing


def test_it_takes_over_a_job_whose_worker_died_removing_what_that_worker_wrote(settings):
    job = queued()
    dead = dead_attempt(job, settings)
    assert import_job_run(job_id=job.pk) == "succeeded"
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2 and job.token != dead
    assert not any((Path(settings.MEDIA_ROOT) / folder).exists() for folder in import_folders(dead))
    assert Photo.objects.count() == 5


def test_it_leaves_a_job_with_a_fresh_heartbeat_to_the_worker_running_it(settings):
    job = queued()
    dead_attempt(job, settings)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    assert import_job_run(job_id=job.pk) == "skipped"  # e.g. a long import handed out again after the visibility timeout
    assert ImportJob.objects.get(pk=job.pk).status == "running" and ImageSet.objects.count() == 0


def test_it_fails_a_job_cleanly_once_its_workers_died_too_often(settings, django_capture_on_commit_callbacks):
    job = queued()
    dead_attempt(job, settings, attempts=settings.IMPORT_MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the failure is committed
        assert import_job_run(job_id=job.pk) == "skipped"
    job.refresh_from_db()
    assert job.status == "failed" and "stopped 3 times mid-import" in job.problems[0] and job.finished_at
    assert Photo.objects.count() == 0 and ImageSet.objects.count() == 0
    assert media_files(settings) == []  # the dead attempt's folders and the archive


def test_a_set_saved_just_before_its_worker_died_completes_the_job(settings):
    job = queued()
    token = "0123456789abcdef"
    image_set = imageset_import(name=job.name, source=small_world(Path(settings.MEDIA_ROOT).parent / "w"), token=token)
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", token=token, attempts=1, heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    assert import_job_run(job_id=job.pk) == "skipped"
    job.refresh_from_db()
    assert job.status == "succeeded" and job.image_set == image_set and job.stored == 12


def test_the_sweep_queues_again_a_running_job_whose_heartbeat_stopped(settings, django_capture_on_commit_callbacks):
    job = queued()
    dead_attempt(job, settings)
    fresh = queued("Fresh")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert jobs_sweep(IMPORTS) == 1
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == "queued" and job.token  # its token stays: the next delivery removes its files
    assert ImportJob.objects.get(pk=fresh.pk).status == "queued"
    import_job_run(job_id=job.pk)
    assert ImportJob.objects.get(pk=job.pk).status == "succeeded"


def test_it_refuses_a_name_being_imported_already_and_what_is_not_a_zip(settings):
    queued("Twice")
    with pytest.raises(ImageSetError, match="queued or running already"):
        queued("Twice")
    with pytest.raises(ImageSetError, match=r"notes\.txt: is not a zip file"):
        import_job_create(name="Text", archive=io.BytesIO(b"hello"), archive_name="notes.txt")
    assert ImportJob.objects.count() == 1 and len(media_files(settings)) == 1


def test_the_command_queues_a_job_in_the_background(tmp_path, settings):
    archive = tmp_path / "set.zip"
    archive.write_bytes(good_zip())
    out = io.StringIO()
    call_command("import_imageset", str(archive), name="From the shell", background=True, stdout=out)
    job = ImportJob.objects.get(name="From the shell")
    assert f"queued import job {job.pk}" in out.getvalue() and job.status == "queued" and job.created_by == "import_imageset"
    assert ImageSet.objects.count() == 0
    with pytest.raises(CommandError, match="--background takes a zip file"):
        call_command("import_imageset", str(tmp_path), name="A folder", background=True, stdout=io.StringIO())


def test_the_command_imports_in_the_foreground_with_a_line_per_stage(tmp_path):
    out = io.StringIO()
    call_command("import_imageset", str(small_world(tmp_path / "w")), name="Foreground", stdout=out)
    text = out.getvalue()
    assert "checking: 12/12 photos" in text and "storing: 12/12 photos" in text and "imported 12 photos" in text


def test_the_job_page_and_its_status_are_for_staff_only(client, admin_client):
    job = queued()
    assert client.get(f"/admin/imagesets/importjob/{job.pk}/progress.json").status_code == 302  # to the login
    state = admin_client.get(f"/admin/imagesets/importjob/{job.pk}/progress.json").json()
    assert state["status"] == "queued" and state["finished"] is False
    page = admin_client.get(f"/admin/imagesets/importjob/{job.pk}/change/").content.decode()
    assert 'id="import-progress"' in page and "jobs/job_progress.js" in page
    assert admin_client.get("/admin/imagesets/importjob/999999/progress.json").status_code == 404


def test_a_successful_job_queues_worldnets_predictions_for_the_new_set(model_version, django_capture_on_commit_callbacks):
    from geoguess.celery import app
    from geoguess.opponent.models import Prediction

    job = queued()
    app.conf.task_always_eager = True  # the queued prediction tasks run here, so the test sees them
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert import_job_run(job_id=job.pk) == "succeeded"
    finally:
        app.conf.task_always_eager = False
    job.refresh_from_db()
    assert Prediction.objects.filter(photo__image_set=job.image_set, model_version=model_version).count() == 5


def test_an_upload_is_spooled_beside_the_media_so_keeping_it_is_a_rename():
    # Spooled to /tmp, a multi-gigabyte zip would be copied to MEDIA_ROOT's volume (a shared one in a
    # deployment) inside the upload's request: far from "at once", and past gunicorn's 30 s.
    import os

    from geoguess import settings as project

    spool = Path(project.FILE_UPLOAD_TEMP_DIR)
    assert spool.is_dir() and spool.is_relative_to(project.MEDIA_ROOT)
    assert os.stat(spool).st_dev == os.stat(project.MEDIA_ROOT).st_dev


def test_an_import_cancelled_mid_way_stops_and_leaves_nothing(settings, monkeypatch):
    from geoguess.imagesets import jobs

    settings.IMPORT_HEARTBEAT_SECONDS = 0  # every progress report writes, and reads the cancel back
    job = queued()
    real = jobs.imageset_import

    def import_that_an_admin_cancels(**kwargs):
        report = kwargs["progress"]

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "storing" and done == 2:
                job_cancel(IMPORTS, job=ImportJob.objects.get(pk=job.pk))  # from the job's page, meanwhile
            report(stage, done, total)

        return real(**{**kwargs, "progress": progress})

    monkeypatch.setattr(jobs, "imageset_import", import_that_an_admin_cancels)
    assert import_job_run(job_id=job.pk) == "cancelled"
    job.refresh_from_db()
    assert job.status == "cancelled" and job.finished_at and job.stored < 5 and job.log.endswith("cancelled\n")
    assert ImageSet.objects.count() == 0 and Photo.objects.count() == 0
    assert media_files(settings) == []  # its folders and the upload


def test_the_job_page_cancels_a_queued_import_and_its_upload_goes(admin_client, settings, django_capture_on_commit_callbacks):
    job = queued()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/imagesets/importjob/{job.pk}/cancel/")
    assert response.status_code == 302 and response["Location"] == f"/admin/imagesets/importjob/{job.pk}/change/"
    job.refresh_from_db()
    assert job.status == "cancelled" and media_files(settings) == []
    assert "Cancel this import job" not in admin_client.get(response["Location"]).content.decode()  # it has ended
