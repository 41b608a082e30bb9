"""Admin: training runs. Start one (a form of ``python -m training train``'s common flags), watch it
live (a JSON view the page polls), read its log, cancel it; the image set list starts one too."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.functions import Length, Substr
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from geoguess.imagesets.models import ImageSet
from geoguess.opponent.forms import ROW_ID, TrainingRunForm
from geoguess.opponent.models import ModelVersion, TrainingRun
from geoguess.opponent.training_runs import (
    TrainingInputError,
    training_flags,
    training_run_cancel,
    training_run_start,
    training_runs_fail_stale,
)


def duration(seconds: float | None) -> str:
    """``"42 s"``, ``"3 min 5 s"``, ``"2 h 4 min"``; ``"–"`` when unknown.

    >>> duration(42.4), duration(185), duration(7440), duration(None)
    ('42 s', '3 min 5 s', '2 h 4 min', '–')
    """
    if seconds is None:
        return "–"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def run_facts(run: TrainingRun) -> dict[str, object]:
    """What a run's page shows, as text (the page's first render and its polling both use it)."""
    end = run.finished_at or timezone.now()
    elapsed = (end - run.started_at).total_seconds() if run.started_at else None
    if run.status == TrainingRun.Status.QUEUED:
        stage = "queued: waiting for a worker on the training queue"
    else:
        stage = run.stage or "starting"
    return {
        "status": run.status,
        "finished": run.is_finished,
        "stage": stage,
        "epoch": f"{run.epoch} of {run.epochs}" if run.epochs else "–",
        "loss": f"{run.loss:.4f}" if run.loss is not None else "–",
        "elapsed": duration(elapsed),
        "eta": duration(run.eta_seconds) + " (this stage)" if run.eta_seconds is not None and not run.is_finished else "–",
        "fraction": round(run.stage_fraction, 4),
        "model_version": run.model_version.name if run.model_version else "–",
        "error": run.error or "–",
    }


def log_offset(value: str | None) -> int:
    """``?log_from=``: the characters of the log the page holds already (anything else: none).
    At most 9 digits: PostgreSQL's substring() takes a 32-bit position."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 9 else 0


def with_log_since(offset: int) -> QuerySet[TrainingRun]:
    """Runs with their log from character ``offset`` on (``log_new``) and its length, cut in the
    database, the whole log left unread: a long run's page polls every second, and sent its
    whole log each time."""
    return TrainingRun.objects.defer("log").annotate(log_length=Length("log"), log_new=Substr("log", offset + 1))


def log_since(run: TrainingRun, offset: int) -> dict[str, object]:
    """``run`` from ``with_log_since(offset)``: the new text. ``log_from`` says where it starts (0
    where the page's offset no longer fits the log), ``log_length`` where the page is after it."""
    if offset > run.log_length:
        return {"log_from": 0, "log": run.log, "log_length": run.log_length}
    return {"log_from": offset, "log": run.log_new or "", "log_length": run.log_length}


