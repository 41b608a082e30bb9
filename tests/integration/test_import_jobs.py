"""Background imports for real: gunicorn (its default 30 s worker timeout), Redis, a Celery worker
on the ``imports`` queue, each in its own process, on a database file of their own.

The photos are greyscale 4000×3000 JPEGs (``tests/support/photo_zips.py``), and the site serves copies
of at most 800 px: a colour 12 MP photo costs about 8 times more to decode, and a 1600 px copy
twice as much to make, which would take this test past the suite's budget on two cores. Every
photo is still checked (every byte entropy-decoded, at libjpeg's reduced scale: worldnet_core.readers.records)
and stored. ``benchmarks/import_throughput.py`` measures
colour photos at the default settings.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.http_admin import AdminClient
from tests.support.images import small_world
from tests.support.photo_zips import photo_zip
from tests.support.processes import REPO, free_port, redis_server, start_worker, stop

pytestmark = pytest.mark.slow
PHOTOS = 2000
CREATE_ADMIN = (
    "from django.contrib.auth.models import User; User.objects.create_superuser('boss', 'boss@example.org', 'a long test password')"
)


@pytest.fixture(scope="session")
def big_zip(tmp_path_factory) -> Path:
    """2,000 photos of 4000×3000 with a labels CSV, made once per test session."""
    return photo_zip(tmp_path_factory.mktemp("zips") / "big.zip", count=PHOTOS, mode="L")


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def site_env(tmp_path):
    with redis_server(tmp_path) as url:
        env = {
            **os.environ,
            "GEOGUESS_VAR_DIR": str(tmp_path / "var"),
            "CELERY_BROKER_URL": url,
            "DJANGO_SETTINGS_MODULE": "geoguess.settings",
            # A dead worker's job is taken over within seconds, not an hour: short heartbeat and visibility timeout.
            "IMPORT_HEARTBEAT_SECONDS": "1",
            "CELERY_VISIBILITY_TIMEOUT": "6",
            "SERVED_IMAGE_MAX_SIDE": "800",
        }
        manage(env, "migrate", "-v", "0")
        yield env, url


def gunicorn(env: dict) -> tuple[subprocess.Popen, str]:
    """``gunicorn geoguess.wsgi`` with its default worker timeout (30 s), on a free loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "geoguess.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = AdminClient(f"http://127.0.0.1:{port}")
    for _ in range(150):
        try:
            client.get("/admin/login/")
            break
        except OSError:
            time.sleep(0.2)
    return process, f"http://127.0.0.1:{port}"


def job_row(env: dict) -> dict | None:
    with sqlite3.connect(Path(env["GEOGUESS_VAR_DIR"]) / "db.sqlite3", timeout=20) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM imagesets_importjob ORDER BY id DESC LIMIT 1").fetchone()
        return dict(row) if row else None


def photo_rows(env: dict) -> int:
    with sqlite3.connect(Path(env["GEOGUESS_VAR_DIR"]) / "db.sqlite3", timeout=20) as db:
        return db.execute("SELECT COUNT(*) FROM imagesets_photo").fetchone()[0]


def checked(state: dict) -> int:
    """Photos checked, from a job's progress JSON (geoguess/jobs/progress.py)."""
    return state["bars"]["checked"]["value"]


