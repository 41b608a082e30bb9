"""Import jobs: an upload kept in storage, then imported in the background by a worker on the ``imports`` queue.

The job is a ``geoguess.jobs`` background job (one row, one heartbeat, one stale sweep, one
attempts policy: read ``geoguess/jobs/__init__.py``); what is an import's own is here:

- an attempt imports through ``imageset_import`` with its own token, so it writes only under
  ``originals/<token>`` and ``served/<token>`` (``import_folders``), and saves the set and all its
  photos in one transaction at the end;
- the attempt after a dead one first looks for the set the dead one may have saved just before it
  died (``salvage``: the job then succeeded), else removes that attempt's folders (``discard``: no
  row of it was saved) and starts again; after ``IMPORT_MAX_ATTEMPTS`` attempts the job fails, with
  nothing kept;
- the uploaded archive is removed once the job has ended, whatever the end.
"""

from __future__ import annotations

import secrets
import shutil
import zipfile
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.db import transaction

from geoguess.imagesets.checks import imageset_name_check, import_credits_check
from geoguess.imagesets.models import ImageSet, ImportJob
from geoguess.imagesets.services import imageset_import, import_folders, import_leftovers_remove
from geoguess.imagesets.signals import photos_added
from geoguess.imagesets.uploads import upload_file_name, upload_keep
from geoguess.jobs.attempt import Attempt, JobFailed
from geoguess.jobs.kinds import JobKind
from geoguess.jobs.services import job_enqueue, job_run
from worldnet_core.manifest import ImageSetError, Problem
from worldnet_core.readers import KINDS
from worldnet_core.readers.validation import Credits

Status = ImportJob.Status


def _media(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


class Imports(JobKind):
    """Import jobs, for ``geoguess.jobs``."""

    model = ImportJob
    task_name = "geoguess.imagesets.tasks.import_run"
    queue = "imports"
    first_stage = "unpacking"
    #: The stages of ``imageset_import``'s progress, in words for the job's page.
    stage_words = {
        "unpacking": "unpacking the zip",
        "checking": "checking the photos",
        "storing": "storing the photos",
        "saving": "saving the image set",
        "done": "done: the image set is saved",
    }

    def heartbeat_s(self) -> float:
        return float(settings.IMPORT_HEARTBEAT_SECONDS)

    def stale_after_s(self) -> float:
        return 4 * self.heartbeat_s()  # four missed beats

    def max_attempts(self) -> int:
        return int(settings.IMPORT_MAX_ATTEMPTS)

    def fresh_fields(self) -> dict[str, Any]:
        return {"checked": 0, "stored": 0, "total": 0, "image_set": None}

    def salvage(self, job: ImportJob) -> dict[str, Any] | None:
        saved = ImageSet.objects.filter(storage=import_folders(job.token)[0]).first()
        if saved is None:
            return None
        # The dead attempt's own notice of the new photos may have died with it (it is sent after commit).
        transaction.on_commit(lambda: photos_added.send_robust(sender=ImageSet, image_set_id=saved.pk))
        return {"image_set": saved, "stored": saved.photos.count(), "total": saved.photos.count()}

    def discard(self, token: str) -> None:
        import_leftovers_remove(token=token)

    def on_end(self, job: ImportJob, status: str) -> None:
        if job.archive:
            shutil.rmtree(_media(job.archive).parent, ignore_errors=True)

    def gave_up(self, job: ImportJob) -> str:
        return (
            f"its worker stopped {job.attempts} times mid-import (killed, out of memory, or its machine lost); "
            "nothing was kept. Upload it again"
        )


IMPORTS = Imports()


# --- creating a job (the upload's request: it must return at once) ----------------------------


def import_job_create(
    *,
    name: str,
    archive: IO[bytes],
    archive_name: str,
    description: str = "",
    kind: str = "auto",
    credits: Credits | None = None,
    created_by: str = "",
) -> ImportJob:
    """Keeps ``archive`` under ``MEDIA_ROOT/imports/`` and queues its import (after commit).

    Checks only what is quick, so that the request returns at once: the name (free, and not
    being imported by another job), the kind, the set-wide credit, and that the file is a zip.
    The readers check the rest in the worker. Raises ``ImageSetError`` (and keeps nothing) when
    a check fails.
    An upload Django spooled to a temporary file is moved, not copied.
    """
    name = imageset_name_check(name)
    if ImportJob.objects.filter(name=name, status__in=[Status.QUEUED, Status.RUNNING]).exists():
        raise ImageSetError([Problem("name", f"an import of {name!r} is queued or running already")])
    if kind not in KINDS:
        raise ImageSetError([Problem("kind", f"unknown kind {kind!r}; one of {', '.join(KINDS)}")])
    if "\0" in description:
        raise ImageSetError([Problem("description", "holds a NUL character")])
    defaults = import_credits_check(**vars(credits or Credits()))
    shown = upload_file_name(archive_name)
    relative = f"imports/{secrets.token_hex(8)}/{shown}"
    target = _media(relative)
    target.parent.mkdir(parents=True)
    try:
        upload_keep(archive, target)
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
            author=defaults.author,
            licence=defaults.licence,
            source=defaults.source,
            archive=relative,
            archive_name=shown,
            archive_bytes=target.stat().st_size,
            created_by=created_by[:150],
        )
    except BaseException:
        shutil.rmtree(target.parent, ignore_errors=True)
        raise
    transaction.on_commit(lambda: job_enqueue(IMPORTS, job_id=job.pk))
    return job


# --- running a job (the worker) ------------------------------------------------------------


def import_job_run(*, job_id: int) -> str:
    """One delivery of an import job (``geoguess.jobs.services.job_run``); returns what became of it."""
    return job_run(IMPORTS, job_id=job_id, work=_import)


def _import(attempt: Attempt) -> dict[str, Any]:
    job = cast(ImportJob, attempt.job)
    logged: set[str] = set()

    def progress(stage: str, done: int, total: int) -> None:
        attempt.check()  # taken over or cancelled: stop here (the import removes what it wrote)
        fields: dict[str, Any] = {"stage": stage}
        if stage == "checking":
            fields.update(checked=done, total=total)
        elif stage in ("storing", "saving"):
            fields.update(checked=total, stored=done, total=total)
        attempt.report(**fields)
        if stage not in logged:
            logged.add(stage)
            attempt.log(f"{stage} ({total:,} photos)" if total else stage)

    try:
        image_set = imageset_import(
            name=job.name,
            source=_media(job.archive),
            kind=job.kind,
            description=job.description,
            credits=Credits(job.author, job.licence, job.source),
            progress=progress,
            token=attempt.token,
        )
    except ImageSetError as error:
        raise JobFailed([str(problem) for problem in error.problems]) from None
    count = image_set.photos.count()
    attempt.log(f"saved {image_set.name!r}: {count:,} photos")
    return {"image_set": image_set, "stored": count, "total": count}
