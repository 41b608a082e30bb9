"""Real Redis servers and Celery worker processes for tests (no mocks)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def require_binary(name: str) -> str:
    """The path of ``name``; a skip on a developer machine without it, a failure in CI."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path:
        return path
    message = f"{name} is not installed (Debian: apt-get install {name}); .ci/run installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def redis_server(tmp_path: Path) -> Iterator[str]:
    """A throwaway redis-server on a free loopback port; yields its URL."""
    binary = require_binary("redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start within 10 s")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def start_worker(
    broker_url: str,
    *,
    queues: str = "celery",
    env: dict[str, str] | None = None,
    log: Path | None = None,
    pool: str = "solo",
    own_process_group: bool = False,
) -> subprocess.Popen:
    """A real ``celery worker`` process of the project's app, consuming ``queues``, one task at a time.

    ``pool="prefork"`` runs tasks in a child process, as deployed workers do; with the solo pool
    the worker's own loop waits while a task runs, so it acknowledges even an early-acknowledged
    task only when the task ends. ``own_process_group`` lets a test kill the worker with its pool
    children at once (``os.killpg``), as a lost machine would.
    """
    arguments = ["worker", "--pool", pool, "--concurrency", "1", "-Q", queues, "--loglevel", "INFO"]
    arguments += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return _celery(arguments, broker_url, env, log, start_new_session=own_process_group)


def start_beat(broker_url: str, *, env: dict[str, str], log: Path) -> subprocess.Popen:
    """``celery beat`` of the project's app (its ``CELERY_BEAT_SCHEDULE``), a process of its own as ``manage.py play`` runs it."""
    return _celery(["beat", "--loglevel", "INFO"], broker_url, env, log)


def _celery(
    arguments: list[str], broker_url: str, env: dict[str, str] | None, log: Path | None, *, start_new_session: bool = False
) -> subprocess.Popen:
    """``celery -A geoguess <arguments>`` on ``broker_url``, its output to ``log``."""
    environment = {**os.environ, "CELERY_BROKER_URL": broker_url, "DJANGO_SETTINGS_MODULE": "geoguess.settings", **(env or {})}
    # The child keeps its own copy of the log's handle: this one closes once it has started.
    with open(log, "ab") if log else contextlib.nullcontext(subprocess.DEVNULL) as output:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "geoguess", *arguments],
            cwd=REPO,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=start_new_session,
        )


#: Debian's chromium, headless, reaching nothing but the site under test (DEVELOPERS.md's flags).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[object]:
    """Playwright driving /usr/bin/chromium (never a downloaded browser)."""
    executable = require_binary("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def start_site(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """``manage.py runserver`` on a free loopback port with ``env``; returns once it answers."""
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    return process, url


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


REGISTER = """
import numpy as np
from geoguess.imagesets.models import Photo
from geoguess.opponent.registration import model_version_register
from geoguess.opponent.services import model_version_activate
from worldnet_core.checkpoint import save_checkpoint
from worldnet_core.models import create_model
from worldnet_core.models.clustering import make_centroids
photos = list(Photo.objects.all())
c = make_centroids(np.array([p.lat for p in photos]), np.array([p.lon for p in photos]), np.array([p.place for p in photos]))
model = create_model("worldnet", centroids=c.latlon.tolist(), centroid_names=c.names, image_size=(64, 96))
version = model_version_register(name="tiny", checkpoint=save_checkpoint(model, __import__("pathlib").Path("{tmp}/tiny.pt")))
model_version_activate(version=version)
print("activated", version.pk)
"""


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def wait_for(condition, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(
        f"timed out waiting for {what}" + (f"\n--- worker log ---\n{log.read_text()[-3000:]}" if log and log.exists() else "")
    )