def stored(state: dict) -> int:
    return state["bars"]["stored"]["value"]


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_an_upload_of_2000_camera_photos_returns_at_once_and_a_worker_imports_it_while_the_page_shows_progress(site_env, big_zip, tmp_path):
    env, url = site_env
    manage(env, "shell", "-v", "0", "-c", CREATE_ADMIN)
    server, base = gunicorn(env)
    worker = start_worker(url, queues="imports", env=env, log=tmp_path / "worker.log")
    try:
        admin = AdminClient(base)
        admin.login("boss", "a long test password")
        token = admin.csrf("/admin/imagesets/imageset/add/")
        started = time.monotonic()
        status, headers, body = admin.post_multipart(
            "/admin/imagesets/imageset/add/",
            {"csrfmiddlewaretoken": token, "name": "Camera photos", "description": "", "kind": "auto"},
            "archive",
            big_zip,
        )
        upload_s = time.monotonic() - started
        assert status == 302, body[-2000:]
        print(f"\nupload of {big_zip.stat().st_size / 1e6:.1f} MB ({PHOTOS} photos of 4000x3000) answered in {upload_s:.2f} s")
        assert upload_s < 2.0
        job_page = headers["Location"]
        assert job_page.startswith("/admin/imagesets/importjob/")
        status_url = job_page.replace("/change/", "/progress.json")

        seen_midway: list[dict] = []
        page_midway = b""
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            state = admin.json(status_url)
            if state["finished"]:
                break
            if 0 < checked(state) < PHOTOS or 0 < stored(state) < PHOTOS:
                seen_midway.append(state)
                if not page_midway:
                    page_midway = admin.get(job_page)[2]
            time.sleep(0.5)
        else:
            raise AssertionError(f"the import did not finish within 600 s: {state}\n{(tmp_path / 'worker.log').read_text()[-3000:]}")
    finally:
        stop(worker)
        stop(server)
    assert state["status"] == "succeeded", state
    assert checked(state) == stored(state) == state["bars"]["stored"]["max"] == PHOTOS
    assert seen_midway, "the job page never showed the import part-way"
    stages = {s["stage"] for s in seen_midway}
    assert stages & {"checking the photos", "storing the photos"}, stages  # the page's words for the stages
    assert any(0 < stored(s) < PHOTOS for s in seen_midway) or any(0 < checked(s) < PHOTOS for s in seen_midway)
    # The page itself (not only its JSON) shows the counts and bars while the import runs.
    assert b'id="import-progress"' in page_midway and b"<progress" in page_midway and b"photos stored" in page_midway
    assert photo_rows(env) == PHOTOS
    print(f"imported in {state['elapsed_s']} s ({PHOTOS / state['elapsed_s']:.1f} photos/s, greyscale), {len(seen_midway)} polls part-way")


def test_a_worker_killed_mid_import_leaves_nothing_partial_and_the_job_is_taken_over(site_env, tmp_path, tmp_path_factory):
    env, url = site_env
    archive = photo_zip(tmp_path_factory.mktemp("zips") / "kill.zip", count=300, mode="L")
    manage(env, "import_imageset", str(archive), "--name", "Killed midway", "--background")
    media = Path(env["GEOGUESS_VAR_DIR"]) / "media"
    first_log = tmp_path / "first.log"
    worker = start_worker(url, queues="imports", env=env, log=first_log)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            row = job_row(env)
            if row["stage"] == "storing" and row["stored"] >= 20:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the worker never got to storing: {row}\n{first_log.read_text()[-3000:]}")
        os.kill(worker.pid, signal.SIGKILL)  # no clean-up, no acknowledgement
        worker.wait(timeout=10)
    finally:
        stop(worker)
    killed = job_row(env)
    dead_token = killed["token"]
    assert killed["status"] == "running" and killed["stored"] < 300, "the import finished before the kill; the test proves nothing"
    assert files_under(media / "originals" / dead_token), "the killed attempt should have left files for the next one to remove"
    assert photo_rows(env) == 0  # the set is saved in one transaction, at the end

    time.sleep(7)  # past the visibility timeout (6 s) and four missed heartbeats (4 s)
    second_log = tmp_path / "second.log"
    restarted = start_worker(url, queues="imports", env=env, log=second_log)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            row = job_row(env)
            if row["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"the job was not taken over: {row}\n{second_log.read_text()[-3000:]}")
    finally:
        stop(restarted)
    assert row["status"] == "succeeded", row
    assert row["attempts"] == 2 and row["token"] != dead_token
    assert photo_rows(env) == 300
    # Nothing of the dead attempt is left; the set's own folders hold exactly its photos; the archive is gone.
    assert not (media / "originals" / dead_token).exists() and not (media / "served" / dead_token).exists()
    assert len(files_under(media / "originals" / row["token"])) == 300 and len(files_under(media / "served" / row["token"])) == 300
    assert files_under(media / "imports") == []


def test_an_upload_made_while_redis_is_down_is_kept_and_sent_by_the_next_sweep(site_env, tmp_path):
    env, url = site_env
    archive = tmp_path / "small.zip"
    shutil.make_archive(str(archive.with_suffix("")), "zip", small_world(tmp_path / "world", per_city=2))
    manage(
        {**env, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}, "import_imageset", str(archive), "--name", "Queued later", "--background"
    )  # nothing listens there
    row = job_row(env)
    assert row["status"] == "queued" and "could not be reached" in row["stage"]
    assert (Path(env["GEOGUESS_VAR_DIR"]) / "media" / row["archive"]).is_file()  # the upload is kept
    worker = start_worker(url, queues="imports", env=env, log=tmp_path / "worker.log")  # its start sweeps: the job is sent
    try:
        deadline = time.monotonic() + 120
        while job_row(env)["status"] != "succeeded" and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        stop(worker)
    assert job_row(env)["status"] == "succeeded" and photo_rows(env) == 8
