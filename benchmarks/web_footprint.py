"""The web tier's footprint: the start-up of its commands and a gunicorn worker's memory (issue 21).

    .venv/bin/python benchmarks/web_footprint.py [--repeat 5] [--workers 1] [--site-repo PATH]

In a temporary folder, a site seeded with one of everything its pages show (``tests/support/seeded_site.py``,
SQLite, messages kept in memory: no Redis or worker needed). Then, with the production settings
(``geoguess.settings``, DEBUG off, a SECRET_KEY), it measures:

- ``manage.py check`` and ``manage.py import_imageset ZIP --background`` (which only queues a job):
  wall time (best and median of ``--repeat``) and the process's peak RSS (``ru_maxrss``, as
  ``/usr/bin/time -v`` reports it);
- gunicorn as docs/deployment.md starts it (``gunicorn geoguess.wsgi -w N``) on a loopback port, driven
  once through every page kind over HTTP (``tests/support/page_tour.py``: a whole game, a challenge, a
  duel round, the maps, every admin page and action): each worker's peak RSS (``VmHWM`` in
  ``/proc/<pid>/status``) after its boot and after the tour, and whether PyTorch's library is mapped in it.

Targets (issue 21): check and the queueing under 2 s on a quiet machine, a worker under 200 MB, no torch.
``--site-repo`` runs the commands and gunicorn from another checkout (e.g. an older commit, for a before/after
on the same seeded database); the seeding and the tour always come from this one.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.support: the seeding and the tour

from tests.support.page_tour import HttpBrowser, tiny_labelled_zip, tour  # noqa: E402
from tests.support.seeded_site import seed_site, site_environment  # noqa: E402

MB = 1024 * 1024


def measured(args: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    """Runs ``args`` to the end: its wall time in seconds and peak RSS in bytes (the kernel's ru_maxrss, in KiB on Linux)."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)  # the child's own resource usage, not every child's
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(args)} failed:\n{errors.read().decode()[-3000:]}")
    return elapsed, usage.ru_maxrss * 1024


def summary(runs: list[tuple[float, int]]) -> str:
    seconds = [s for s, _ in runs]
    peak = max(rss for _, rss in runs)
    return f"best {min(seconds):.2f} s, median {statistics.median(seconds):.2f} s, peak RSS {peak / MB:.0f} MB"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on port {port} within {timeout_s:.0f} s")


def workers_of(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def memory(pid: int) -> dict[str, int]:
    """VmHWM (peak) and VmRSS of a process, in bytes."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {name: int(fields[name].split()[0]) * 1024 for name in ("VmHWM", "VmRSS")}


def maps_torch(pid: int) -> bool:
    """Whether PyTorch's shared library is mapped into the process (imported at some point)."""
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


def measure_commands(site: Path, env: dict[str, str], folder: Path, repeat: int) -> None:
    manage = [sys.executable, "manage.py"]
    check = [measured([*manage, "check"], cwd=site, env=env) for _ in range(repeat)]
    print(f"manage.py check:                       {summary(check)}")
    archive = folder / "queued.zip"
    archive.write_bytes(tiny_labelled_zip())
    queued = [
        measured([*manage, "import_imageset", str(archive), "--background", "--name", f"queued {n}"], cwd=site, env=env)
        for n in range(repeat)
    ]
    print(f"manage.py import_imageset --background: {summary(queued)}")


def measure_gunicorn(site: Path, env: dict[str, str], workers: int, password: str) -> None:
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "geoguess.wsgi", "-w", str(workers), "--bind", f"127.0.0.1:{port}"]
    master = subprocess.Popen(command, cwd=site, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        browser = HttpBrowser(f"http://127.0.0.1:{port}")
        assert browser.get("/").status == 200
        pids = workers_of(master.pid)
        booted = {pid: memory(pid) for pid in pids}
        os.environ.update(env)  # the tour's admin part reads the admin's registry and the seeded database
        import django

        django.setup()
        visits = tour(browser, admin_password=password)
        wrong = [f"{v.method} {v.path}: {v.status}" for v in visits if not v.ok]
        print(f"gunicorn -w {workers}: {len(visits)} requests, {len({v.kind for v in visits})} page kinds, {len(wrong)} unexpected")
        for line in wrong:
            print(f"  unexpected: {line}")
        for pid in pids:
            after = memory(pid)
            print(
                f"  worker {pid}: RSS {booted[pid]['VmRSS'] / MB:.0f} MB booted, peak (VmHWM) {after['VmHWM'] / MB:.0f} MB "
                f"after the tour; PyTorch loaded: {'yes' if maps_torch(pid) else 'no'}"
            )
    finally:
        master.terminate()
        master.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1: one worker serves every page)")
    parser.add_argument("--site-repo", type=Path, default=REPO, help="the checkout that serves (default: this one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="web-footprint-") as scratch:
        folder = Path(scratch)
        env = {**site_environment(folder), "PYTHONPATH": str(args.site_repo)}
        password = secrets.token_urlsafe(12)
        print("seeding a site (an image set, an active worldNET with its predictions, a training run)...", flush=True)
        seed_site({**env, "PYTHONPATH": str(REPO)}, admin_password=password)
        print(f"serving from {args.site_repo}, production settings; load average {os.getloadavg()[0]:.1f}", flush=True)
        measure_commands(args.site_repo, env, folder, args.repeat)
        measure_gunicorn(args.site_repo, env, args.workers, password)


if __name__ == "__main__":
    main()
