"""The admin of a kind of background job: a read-only page with a live panel (``job_progress.js``
polls ``<id>/progress.json``), its log, a Cancel button, and the stale sweep whenever jobs are shown."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from geoguess.jobs.kinds import JobKind
from geoguess.jobs.models import BackgroundJob
from geoguess.jobs.progress import Bars, Facts, job_log_since, job_progress, log_offset
from geoguess.jobs.services import job_cancel, jobs_sweep


class JobAdmin(admin.ModelAdmin):
    """Subclass it for a kind: set ``kind``, ``panel_id`` and ``shown`` (the facts of the panel, in order),
    and override ``facts`` and ``bars`` with the kind's own."""

    kind: ClassVar[JobKind]
    #: The id of the page's live panel.
    panel_id: ClassVar[str] = "job-progress"
    #: ``(fact, label)`` rows of the panel; ``status``, ``stage`` and ``elapsed`` are every job's.
    shown: ClassVar[list[tuple[str, str]]] = [("status", "status"), ("stage", "stage"), ("elapsed", "elapsed")]
    change_form_template = "admin/jobs/change_form.html"
    actions = ["cancel_jobs"]

    class Media:
        js = ["jobs/job_progress.js"]

    # --- what the kind shows --------------------------------------------------------------

    def facts(self, job: Any) -> Facts:
        return {}

    def bars(self, job: Any) -> Bars:
        return {}

    def progress_state(self, job: BackgroundJob) -> dict[str, Any]:
        return job_progress(job, queue=self.kind.queue, words=self.kind.stage_words, facts=self.facts(job), bars=self.bars(job))

    # --- pages ----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        own = [
            path("<path:object_id>/progress.json", self.admin_site.admin_view(self.progress_view), name="{}_{}_progress".format(*info)),
            path("<path:object_id>/cancel/", self.admin_site.admin_view(self.cancel_view), name="{}_{}_cancel".format(*info)),
        ]
        return [*own, *super().get_urls()]  # before the admin's catch-all object URLs

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        jobs_sweep(self.kind)  # a job whose worker died shows as queued again or failed, not as running forever
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            # Jobs change only through their worker and the Cancel button: a form save would write the
            # page's stale copy of the job over the progress its worker wrote since.
            raise PermissionDenied
        jobs_sweep(self.kind)
        extra = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A running job is its worker's until it ends; a finished one may go.
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_finished)

    def _job(self, request: HttpRequest, object_id: str) -> Any:
        """The job, its log left unread (``get_object``'s way with a bad id: None)."""
        try:
            return self.get_queryset(request).defer("log").get(pk=self.opts.pk.to_python(object_id))
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    def progress_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """The job's progress (``geoguess.jobs.progress``) with the log lines the page lacks (``?log_from=``)."""
        jobs_sweep(self.kind)
        job = self._job(request, object_id)
        if job is None:
            raise Http404("no such job")
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        state = self.progress_state(job)
        state["log"] = job_log_since(job, log_offset(request.GET.get("log_from")))
        response = JsonResponse(state)
        response["Cache-Control"] = "private, no-store"  # always the job's state now
        return response

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._cancel)(request, object_id)

    def _cancel(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job = self._job(request, object_id)
        if job is None:
            raise Http404("no such job")
        if not self.has_change_permission(request, job):
            raise PermissionDenied
        self._cancel_one(request, job)
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[job.pk]))

    def _cancel_one(self, request: HttpRequest, job: BackgroundJob) -> None:
        if job.is_finished:
            self.message_user(request, f"{job.name!r} has ended already ({job.status}).", messages.WARNING)
            return
        job = job_cancel(self.kind, job=job)
        if job.status == job.Status.CANCELLED:
            self.message_user(request, f"{job.name!r} is cancelled; it had not started.", messages.SUCCESS)
        else:
            self.message_user(request, f"{job.name!r} stops after its current step.", messages.SUCCESS)

    @admin.action(description="Cancel the selected jobs")
    def cancel_jobs(self, request: HttpRequest, queryset: Any) -> None:
        for job in queryset:
            self._cancel_one(request, job)

    # --- read-only fields -----------------------------------------------------------------

    @admin.display(description="progress")
    def progress(self, obj: BackgroundJob) -> SafeString:
        """The live panel: the same facts and bars as the progress JSON, drawn once; the script fills them in."""
        state = self.progress_state(obj)
        rows = [
            {"key": key, "label": label, "fact": _fact(state["facts"].get(key)), "bar": state["bars"].get(key)} for key, label in self.shown
        ]
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_progress", args=[obj.pk])
        context = {"panel_id": self.panel_id, "progress_url": url, "state": state, "rows": rows}
        return SafeString(render_to_string("admin/jobs/progress.html", context))

    @admin.display(description="log")
    def log_text(self, obj: BackgroundJob) -> SafeString:
        # Its length in characters, as the database counts them (JavaScript counts UTF-16 units).
        return format_html('<pre id="{}-log" data-job-log data-length="{}">{}</pre>', self.panel_id, len(obj.log), obj.log)


def _fact(value: object) -> dict[str, object]:
    """A fact as the template draws it: text, or a link."""
    if isinstance(value, dict):
        return {"text": value.get("text", ""), "href": value.get("href", "")}
    return {"text": "–" if value is None else str(value), "href": ""}
