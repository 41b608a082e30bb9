"""Import jobs: an upload kept in storage, then imported in the background by a worker on the ``imports`` queue.

The job's row is its whole state (status, stage, counts, problems, timings); the admin page
polls it. How a job survives a worker that dies mid-import (SIGKILL, out of memory, a lost machine):

- the task is acknowledged late and rejected on worker loss, so the broker hands its message
  out again after the visibility timeout (``CELERY_VISIBILITY_TIMEOUT``);
- while an attempt runs, a thread refreshes ``heartbeat_at`` every ``IMPORT_HEARTBEAT_SECONDS``;
  four missed beats make it stale;
- a delivery that finds the job running with a stale heartbeat takes it over: it removes the
  folders the dead attempt wrote (``import_folders(job.storage)``: no row of it was saved, the
  save is one transaction) and starts again, with a new folder token; after
  ``IMPORT_MAX_ATTEMPTS`` attempts the job fails cleanly instead;
- a delivery that finds a fresh heartbeat leaves the job alone: a worker is still on it (an
  import longer than the visibility timeout is handed out twice);
- ``import_jobs_sweep`` (run by the job pages and when a worker starts) puts a running job whose
  heartbeat is stale back in the queue, for when its message will not come back by itself;
- every write of an attempt names its token, so an attempt that was taken over (alive but
  silent too long) stops at its next progress report and writes nothing more.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from geoguess.imagesets.models import ImageSet, ImportJob
from geoguess.imagesets.services import (
    Progress,
    imageset_import,
    imageset_name_check,
    imageset_predictions_queue,
    import_folders,
    import_leftovers_remove,
)
from worldnet_core.manifest import ImageSetError, Problem
from worldnet_core.readers import KINDS

logger = logging.getLogger(__name__)
Status = ImportJob.Status
#: Progress is written at most this often (and at every change of stage): a page polls it, no more is needed.
PROGRESS_WRITE_SECONDS = 0.5
#: The stage of a job whose message could not be sent (the broker was down): the sweep sends it again.
UNSENT = "queued, not yet sent: the queue (Redis) could not be reached"


class AttemptSuperseded(BaseException):
    """This attempt no longer owns its job (another worker took it over): stop, writing nothing more.

    A ``BaseException``, so the import service removes this attempt's folders and re-raises it
    instead of reporting it as a problem of the upload.
    """


def _media(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def stale_after() -> timedelta:
    return timedelta(seconds=4 * settings.IMPORT_HEARTBEAT_SECONDS)


# --- creating a job (the upload's request: it must return at once) ----------------------------


def upload_file_name(name: str, max_bytes: int = 200) -> str:
    """The upload's own name (messages quote it), made safe to write: no folders or control
    characters, and short enough for any file system even in a multi-byte script."""
    name = "".join(ch if ch.isprintable() and ch not in "/\\" else "_" for ch in Path(name or "upload").name) or "upload"
    suffix = Path(name).suffix if len(Path(name).suffix.encode()) <= 16 else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    while len((stem + suffix).encode("utf-8")) > max_bytes:
        stem = stem[:-1]
    return (stem or "upload") + suffix


def import_job_create(
    *, name: str, archive: IO[bytes], archive_name: str, description: str = "", kind: str = "auto", created_by: str = ""
) -> ImportJob:
    """Keeps ``archive`` under ``MEDIA_ROOT/imports/`` and queues its import (after commit).

    Checks only what is quick, so that the request returns at once: the name (free, and not
    being imported by another job), the kind, and that the file is a zip. The readers check
    the rest in the worker. Raises ``ImageSetError`` (and keeps nothing) when a check fails.
    An upload Django spooled to a temporary file is moved, not copied.
    """
    name = imageset_name_check(name)
    if ImportJob.objects.filter(name=name, status__in=[Status.QUEUED, Status.RUNNING]).exists():
        raise ImageSetError([Problem("name", f"an import of {name!r} is queued or running already")])
    if kind not in KINDS:
        raise ImageSetError([Problem("kind", f"unknown kind {kind!r}; one of {', '.join(KINDS)}")])
    if "\0" in description:
        raise ImageSetError([Problem("description", "holds a NUL character")])
    shown = upload_file_name(archive_name)
    relative = f"imports/{secrets.token_hex(8)}/{shown}"
    target = _media(relative)
    target.parent.mkdir(parents=True)
    try:
        _keep(archive, target)
        if not zipfile.is_zipfile(target):
            raise ImageSetError(
                [
                    Problem(
                        shown,
                        "is not a zip file: upload a zip of images with a labels CSV, of geotagged photos, or in the GSV-Cities layout",
                    )
                ]
            )
        job = ImportJob.objects.create(
            name=name,
            description=description,
            kind=kind,
            archive=relative,
            archive_name=shown,
            archive_bytes=target.stat().st_size,
            created_by=created_by[:150],
        )
    except BaseException:
        shutil.rmtree(target.parent, ignore_errors=True)
        raise
    transaction.on_commit(lambda: import_job_enqueue(job_id=job.pk))
    return job


def _keep(archive: IO[bytes], target: Path) -> None:
    temporary = getattr(archive, "temporary_file_path", None)
    if temporary is not None:
        shutil.move(temporary(), target)  # Django spooled the upload to disk as it arrived: a rename
        return
    with target.open("wb") as handle:
        chunks = archive.chunks() if hasattr(archive, "chunks") else iter(lambda: archive.read(1 << 20), b"")
        for chunk in chunks:
            handle.write(chunk)


def import_job_enqueue(*, job_id: int) -> None:
    """Sends the job to the ``imports`` queue (``CELERY_TASK_ROUTES``). With the broker down, the
    upload is kept all the same: the job says so and the next sweep sends it."""
    from geoguess.celery import send_or_run_here
    from geoguess.imagesets.tasks import import_run

    try:
        send_or_run_here(import_run, job_id)
    except Exception:
        logger.exception("import job %s could not be queued", job_id)
        ImportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(stage=UNSENT)


# --- running a job (the worker) ------------------------------------------------------------


def import_job_run(*, job_id: int) -> str:
    """Runs (or takes over) one job through ``imageset_import``; returns what became of it."""
    claim = _claim(job_id)
    if claim is None:
        return "skipped"
    job, token = claim
    beat = _Heartbeat(job.pk, token)
    beat.start()
    try:
        image_set = imageset_import(
            name=job.name,
            source=_media(job.archive),
            kind=job.kind,
            description=job.description,
            progress=_reporter(job.pk, token, beat),
            token=token,
        )
    except ImageSetError as error:
        _finish(job, token, status=Status.FAILED, stage="failed", problems=[str(problem) for problem in error.problems])
        return "failed"
    except AttemptSuperseded:
        logger.warning("import job %s: another worker took it over; this attempt stopped", job.pk)
        return "superseded"
    finally:
        beat.stop()
    if not _finish(job, token, status=Status.SUCCEEDED, stage="done", image_set=image_set):
        logger.warning("import job %s was taken over after its set was saved", job.pk)
    return "succeeded"


def _claim(job_id: int) -> tuple[ImportJob, str] | None:
    """Makes this delivery the job's owner, or says why not (finished, or alive elsewhere)."""
    leftovers = ""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        now = timezone.now()
        if job.status == Status.RUNNING and job.heartbeat_at and now - job.heartbeat_at < stale_after():
            return None  # a worker is still on it: this is a second delivery of a long import
        if job.storage:  # an earlier attempt died (or was swept): it may have saved its set just before
            saved = ImageSet.objects.filter(storage=import_folders(job.storage)[0]).first()
            if saved is not None:
                _mark(job, status=Status.SUCCEEDED, stage="done", image_set=saved, stored=saved.photos.count())
                transaction.on_commit(lambda: imageset_predictions_queue(saved.pk))  # its own may have died with it
                transaction.on_commit(lambda: _remove_archive(job))
                return None
            leftovers = job.storage
        if job.attempts >= settings.IMPORT_MAX_ATTEMPTS:
            problem = f"its worker stopped {job.attempts} times mid-import (killed, out of memory, or its machine lost); nothing was kept. Upload it again"
            _mark(job, status=Status.FAILED, stage="failed", problems=[problem], storage="")
            transaction.on_commit(lambda: (import_leftovers_remove(token=leftovers), _remove_archive(job)))
            return None
        token = secrets.token_hex(8)
        job.status, job.stage, job.storage, job.attempts = Status.RUNNING, "unpacking", token, job.attempts + 1
        job.checked = job.stored = job.total = 0
        job.problems = []
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.save()
    import_leftovers_remove(token=leftovers)  # nothing of it was saved: its files go, and this attempt starts afresh
    return job, token