#: The facts of the live panel, in order, with their labels.
LIVE_FACTS = [
    ("status", "status"),
    ("stage", "stage"),
    ("epoch", "epoch"),
    ("loss", "loss"),
    ("elapsed", "elapsed"),
    ("eta", "ETA"),
    ("model_version", "model version"),
    ("error", "error"),
]


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "source", "stage_now", "loss_now", "elapsed", "model_version", "created_at"]
    list_filter = ["status", "source"]
    fields = [
        "live",
        "name",
        "image_set_names",
        "activate",
        "arguments_table",
        "source",
        "created_by",
        "worker",
        "deliveries",
        "created_at",
        "started_at",
        "finished_at",
        "log_text",
    ]
    readonly_fields = fields
    actions = ["cancel_runs"]

    class Media:
        js = ["opponent/training_run.js"]

    def get_urls(self):
        own = [
            path("<int:run_id>/progress.json", self.admin_site.admin_view(self.progress_view), name="opponent_trainingrun_progress"),
            path("<int:run_id>/cancel/", self.admin_site.admin_view(self.cancel_view), name="opponent_trainingrun_cancel"),
        ]
        return own + super().get_urls()

    # --- starting a run: the add page is the form -----------------------------------------

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
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
                        created_by=request.user,
                    )
                except TrainingInputError as error:
                    form.add_error(None, str(error))
                else:
                    if run.status == TrainingRun.Status.FAILED:  # its message could not be sent
                        self.message_user(request, f"Training run {run.name!r} was not started: {run.error}.", messages.ERROR)
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
            arguments = {k: v for k, v in (stored or {}).items() if k in flags}
            last_run = version.training_runs.order_by("-created_at").first()
            if last_run is not None and "image_sets" not in initial:
                initial["image_sets"] = list(last_run.image_sets.all())
        return TrainingRunForm(initial=initial, initial_arguments=arguments)

    # --- watching and cancelling ----------------------------------------------------------

    def changelist_view(self, request: HttpRequest, extra_context=None):
        training_runs_fail_stale()  # a run whose worker died shows as failed, not as running forever
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        if request.method == "POST":
            # Runs change only through their worker and the cancel button: a form save would write
            # the page's stale copy of the run over the progress its worker wrote since.
            raise PermissionDenied
        training_runs_fail_stale()
        extra = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def progress_view(self, request: HttpRequest, run_id: int) -> JsonResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        training_runs_fail_stale()
        offset = log_offset(request.GET.get("log_from"))
        run = get_object_or_404(with_log_since(offset), pk=run_id)
        response = JsonResponse({**run_facts(run), **log_since(run, offset)})
        response["Cache-Control"] = "private, no-store"  # always the run's state now
        return response

    def cancel_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        return require_POST(self._cancel)(request, run_id)

    def _cancel(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = get_object_or_404(TrainingRun, pk=run_id)
        if not self.has_change_permission(request, run):
            raise PermissionDenied
        self._cancel_one(request, run)
        return HttpResponseRedirect(reverse("admin:opponent_trainingrun_change", args=[run.pk]))

    def _cancel_one(self, request: HttpRequest, run: TrainingRun) -> None:
        if run.is_finished:
            self.message_user(request, f"{run.name!r} has ended already ({run.status}).", messages.WARNING)
            return
        run = training_run_cancel(run=run)
        if run.status == TrainingRun.Status.CANCELLED:
            self.message_user(request, f"{run.name!r} is cancelled; it had not started.", messages.SUCCESS)
        else:
            self.message_user(request, f"{run.name!r} stops after its current batch.", messages.SUCCESS)

    @admin.action(description="Cancel the selected runs")
    def cancel_runs(self, request: HttpRequest, queryset):
        for run in queryset:
            self._cancel_one(request, run)

    def has_delete_permission(self, request: HttpRequest, obj: TrainingRun | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_finished)

    # --- columns and read-only fields -----------------------------------------------------

    @admin.display(description="stage")
    def stage_now(self, obj: TrainingRun) -> str:
        if obj.is_finished:
            return "–"
        facts = run_facts(obj)
        return f"{facts['stage']}, epoch {facts['epoch']}" if obj.epochs else str(facts["stage"])

    @admin.display(description="loss")
    def loss_now(self, obj: TrainingRun) -> str:
        return str(run_facts(obj)["loss"])

    @admin.display(description="elapsed")
    def elapsed(self, obj: TrainingRun) -> str:
        return str(run_facts(obj)["elapsed"])

    @admin.display(description="progress")
    def live(self, obj: TrainingRun) -> str:
        facts = run_facts(obj)
        rows = format_html_join(
            "", '<tr><th>{}</th><td data-fact="{}">{}</td></tr>', ((label, key, facts[key]) for key, label in LIVE_FACTS)
        )
        # opponent/training_run.js polls the progress URL while the run is not finished (the Cancel
        # button is in the page's object tools: templates/admin/opponent/trainingrun/change_form.html).
        return format_html(
            '<div id="training-run" data-progress-url="{}" data-finished="{}"><progress max="1" value="{}"></progress><table><tbody>{}</tbody></table></div>',
            reverse("admin:opponent_trainingrun_progress", args=[obj.pk]),
            "true" if obj.is_finished else "false",
            facts["fraction"],
            rows,
        )

    @admin.display(description="image sets")
    def image_set_names(self, obj: TrainingRun) -> str:
        return ", ".join(obj.image_sets.values_list("name", flat=True)) or "–"

    @admin.display(description="training arguments")
    def arguments_table(self, obj: TrainingRun) -> str:
        from geoguess.opponent.admin import _argument, _table

        return _table([(f"--{key.replace('_', '-')}", _argument(value)) for key, value in sorted(obj.arguments.items())])

    @admin.display(description="log")
    def log_text(self, obj: TrainingRun) -> str:
        # Its length in characters, as the database counts them (JavaScript counts UTF-16 units).
        return format_html('<pre id="training-run-log" data-length="{}">{}</pre>', len(obj.log), obj.log)


@admin.action(description="Train worldNET on the selected image sets")
def train_on_image_sets(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset) -> HttpResponseRedirect:
    ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
    return HttpResponseRedirect(f"{reverse('admin:opponent_trainingrun_add')}?image_sets={ids}")


def _offer_training_on_the_image_set_list() -> None:
    """Adds the action above to the image set list. The image set admin is the imagesets app's; the
    action belongs with training, so it is contributed from here rather than written into that file."""
    import geoguess.imagesets.admin  # noqa: F401  (registers the image set admin first)

    image_set_admin = admin.site.get_model_admin(ImageSet)
    if train_on_image_sets not in (image_set_admin.actions or []):
        image_set_admin.actions = [*(image_set_admin.actions or []), train_on_image_sets]


_offer_training_on_the_image_set_list()
