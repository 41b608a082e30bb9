"""Admin: import jobs, read-only (they come from uploads and ``import_imageset --background``); a job's
page follows it live and can cancel it (``geoguess.jobs.admin``)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse

from geoguess.imagesets.jobs import IMPORTS
from geoguess.imagesets.models import ImageSet, ImportJob
from geoguess.jobs.admin import JobAdmin
from geoguess.jobs.progress import Bars, Facts, stage_shown

#: The page's fields, all read-only: a job changes only through its worker and the Cancel button.
FIELDS = (
    "name",
    "progress",
    "archive_name",
    "archive_bytes",
    "kind",
    "author",
    "licence",
    "source",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
    "attempts",
    "deliveries",
    "worker",
    "image_set",
    "log_text",
)


class ImportJobAdmin(JobAdmin):
    kind = IMPORTS
    panel_id = "import-progress"
    shown = [
        ("status", "status"),
        ("stage", "stage"),
        ("checked", "photos checked"),
        ("stored", "photos stored"),
        ("attempts", "attempts"),
        ("elapsed", "elapsed"),
        ("image_set", "image set"),
    ]
    list_display = ["name", "status", "stage_in_words", "counts", "created_at", "image_set"]
    list_filter = ["status"]
    fields = FIELDS
    readonly_fields = FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an upload is the image set list's "add"

    def facts(self, job: ImportJob) -> Facts:
        return {
            "checked": f"{job.checked:,} of {job.total:,}",
            "stored": f"{job.stored:,} of {job.total:,}",
            "attempts": f"{job.attempts} of {IMPORTS.max_attempts()}",
            "image_set": self._image_set_link(job),
        }

    @staticmethod
    def _image_set_link(job: ImportJob) -> dict[str, str] | str:
        """The set the job made, by its name, linked to its page; "–" until it is saved."""
        if not job.image_set_id:
            return "–"
        name = ImageSet.objects.filter(pk=job.image_set_id).values_list("name", flat=True).first() or job.name
        return {"text": name, "href": reverse("admin:imagesets_imageset_change", args=[job.image_set_id])}

    @admin.display(description="stage")
    def stage_in_words(self, obj: ImportJob) -> str:
        return stage_shown(obj, queue=IMPORTS.queue, words=IMPORTS.stage_words)

    def bars(self, job: ImportJob) -> Bars:
        return {"checked": {"value": job.checked, "max": job.total}, "stored": {"value": job.stored, "max": job.total}}

    @admin.display(description="photos checked / stored / in all")
    def counts(self, obj: ImportJob) -> str:
        return f"{obj.checked:,} / {obj.stored:,} / {obj.total:,}"
