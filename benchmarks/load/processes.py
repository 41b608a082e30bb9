"""What the processes of a run cost: CPU seconds per process tree, peak memory, the machine's busy share (from /proc)."""

from __future__ import annotations

import os
import time
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it (gunicorn's workers, PostgreSQL's backends)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in children.read_text().split()]
            except OSError:  # gone meanwhile
                continue
    return found


def children(pid: int) -> list[int]:
    return [child for child in tree(pid) if child != pid]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of ``pid`` and of every process below it, ended ones included once their parent has
    waited for them (PostgreSQL's backends come and go with connections); ended and not yet waited for: not counted."""
    total = 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime: fields 14 to 17 of proc(5)
    return total / TICKS_PER_S


def peak_rss_mb(pid: int) -> float:
    """The most resident memory ``pid`` has held (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine_busy() -> tuple[float, float]:
    """All cores' busy and total time so far, in ticks (/proc/stat's first line): the busy share between two reads."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return float(sum(values) - idle), float(sum(values))


def wait_idle(*, longest_s: float, below_cores: float = 0.25, window_s: float = 5.0) -> float:
    """Waits (at most ``longest_s``) for a window in which the whole machine used under ``below_cores``: on a
    machine shared with other jobs, a point of the curve then starts on quiet cores. Returns the cores last seen busy."""
    cores = os.cpu_count() or 1
    deadline = time.monotonic() + longest_s
    while True:
        busy_before, ticks_before = machine_busy()
        time.sleep(window_s)
        busy, ticks = machine_busy()
        seen = (busy - busy_before) / max(1.0, ticks - ticks_before) * cores
        if seen < below_cores or time.monotonic() > deadline:
            return seen
