"""``manage.py play`` from nothing: the game answers while the demo worldNET trains, then worldNET joins.

A real run in a subprocess (its own var/ folder, its own Redis when redis-server is
installed, else worldNET's tasks in-process), with a tiny demo world and tiny epochs.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.processes import REPO, free_port


def _count(database: Path, sql: str) -> int:
    with sqlite3.connect(database, timeout=10) as connection:
        return connection.execute(sql).fetchone()[0]


@pytest.mark.slow
def test_it_serves_the_game_while_worldnet_trains_then_worldnet_joins(tmp_path):
    var = tmp_path / "var"
    port = free_port()
    environment = {
        **os.environ,
        "GEOGUESS_VAR_DIR": str(var),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",
        "PYTHONUNBUFFERED": "1",
    }
    environment.pop("DATABASE_URL", None)  # the embedded default: SQLite under var/
    started = time.monotonic()
    play = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "play",
            "--addr",
            f"127.0.0.1:{port}",
            "--demo-per-city",
            "4",
            "--demo-training-per-city",
            "6",
            "--demo-epochs",
            "2",
            "--demo-head-epochs",
            "3",
        ],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    console: list[str] = []
    joined = threading.Event()

    def read() -> None:
        assert play.stdout is not None
        for line in play.stdout:
            console.append(line.rstrip())
            if "joins the game" in line:
                joined.set()

    threading.Thread(target=read, daemon=True).start()
    database = var / "db.sqlite3"
    try:
        while True:
            assert play.poll() is None, "\n".join(console)
            assert time.monotonic() - started < 120, "the site did not answer within 2 minutes:\n" + "\n".join(console)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                    home = response.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        # The site answers with the demo world before any worldNET exists: it is still training.
        assert 'name="image_set"' in home
        assert _count(database, "SELECT COUNT(*) FROM opponent_modelversion") == 0, "\n".join(console)
        assert any("worldNET is training in the background" in line for line in console), "\n".join(console)
        assert not joined.is_set()
        assert (var / "demo-worldnet.log").is_file()

        assert joined.wait(150), "worldNET did not join:\n" + "\n".join(console) + "\n" + (var / "demo-worldnet.log").read_text()
        assert _count(database, "SELECT COUNT(*) FROM opponent_modelversion WHERE is_active AND name = 'demo worldnet'") == 1
        # It plays only the cities it trained on, so it learned the paper's one-hot labels.
        assert (
            _count(
                database,
                "SELECT json_extract(training, '$.args.label_smoothing_km') FROM opponent_modelversion WHERE name = 'demo worldnet'",
            )
            == 0
        )
        # Its predictions land (by the worker, or in the trainer when there is no Redis).
        deadline = time.monotonic() + 60
        while _count(database, "SELECT COUNT(*) FROM opponent_prediction") == 0:
            assert time.monotonic() < deadline, "no prediction stored within a minute of activation"
            time.sleep(0.5)
    finally:
        if play.poll() is None:
            os.killpg(play.pid, signal.SIGTERM)  # play stops its Redis, worker and trainer
            try:
                play.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(play.pid, signal.SIGKILL)
                play.wait()
