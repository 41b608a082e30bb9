"""Admin: training runs. Start one (a form of ``python -m training train``'s common flags); watch it live,
read its log and cancel it (a background job's page: ``geoguess.jobs.admin``); the image set list starts
one too (its "Train worldNET" action, added to that list by ``register``)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from geoguess.imagesets.models import ImageSet
from geoguess.jobs.admin import JobAdmin
from geoguess.jobs.progress import Bars, Facts, duration, stage_shown
from geoguess.jobs.services import UNSENT
from geoguess.opponent.admin.display import arguments_table
from geoguess.opponent.forms import ROW_ID, TrainingRunForm
from geoguess.opponent.models import ModelVersion, TrainingRun
from geoguess.opponent.training_runs import TRAINING, TrainingInputError, training_flags, training_run_start

#: The page's fields, all read-only: a job changes only through its worker and the Cancel button.
FIELDS = (
    "progress",
    "name",
    "image_set_names",
    "trained_on",
    "activate",
    "arguments_table",
    "source",
    "created_by",
    "worker",
    "attempts",
    "deliveries",
    "created_at",
    "started_at",
    "finished_at",
    "log_text",
)


class TrainingRunAdmin(JobAdmin):
    kind = TRAINING
    panel_id = "training-run"
    shown = [
        ("status", "status"),
        ("stage", "stage"),
        ("epoch", "epoch"),
        ("loss", "loss"),
        ("elapsed", "elapsed"),
        ("eta", "ETA"),
        ("model_version", "model version"),
    ]
    list_display = ["name", "status", "source", "stage_now", "loss_now", "elapsed", "model_version", "created_at"]
    list_filter = ["status", "source"]
    fields = FIELDS
    readonly_fields = FIELDS
    actions = ["cancel_jobs"]

    def facts(self, job: TrainingRun) -> Facts:
        version = job.model_version
        ended = _ended(job)
        return {
            # A run that failed or was cancelled says so where its stage was: never a stage that looks done.
            **({"stage": f"{ended} during: {job.stage or 'starting'}"} if ended else {}),
            "epoch": f"{job.epoch} of {job.epochs}" if job.epochs else "–",
            "loss": f"{job.loss:.4f}" if job.loss is not None else "–",
            "eta": duration(job.eta_seconds) + " (this stage)" if job.eta_seconds is not None and not job.is_finished else "–",
            "model_version": {"text": version.name, "href": reverse("admin:opponent_modelversion_change", args=[version.pk])}
            if version
            else "–",
        }

    def bars(self, job: TrainingRun) -> Bars:
        if _ended(job):  # no bar: a full one read as a finished run
            return {}
        return {"stage": {"value": round(job.stage_fraction, 4), "max": 1}}

    # --- starting a run: the add page is the form -----------------------------------------

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = TrainingRunForm(request.POST)
            if form.is_valid():
                try:
                    run = training_run_start(
                        image_sets=form.cleaned_data["image_sets"],
                        arguments=form.arguments(),
                        activate=form.cleaned_data["activate"],
                        name=form.cleaned_data["name"],
                        created_by=cast(User, request.user),  # staff: the admin signed them in
                    )
                except TrainingInputError as error:
                    form.add_error(None, str(error))
                else:
                    if run.stage == UNSENT:
                        self.message_user(
                            request,
                            f"Training run {run.name!r} is kept but not sent yet: the training queue (Redis) could not be reached. "
                            "It is sent when a worker starts, or when the training runs are shown again once Redis is up.",
                            messages.ERROR,
                        )
                    else:
                        self.message_user(
                            request, f"Training run {run.name!r} is queued for a worker on the training queue.", messages.SUCCESS
                        )
                    return HttpResponseRedirect(reverse("admin:opponent_trainingrun_change", args=[run.pk]))
        else:
            form = self._start_form(request)
        context = {
            **self.admin_site.each_context(request),
            "title": "Start a training run",
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
        }
        return render(request, "admin/opponent/trainingrun/start.html", context)

    def _start_form(self, request: HttpRequest) -> TrainingRunForm:
        """Prefilled from the query: ``?image_sets=1,2`` (the image set list's action), ``?like=<version>`` (a version's page)."""
        initial: dict[str, object] = {}
        arguments: dict[str, object] = {}
        ids = [int(part) for part in request.GET.get("image_sets", "").split(",") if ROW_ID.fullmatch(part)]
        if ids:
            initial["image_sets"] = list(ImageSet.objects.filter(pk__in=ids))
        like = request.GET.get("like", "")
        if ROW_ID.fullmatch(like) and (version := ModelVersion.objects.filter(pk=int(like)).first()):
            stored = (version.training or {}).get("args") if isinstance(version.training, dict) else None
            flags = training_flags()
            arguments = {k: v for k, v in (stored or {}).items() if k in flags and not (k == "folds" and not v)}  # a run here cross-fits
            last_run = version.training_runs.order_by("-created_at").first()
            if last_run is not None and "image_sets" not in initial:
                initial["image_sets"] = list(last_run.image_sets.all())
        return TrainingRunForm(initial=initial, initial_arguments=arguments)

    # --- columns and read-only fields -----------------------------------------------------

    @admin.display(description="stage")
    def stage_now(self, obj: TrainingRun) -> str:
        if obj.is_finished:
            return f"{_ended(obj)} during: {obj.stage}" if _ended(obj) else "–"
        stage = stage_shown(obj, queue=TRAINING.queue)
        return f"{stage}, epoch {obj.epoch} of {obj.epochs}" if obj.epochs else stage

    @admin.display(description="loss")
    def loss_now(self, obj: TrainingRun) -> str:
        return f"{obj.loss:.4f}" if obj.loss is not None else "–"

    @admin.display(description="elapsed")
    def elapsed(self, obj: TrainingRun) -> str:
        return duration(((obj.finished_at or timezone.now()) - obj.started_at).total_seconds() if obj.started_at else None)

    @admin.display(description="image sets (trained for)")
    def image_set_names(self, obj: TrainingRun) -> str:
        return ", ".join(obj.image_sets.values_list("name", flat=True)) or "–"

    @admin.display(description="trained on")
    def trained_on(self, obj: TrainingRun) -> str:
        if obj.data_path:
            return f"{obj.data_note or obj.data_path}: none of the site's photos"
        folds = obj.arguments.get("folds") if isinstance(obj.arguments, dict) else None
        return f"the enabled photos of its image sets, cross-fitted in {folds} folds (in play, each guessed by a model that never saw it)"

    @admin.display(description="training arguments")
    def arguments_table(self, obj: TrainingRun) -> str:
        return arguments_table(obj.arguments)


@admin.action(description="Train worldNET on the selected image sets")
def train_on_image_sets(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any) -> HttpResponseRedirect:
    ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
    return HttpResponseRedirect(f"{reverse('admin:opponent_trainingrun_add')}?image_sets={ids}")


def _ended(job: TrainingRun) -> str:
    """ "failed" or "cancelled" for a run that ended so, else ""."""
    return job.status if job.status in (TrainingRun.Status.FAILED, TrainingRun.Status.CANCELLED) else ""