def _mark(job: ImportJob, **fields) -> None:
    now = timezone.now()
    fields.setdefault("finished_at", now)
    for key, value in fields.items():
        setattr(job, key, value)
    job.heartbeat_at = now
    job.save()


def _finish(job: ImportJob, token: str, **fields) -> bool:
    """Records the end of this attempt, if it still owns the job; then the archive goes."""
    now = timezone.now()
    if "image_set" in fields:
        fields["stored"] = fields["image_set"].photos.count()
    owned = ImportJob.objects.filter(pk=job.pk, storage=token, status=Status.RUNNING).update(finished_at=now, heartbeat_at=now, **fields)
    if owned:
        _remove_archive(job)
    return bool(owned)


def _remove_archive(job: ImportJob) -> None:
    if job.archive:
        shutil.rmtree(_media(job.archive).parent, ignore_errors=True)


def _reporter(job_id: int, token: str, beat: _Heartbeat) -> Progress:
    """The ``progress`` callback of one attempt: writes the job's counts, at most twice a second."""
    last = {"stage": "", "at": 0.0}

    def progress(stage: str, done: int, total: int) -> None:
        if beat.lost:
            raise AttemptSuperseded
        now = time.monotonic()
        if stage == last["stage"] and done != total and now - last["at"] < PROGRESS_WRITE_SECONDS:
            return
        last.update(stage=stage, at=now)
        fields: dict = {"stage": stage, "heartbeat_at": timezone.now()}
        if stage == "checking":
            fields.update(checked=done, total=total)
        elif stage in ("storing", "saving"):
            fields.update(checked=total, stored=done, total=total)
        if not ImportJob.objects.filter(pk=job_id, storage=token, status=Status.RUNNING).update(**fields):
            raise AttemptSuperseded

    return progress


