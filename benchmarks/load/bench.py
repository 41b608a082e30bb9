"""One load test: Locust's players against the running site for a while, and what it measured.

Locust runs headless in a process of its own; its statistics are reset once every player has been
spawned (``--reset-stats``), so the figures are of the full load only. Meanwhile the CPU time of each
part of the site is read from /proc, and Locust's own from its exit, since it shares the machine's
cores with the site: a figure is the site's only while Locust is not what runs out of CPU.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.load import processes
from benchmarks.load.stack import Stack
from tests.support.processes import REPO

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
#: The kinds of request that the issue's target (p95 ≤ 50 ms) is for.
TARGET_KINDS = ("round page", "round image", "guess", "summary")
TARGET_P95_MS = 50.0
#: What a browser fetches once and keeps (WhiteNoise's static files, the map's layers): cheap requests that a
#: crowd of new players adds in bursts, left out of the game's own requests per second.
ASSET_KINDS = ("static file", "map data")


@dataclass(frozen=True)
class Load:
    players: int
    run_time_s: int
    spawn_rate: float
    think_ms: float = 500.0
    locust_processes: int = 1


@dataclass
class Kind:
    """One row of Locust's statistics: a kind of request (or "Aggregated")."""

    name: str
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    per_s: float


@dataclass
class Result:
    load: Load
    kinds: list[Kind]
    total: Kind
    worldnet_at_reveal: dict[str, int]
    failures: list[str]
    #: CPU used over the run, in cores (1.0: one core busy all the time), per part of the site and Locust.
    cores: dict[str, float]
    web_peak_rss_mb: list[float] = field(default_factory=list)
    web: str = ""

    def kind(self, name: str) -> Kind | None:
        return next((kind for kind in self.kinds if kind.name == name), None)

    @property
    def game_per_s(self) -> float:
        """Requests per second of the game itself: pages, images, guesses, reveals (no static files or map data)."""
        return sum(kind.per_s for kind in self.kinds if kind.name not in ASSET_KINDS)

    @property
    def rounds_per_s(self) -> float:
        """Rounds played per second: guesses stored (the work a player's round costs, whatever its requests)."""
        guess = self.kind("guess")
        return guess.per_s if guess else 0.0

    @property
    def worldnet_stored_share(self) -> float | None:
        seen = sum(self.worldnet_at_reveal.values())
        return self.worldnet_at_reveal.get("stored", 0) / seen if seen else None


def run_locust(site: Stack, load: Load, folder: Path) -> Result:
    """Locust's players against ``site.web`` for ``load.run_time_s``; the figures, the CPU each part used, the web's peak memory."""
    assert site.web is not None, "start_web() first"
    folder.mkdir(parents=True, exist_ok=True)
    prefix, report = folder / "locust", folder / "worldnet.json"
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", site.web.url]
    command += ["--users", str(load.players), "--spawn-rate", str(load.spawn_rate), "--run-time", f"{load.run_time_s}s"]
    command += ["--csv", str(prefix), "--reset-stats", "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"]
    command += ["--think-ms", str(load.think_ms), "--worldnet-report", str(report)]
    if load.locust_processes > 1:
        command += ["--processes", str(load.locust_processes)]
    parts = {"web": site.web.process.pid, "PostgreSQL": site.postgres.process.pid, "Redis": site.redis_pid, "worker": site.worker.pid}
    before = {name: processes.cpu_seconds(pid) for name, pid in parts.items()}
    busy_before, ticks_before = processes.machine_busy()
    started = time.monotonic()
    with open(folder / "locust.log", "wb") as log:
        locust = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        try:
            _, status, usage = os.wait4(locust.pid, 0)  # its rusage counts its worker processes too
            locust.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if locust.returncode is None:
                locust.kill()
                locust.wait()
    elapsed = time.monotonic() - started
    cores = {name: (processes.cpu_seconds(pid) - before[name]) / elapsed for name, pid in parts.items()}
    cores["Locust"] = (usage.ru_utime + usage.ru_stime) / elapsed
    busy, ticks = processes.machine_busy()
    cores["machine"] = (busy - busy_before) / (ticks - ticks_before) * (os.cpu_count() or 1)
    # What else ran on the machine meanwhile (a shared machine's other jobs): the figures are the site's
    # on what was left to it.
    cores["others"] = max(0.0, cores["machine"] - sum(cores[name] for name in (*parts, "Locust")))
    rows = _stats(prefix.with_name("locust_stats.csv"))
    if not rows:
        raise RuntimeError(
            f"Locust wrote no statistics; the end of its log:\n{(folder / 'locust.log').read_text(errors='replace')[-3000:]}"
        )
    total = next(row for row in rows if row.name == "Aggregated")
    return Result(
        load=load,
        kinds=[row for row in rows if row.name != "Aggregated"],
        total=total,
        worldnet_at_reveal=json.loads(report.read_text()) if report.exists() else {},
        failures=_failures(prefix.with_name("locust_failures.csv")),
        cores=cores,
        web_peak_rss_mb=[processes.peak_rss_mb(pid) for pid in processes.children(site.web.process.pid)],
        web=f"gunicorn {site.web.workers} {site.web.worker_class} workers"
        + (f" x {site.web.threads} threads" if site.web.threads > 1 else ""),
    )


def _stats(path: Path) -> list[Kind]:
    if not path.exists():
        return []
    with open(path, newline="") as file:
        return [
            Kind(
                name=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                p50_ms=_ms(row["50%"]),
                p95_ms=_ms(row["95%"]),
                p99_ms=_ms(row["99%"]),
                max_ms=_ms(row["Max Response Time"]),
                per_s=float(row["Requests/s"]),
            )
            for row in csv.DictReader(file)
        ]


def _ms(value: str) -> float:
    return float(value) if value not in ("", "N/A") else float("nan")


def _failures(path: Path) -> list[str]:
    if not path.exists():
        return []
    with open(path, newline="") as file:
        return [f"{row['Occurrences']} x {row['Method']} {row['Name']}: {row['Error']}" for row in csv.DictReader(file)]
