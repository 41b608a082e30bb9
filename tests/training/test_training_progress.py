"""Training output: bars on a terminal, plain periodic lines in a log (a pipe, a file)."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from tests.support.processes import REPO
from training.engine import Progress

FAST = ["--epochs", "3", "--head-epochs", "4", "--batch-size", "8", "--image-size", "48", "64", "--device", "cpu"]


def test_it_writes_a_line_every_tenth_and_at_the_end_when_there_is_no_terminal():
    lines: list[str] = []
    progress = Progress(total=20, desc="classifier", unit="epochs", bars=False, log=lines.append)
    progress.last_line -= 5  # as if the run had been going a while: lines are at most one a second
    for step in range(20):
        progress.update(loss=1.0 / (step + 1))
        progress.last_line -= 5
    progress.close()
    assert len(lines) == 10  # every second epoch of 20, the last included
    assert lines[-1].startswith("classifier: 20/20 epochs, loss 0.0500 (")
    assert lines[0].startswith("classifier: 2/20 epochs, loss 0.5000 (")


def test_it_draws_a_bar_only_when_asked_and_never_logs_beside_it():
    lines: list[str] = []
    stream = io.StringIO()
    progress = Progress(total=3, desc="loading", unit="images", bars=True, log=lines.append, file=stream)
    for _ in range(3):
        progress.update()
    progress.close()
    assert lines == [] and "3/3" in stream.getvalue()


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory):
    from worldnet_core.demo_world import PAPER_CITIES, generate_world

    out = tmp_path_factory.mktemp("world")
    generate_world(out, places=[PAPER_CITIES[i] for i in (7, 17, 15)], per_city=6, seed=0)
    return out


def test_it_prints_plain_lines_without_carriage_returns_into_a_pipe(tiny_world, tmp_path):
    # Progress on (no --no-progress), but stdout and stderr are pipes: no bars.
    result = subprocess.run(
        [sys.executable, "-m", "training", "train", "--data", str(tiny_world / "manifest.csv"), "--output", str(tmp_path / "w.pt"), *FAST],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stdout and "\r" not in result.stderr
    assert "it/s" not in result.stderr and "batches/s" not in result.stderr  # no tqdm bar, even a finished one
    lines = result.stdout.splitlines()
    assert any(re.fullmatch(r"loading training images: \d+/\d+ images \(\d+\.\d s\)", line) for line in lines), result.stdout
    epoch_lines = [line for line in lines if line.startswith("classifier: ")]
    assert epoch_lines and re.fullmatch(r"classifier: 3/3 epochs, loss \d+\.\d{4} \(\d+\.\d s\)", epoch_lines[-1]), result.stdout
    assert any(re.match(r"interpolation \(\w+\): 4/4 epochs, loss ", line) for line in lines), result.stdout


def test_it_draws_an_epoch_bar_with_the_loss_on_a_terminal(tiny_world, tmp_path):
    import os
    import pty
    import threading

    controller, terminal = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a new pty is 0 columns wide
    process = subprocess.Popen(
        [sys.executable, "-m", "training", "train", "--data", str(tiny_world / "manifest.csv"), "--output", str(tmp_path / "w.pt"), *FAST],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
    )
    os.close(terminal)
    screen = bytearray()

    def read() -> None:  # keep the terminal drained, or the child blocks on a full buffer
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the child closed its end
                return
            if not chunk:
                return
            screen.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    stdout, _ = process.communicate(timeout=300)
    reader.join(timeout=10)
    os.close(controller)
    assert process.returncode == 0, stdout
    drawn = screen.decode(errors="replace")
    assert "\r" in drawn and re.search(r"classifier: 100%\|[^\n]*\| 3/3 \[[^\n]*loss=\d+\.\d{4}", drawn), drawn[-2000:]
    # Beside the bar, one line per stage says where it ended; no line per epoch.
    assert re.search(r"^classifier: 3 epochs, loss \d+\.\d{4} \(", stdout, re.M) and "classifier: 1/3 epochs" not in stdout, stdout