class _Heartbeat(threading.Thread):
    """Refreshes the job's ``heartbeat_at`` while the attempt runs, even in stages that report nothing (unpacking)."""

    def __init__(self, job_id: int, token: str) -> None:
        super().__init__(name=f"import-heartbeat-{job_id}", daemon=True)
        self.job_id, self.token = job_id, token
        self.lost = False
        self._stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self._stopped.wait(settings.IMPORT_HEARTBEAT_SECONDS):
                try:
                    if not ImportJob.objects.filter(pk=self.job_id, storage=self.token, status=Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    ):
                        self.lost = True
                        return
                except Exception:
                    logger.warning("import job %s: heartbeat not written", self.job_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=5)


# --- the sweep ----------------------------------------------------------------------------


def import_jobs_sweep() -> int:
    """Queues again every running job whose heartbeat is stale (its worker is gone), and every job
    that could not be sent; returns how many.

    The job goes back to ``queued``, keeping its folder token, so the delivery that takes it
    removes what the dead attempt wrote (or fails it, past ``IMPORT_MAX_ATTEMPTS``).
    """
    stale = ImportJob.objects.filter(status=Status.RUNNING, heartbeat_at__lt=timezone.now() - stale_after())
    requeued = 0
    for job_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            if ImportJob.objects.filter(pk=job_id, status=Status.RUNNING, heartbeat_at__lt=timezone.now() - stale_after()).update(
                status=Status.QUEUED, stage="queued again: its worker stopped"
            ):
                transaction.on_commit(lambda job_id=job_id: import_job_enqueue(job_id=job_id))
                requeued += 1
    for job_id in ImportJob.objects.filter(status=Status.QUEUED, stage=UNSENT).values_list("pk", flat=True):
        if ImportJob.objects.filter(pk=job_id, status=Status.QUEUED, stage=UNSENT).update(stage="queued"):
            transaction.on_commit(lambda job_id=job_id: import_job_enqueue(job_id=job_id))
            requeued += 1
    if requeued:
        logger.warning("import jobs: %d job(s) queued again", requeued)
    return requeued


def import_job_progress(*, job: ImportJob) -> dict:
    """What the job page shows and polls: status, stage, counts, problems, timings."""
    end = job.finished_at or timezone.now()
    return {
        "id": job.pk,
        "name": job.name,
        "status": job.status,
        "stage": job.stage,
        "checked": job.checked,
        "stored": job.stored,
        "total": job.total,
        "attempts": job.attempts,
        "problems": list(job.problems)[:200],
        "finished": job.is_finished,
        "image_set_id": job.image_set_id,
        "elapsed_s": round((end - job.started_at).total_seconds(), 1) if job.started_at else None,
        "waited_s": round(((job.started_at or end) - job.created_at).total_seconds(), 1),
    }


__all__ = ["import_job_create", "import_job_progress", "import_job_run", "import_jobs_sweep", "upload_file_name"]
