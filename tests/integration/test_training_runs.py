"""Training runs on a real Celery worker (a real Redis between it and a real site), driven from the
admin in a real browser: train, watch, activate, play; cancel; a run that outlives the broker's
visibility timeout is delivered once; a run whose worker dies ends failed; and an admin's whole
path from an upload to a game.

Every worker here has a 2 s visibility timeout (``CELERY_VISIBILITY_TIMEOUT``): far shorter
than any run, as an hour is shorter than a real GPU run.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.support.browser import basemap_drawn
from tests.support.images import small_world
from tests.support.processes import manage, redis_server, start_site, start_worker, stop, wait_for

pytestmark = pytest.mark.slow

PASSWORD = "a-password-for-tests-only"
VISIBILITY_TIMEOUT_S = 2
#: A running run without a heartbeat (every 2 s) for this long is failed (300 s by default).
STALE_AFTER_S = 15
#: A run that trains until it is cancelled (tens of minutes), for the tests that stop it.
ENDLESS = {"epochs": 5000, "head_epochs": 2, "batch_size": 4, "image_size": [48, 64], "device": "cpu", "test_fraction": 0.25}
START = """
from geoguess.imagesets.models import ImageSet
from geoguess.opponent.training_runs import training_run_start
run = training_run_start(image_sets=ImageSet.objects.all(), arguments={arguments}, activate=False, name={name!r})
print(run.pk)
"""
CANCEL = (
    "from geoguess.jobs.services import job_cancel; from geoguess.opponent.models import TrainingRun as R; "
    "from geoguess.opponent.training_runs import TRAINING; job_cancel(TRAINING, job=R.objects.get(pk={pk}))"
)
SWEEP = "from geoguess.jobs.services import jobs_sweep; from geoguess.opponent.training_runs import TRAINING; jobs_sweep(TRAINING)"


class Site:
    def __init__(self, env: dict[str, str], url: str, var: Path, logs: Path) -> None:
        self.env, self.url, self.var, self.logs = env, url, var, logs

    def query(self, sql: str, *params: object) -> list[tuple]:
        """Reads the site's database directly (WAL mode: beside the site and worker, never blocking them)."""
        with sqlite3.connect(self.var / "db.sqlite3", timeout=20) as db:
            return db.execute(sql, params).fetchall()

    def run(self, pk: int) -> dict:
        columns = [
            "status",
            "stage",
            "epoch",
            "epochs",
            "loss",
            "deliveries",
            "worker",
            "log",
            "problems",
            "model_version_id",
            "heartbeat_at",
        ]
        row = self.query(f"SELECT {', '.join(columns)} FROM opponent_trainingrun WHERE id = ?", pk)[0]
        return dict(zip(columns, row))

    def start_endless_run(self, name: str) -> int:
        return int(manage(self.env, "shell", "-v", "0", "-c", START.format(arguments=repr(ENDLESS), name=name)).strip())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A site (runserver), a worker for every queue, a Redis; a small image set and an admin.

    The worker runs tasks in a child process (prefork), as a deployed GPU worker does: its own loop
    stays free to acknowledge a training run's message as the run starts.
    """
    tmp = tmp_path_factory.mktemp("training-site")
    with redis_server(tmp) as broker:
        env = {
            **os.environ,
            "GEOGUESS_VAR_DIR": str(tmp / "var"),
            "CELERY_BROKER_URL": broker,
            "DJANGO_SETTINGS_MODULE": "geoguess.settings",
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_S),
            "PREDICTION_BATCH_SIZE": "16",
            "TRAINING_STALE_AFTER_S": str(STALE_AFTER_S),
        }
        manage(env, "migrate", "-v", "0")
        manage(env, "import_imageset", str(small_world(tmp / "world", per_city=4)), "--name", "Small world")
        manage(
            env,
            "shell",
            "-v",
            "0",
            "-c",
            f"from django.contrib.auth.models import User; User.objects.create_superuser('admin', 'admin@example.org', {PASSWORD!r})",
        )
        worker = start_worker(broker, queues="training,inference,imports", env=env, log=tmp / "worker.log", pool="prefork")
        process, url = start_site(env)
        try:
            yield Site(env, url, tmp / "var", tmp)
        finally:
            stop(process)
            stop(worker)


def test_an_admin_trains_watches_and_activates_a_version_that_the_game_then_uses(site, browser):
    page = browser.new_page()
    page.goto(site.url + "/admin/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.goto(site.url + "/admin/imagesets/imageset/")
    page.check("input[name=_selected_action]")
    page.select_option("select[name=action]", "train_on_image_sets")
    page.click("button[name=index]")
    page.wait_for_selector("#training-run-form")
    assert page.is_checked("input[name=image_sets]")
    # The compact backbone trained in full, not the site's default (a frozen backbone's 40 epochs on cached
    # features end within a poll): this watches a classifier's epochs go by on the progress page.
    page.select_option("select[name=backbone]", "compact")
    page.select_option("select[name=backbone_training]", "full")
    for field, value in {
        "name": "from-the-admin",
        "epochs": "40",
        "head_epochs": "3",
        "batch_size": "4",
        "image_size": "48 64",
        "test_fraction": "0.25",
        "device": "cpu",
    }.items():
        page.fill(f"[name={field}]", value)
    page.check("input[name=activate]")
    page.click("#training-run-form input[type=submit]")
    page.wait_for_selector("#training-run")

    seen: list[dict] = []  # what the page showed, polled as an admin would watch it
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            facts = page.evaluate(
                "() => Object.fromEntries([...document.querySelectorAll('[data-fact]')].map(e => [e.dataset.fact, e.textContent]))"
            )
            if facts and (not seen or facts != seen[-1]):  # empty while the page reloads
                seen.append(facts)
            if (
                facts.get("status") in ("succeeded", "failed", "cancelled")
                and page.get_attribute("#training-run", "data-finished") == "true"
            ):
                break
        except Exception:  # the page reloading itself as the run ends
            pass
        time.sleep(0.25)
    assert seen[-1]["status"] == "succeeded", seen[-1]
    assert seen[-1]["model_version"] == "from-the-admin" and "classifier: 40/40 epochs" in page.inner_text("#training-run-log")
    # Progress while it ran: a classifier epoch between the first and the last, with a loss and an ETA.
    running = [f for f in seen if f["status"] == "running" and (m := re.fullmatch(r"(\d+) of 40", f["epoch"])) and 0 < int(m.group(1)) < 40]
    assert running, seen
    assert (
        running[0]["stage"].endswith("classifier")  # the full model's, or a fold model's ("fold 1 of 2: classifier")
        and re.fullmatch(r"\d+\.\d{4}", running[0]["loss"])
        and running[0]["eta"].endswith("(this stage)")
    )

    ((version_id, default),) = site.query("SELECT id, is_active FROM opponent_modelversion WHERE name = 'from-the-admin'")
    # Activated for the set it trained on, and for no other: it is that set's worldNET, not the site-wide default.
    assert default == 0 and site.query("SELECT model_version_id FROM opponent_setversion") == [(version_id,)]
    # Cross-fitted: two fold models, and the fold of each of its 16 photos (12 in the folds, 4 held out for testing).
    folds = site.query(
        "SELECT fold, COUNT(*) FROM opponent_trainingphoto WHERE model_version_id = ? GROUP BY fold ORDER BY fold", version_id
    )
    assert folds == [(None, 4), (0, 6), (1, 6)], folds
    wait_for(
        lambda: site.query("SELECT COUNT(*) FROM opponent_prediction WHERE model_version_id = ?", version_id)[0][0] == 16,
        180,
        "its 16 predictions",
        site.logs / "worker.log",
    )
    # The worker guessed each photo with the model that never trained on it.
    mismatched = site.query(
        "SELECT COUNT(*) FROM opponent_prediction p LEFT JOIN opponent_trainingphoto t "
        "ON t.photo_id = p.photo_id AND t.model_version_id = p.model_version_id "
        "WHERE p.model_version_id = ? AND p.fold IS NOT t.fold",
        version_id,
    )
    assert mismatched == [(0,)]

    page.goto(site.url + "/")
    page.fill("input[name=player_name]", "Ada")
    page.click("form.start button[type=submit]")
    basemap_drawn(page)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4)
    page.click("#guess")
    page.wait_for_selector("path.pin-worldnet")
    reveal = page.evaluate("() => fetch(location.pathname + 'round/0').then(r => r.json())")
    predictions = site.query("SELECT lat, lon FROM opponent_prediction WHERE model_version_id = ?", version_id)
    assert (reveal["worldnet"]["lat"], reveal["worldnet"]["lon"]) in predictions
    page.close()


def test_a_cancelled_run_stops_between_batches_and_ends_cancelled(site):
    pk = site.start_endless_run("to-cancel")
    wait_for(lambda: (site.run(pk)["epoch"] or 0) >= 1, 120, "the run's first epoch", site.logs / "worker.log")
    manage(site.env, "shell", "-v", "0", "-c", CANCEL.format(pk=pk))
    asked = time.monotonic()
    wait_for(lambda: site.run(pk)["status"] != "running", 30, "the run to stop", site.logs / "worker.log")
    run = site.run(pk)
    assert run["status"] == "cancelled" and run["log"].endswith("cancelled\n") and run["model_version_id"] is None, run
    assert run["epoch"] < run["epochs"] == 5000 and time.monotonic() - asked < 30


def test_a_run_longer_than_the_visibility_timeout_is_delivered_once(site):
    pk = site.start_endless_run("outlives-the-timeout")
    wait_for(lambda: site.run(pk)["status"] == "running", 120, "the worker to take the run", site.logs / "worker.log")
    time.sleep(VISIBILITY_TIMEOUT_S + 1)  # the message is older than the visibility timeout
    # A second worker on the queue: on start-up it hands out again every unacknowledged message
    # older than the visibility timeout (kombu's restore_visible). A run still unacknowledged
    # (late acknowledgement) would reach it now.
    second_log = site.logs / "second-worker.log"
    second = start_worker(site.env["CELERY_BROKER_URL"], queues="training", env=site.env, log=second_log)
    try:
        wait_for(lambda: second_log.exists() and "ready" in second_log.read_text(), 120, "the second worker to start", second_log)
        time.sleep(VISIBILITY_TIMEOUT_S + 3)
        run = site.run(pk)
        assert run["status"] == "running" and run["deliveries"] == 1, (run, second_log.read_text()[-2000:])
        assert "Task geoguess.opponent.tasks.train_run" not in second_log.read_text()  # received nothing
        assert run["log"].count("images; training on") == 1
    finally:
        manage(site.env, "shell", "-v", "0", "-c", CANCEL.format(pk=pk))
        wait_for(lambda: site.run(pk)["status"] == "cancelled", 60, "the run to stop", site.logs / "worker.log")
        stop(second)


def test_an_admin_uploads_a_set_watches_it_import_trains_on_it_activates_and_plays_it(site, browser, tmp_path):
    """The whole admin's path in one browser: upload → import progress → train → activate → play."""
    import shutil

    from playwright.sync_api import expect

    archive = Path(shutil.make_archive(str(tmp_path / "uploaded"), "zip", small_world(tmp_path / "world", per_city=4)))
    page = browser.new_page()
    page.goto(site.url + "/admin/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")

    # Upload: the page answers with the import job, which follows the worker's import live.
    page.goto(site.url + "/admin/imagesets/imageset/add/")
    page.fill("input[name=name]", "Uploaded world")
    page.set_input_files("input[name=archive]", str(archive))
    page.click("input[type=submit]")
    page.wait_for_selector("#import-progress")
    first_status = page.inner_text("[data-fact=status]")
    expect(page.locator("#import-progress [data-fact=status]")).to_have_text("succeeded", timeout=120_000)  # filled in by the page's script
    assert first_status in ("queued", "running", "succeeded") and page.inner_text("#import-progress [data-fact=stored]") == "16 of 16"
    page.click("#import-progress [data-fact=image_set] a")
    ((set_id,),) = site.query("SELECT id FROM imagesets_imageset WHERE name = 'Uploaded world'")

    # Train on it from the image set list, without activating.
    page.goto(site.url + "/admin/imagesets/imageset/")
    page.check(f"input[name=_selected_action][value='{set_id}']")
    page.select_option("select[name=action]", "train_on_image_sets")
    page.click("button[name=index]")
    assert page.is_checked(f"input[name=image_sets][value='{set_id}']") and page.locator("input[name=image_sets]:checked").count() == 1
    # Compact in full, not the site's frozen default, whose run can end before the page ever shows it running.
    page.select_option("select[name=backbone]", "compact")
    page.select_option("select[name=backbone_training]", "full")
    for field, value in {
        "name": "uploaded-worldnet",
        "epochs": "30",
        "head_epochs": "3",
        "batch_size": "4",
        "image_size": "48 64",
        "test_fraction": "0.25",
        "device": "cpu",
    }.items():
        page.fill(f"[name={field}]", value)
    page.click("#training-run-form input[type=submit]")
    page.wait_for_selector("#training-run")
    expect(page.locator("[data-fact=status]")).to_have_text("running", timeout=120_000)
    page.wait_for_selector("#training-run[data-finished=true]", timeout=240_000)  # the page reloads itself when the run ends
    assert page.inner_text("[data-fact=status]") == "succeeded" and page.inner_text("[data-fact=model_version]") == "uploaded-worldnet"

    # Activate it from the model versions list: its page offers the set it was trained for, and says what changes.
    ((version_id,),) = site.query("SELECT id FROM opponent_modelversion WHERE name = 'uploaded-worldnet'")
    page.goto(site.url + "/admin/opponent/modelversion/")
    page.check(f"input[name=_selected_action][value='{version_id}']")
    page.select_option("select[name=action]", "activate")
    page.click("button[name=index]")
    page.wait_for_selector("#activation-form")
    assert page.is_checked(f"input[name=image_sets][value='{set_id}']") and page.locator("input[name=image_sets]:checked").count() == 1
    page.click("#activation-form input[type=submit]")
    said = page.inner_text(".messagelist").lower()  # as shown: the admin's style capitalises a message
    assert "uploaded-worldnet now plays uploaded world (was none)" in said and "every other image set keeps its worldnet." in said
    assert site.query("SELECT model_version_id FROM opponent_setversion WHERE image_set_id = ?", set_id) == [(version_id,)]
    wait_for(
        lambda: site.query("SELECT COUNT(*) FROM opponent_prediction WHERE model_version_id = ?", version_id)[0][0] >= 16,
        180,
        "its predictions",
        site.logs / "worker.log",
    )

    # Play a round on the uploaded set: the reveal shows the new version's guess.
    page.goto(site.url + "/")
    page.check(f"input[name=image_set][value='{set_id}']")
    page.fill("input[name=player_name]", "Admin")
    page.click("form.start button[type=submit]")
    basemap_drawn(page)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
    page.click("#guess")
    page.wait_for_selector("path.pin-worldnet")
    reveal = page.evaluate("() => fetch(location.pathname + 'round/0').then(r => r.json())")
    predictions = site.query(
        "SELECT p.lat, p.lon FROM opponent_prediction p JOIN imagesets_photo f ON f.id = p.photo_id "
        "WHERE p.model_version_id = ? AND f.image_set_id = ?",
        version_id,
        set_id,
    )
    assert (reveal["worldnet"]["lat"], reveal["worldnet"]["lon"]) in predictions
    page.close()


def test_a_run_whose_worker_dies_is_marked_failed_once_its_heartbeat_stops(site):
    pk = site.start_endless_run("worker-dies")
    wait_for(lambda: (site.run(pk)["epoch"] or 0) >= 1, 120, "the run's first epoch", site.logs / "worker.log")
    training_pid = int(site.run(pk)["worker"].rsplit(":", 1)[1])  # the pool's child that trains
    os.kill(training_pid, signal.SIGKILL)  # out of memory, a lost machine: no clean-up at all
    time.sleep(2)
    assert site.run(pk)["status"] == "running"  # nothing can say otherwise yet
    time.sleep(STALE_AFTER_S)
    manage(site.env, "shell", "-v", "0", "-c", SWEEP)  # as any admin page does
    run = site.run(pk)
    assert run["status"] == "failed" and "its worker stopped" in run["problems"] and run["model_version_id"] is None, run
