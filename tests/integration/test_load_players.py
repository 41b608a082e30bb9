"""The load test's players (benchmarks/load/locustfile.py) play whole games against a live site without a failure.

Locust runs headless for a few seconds with a couple of players and short pauses against the site of
the browser tests (its own process, a small image set, an active worldNET whose guesses are stored).
Every request the players make must get the answer their page expects, and each guess's answer must
say whether worldNET's guess was stored: this is what keeps ``python -m benchmarks.load`` honest as
the game's pages change.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from tests.support.processes import REPO

LOCUSTFILE = REPO / "benchmarks" / "load" / "locustfile.py"


@pytest.mark.slow
def test_it_plays_whole_games_with_no_failed_request(server, tmp_path):
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", server]
    command += ["--users", "3", "--spawn-rate", "3", "--run-time", "8s", "--stop-timeout", "5", "--only-summary"]
    command += ["--csv", str(tmp_path / "locust"), "--think-ms", "20", "--duel-share", "0.5", "--attention-share", "1"]
    command += ["--worldnet-report", str(tmp_path / "worldnet.json")]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)

    with open(tmp_path / "locust_stats.csv", newline="") as file:
        rows = {row["Name"]: row for row in csv.DictReader(file)}
    output = done.stdout[-3000:] + done.stderr[-3000:]
    assert rows["Aggregated"]["Failure Count"] == "0", output
    assert done.returncode == 0, output
    # Whole games: started, rounds played, summaries reached, duels' rounds asked about.
    for kind in ("home", "start (classic)", "round page", "round image", "guess", "next round", "summary", "round state"):
        assert int(rows[kind]["Request Count"]) > 0, f"no {kind!r} request\n{output}"
    counts = json.loads((tmp_path / "worldnet.json").read_text())
    assert counts.get("stored", 0) > 0 and counts.get("thinking", 0) == 0, counts  # all stored before the site started
