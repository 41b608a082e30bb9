"""The site as deployed, on loopback, for the load test: PostgreSQL, Redis, one inference worker, gunicorn.

Every process is started here and stopped when the ``stack()`` context ends, by an exception or
Ctrl-C too. PostgreSQL comes from the tests' own throwaway server (``tests.support.postgres``), but
durable (fsync and synchronous commits on), as a deployment runs it; the worker is the tests' Celery
worker process on the ``inference`` queue. gunicorn runs the production settings: ``DEBUG`` off, a
key generated for the run, ``DATABASE_URL`` and ``CELERY_BROKER_URL`` pointing at the servers here.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.postgres import Server, postgres_bindir, start_server
from tests.support.processes import REPO, free_port, redis_server, start_worker, stop


@dataclass
class Web:
    """gunicorn's master process, where it listens, and how its workers run."""

    process: subprocess.Popen
    url: str
    workers: int
    worker_class: str
    threads: int


@dataclass
class Stack:
    """The running services, and the environment a command of the site needs to reach them."""

    folder: Path
    env: dict[str, str]
    postgres: Server
    worker: subprocess.Popen
    redis_pid: int
    bindir: Path
    web: Web | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "services.log"

    def manage(self, *arguments: str, timeout_s: float = 1800) -> str:
        """``manage.py`` with the site's environment; stops the run with its output when it fails."""
        return self._python("manage.py", *arguments, timeout_s=timeout_s)

    def manage_module(self, module: str) -> str:
        """``python -m module`` with the site's environment (a program that sets Django up itself)."""
        return self._python("-m", module, timeout_s=1800)

    def _python(self, *arguments: str, timeout_s: float) -> str:
        done = subprocess.run([sys.executable, *arguments], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout_s)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(arguments)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
        return done.stdout

    def start_web(self, *, workers: int, worker_class: str = "sync", threads: int = 1) -> Web:
        """gunicorn on a free loopback port; returns once its front page answers."""
        self.stop_web()
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "geoguess.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        command += ["--worker-class", worker_class, "--threads", str(threads), "--log-level", "warning"]
        with open(self.log, "ab") as log:
            process = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.web = Web(process, f"http://127.0.0.1:{port}", workers, worker_class, threads)
        wait_answering(self.web.url + "/", process, self.log)
        return self.web

    def stop_web(self) -> None:
        if self.web is not None:
            stop(self.web.process)
            self.web = None


def wait_answering(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited before it answered; the end of {log}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


def missing_services() -> list[str]:
    """What the machine lacks to run the stack, in words a user can act on."""
    missing = []
    if shutil.which("redis-server") is None:
        missing.append("redis-server (Debian: apt-get install redis-server)")
    bindir = postgres_bindir()
    if bindir is None or not (bindir / "postgres").exists():
        missing.append("PostgreSQL (Debian: apt-get install postgresql)")
    return missing


@contextmanager
def stack(folder: Path, *, postgres: dict[str, str] | None = None, worker_queues: str = "inference") -> Iterator[Stack]:
    """PostgreSQL (with ``postgres``'s settings), Redis and a worker of ``worker_queues`` (the party benchmark's: ``party``),
    with ``folder`` as the site's VAR_DIR; the web servers start later."""
    bindir = postgres_bindir()
    assert bindir is not None, "missing_services() says what to install"
    with ExitStack() as running:
        database = start_server(bindir, settings=postgres or {})  # by default PostgreSQL's own: durable, as deployed
        running.callback(database.stop)
        redis_url = running.enter_context(redis_server(folder))
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "geoguess.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),  # DEBUG off needs one; a run's own
            "DATABASE_URL": database.url,
            "CELERY_BROKER_URL": redis_url,
            "GEOGUESS_VAR_DIR": str(folder),
            "MEDIA_ROOT": str(folder / "media"),
        }
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        log = folder / "services.log"
        worker = start_worker(redis_url, queues=worker_queues, env=env, log=log)
        running.callback(stop, worker)
        site = Stack(folder=folder, env=env, postgres=database, worker=worker, redis_pid=_redis_pid(redis_url), bindir=bindir)
        running.callback(site.stop_web)
        yield site


def _redis_pid(url: str) -> int:
    """The redis-server listening at ``url`` (its CPU is counted with the others')."""
    import redis

    return int(redis.Redis.from_url(url).info("server")["process_id"])
