"""The party site as deployed: the load test's PostgreSQL, Redis and a ``party`` worker (``benchmarks.load.stack``),
seeded with the small world and an active worldNET, and Daphne processes serving the ASGI application.

Used by ``python -m benchmarks.party_load`` and by tests/integration/test_party_two_servers.py.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load.stack import Stack, stack, wait_answering
from tests.support.processes import REPO, free_port, stop
from tests.support.seeded_site import seed_site


@dataclass
class Daphne:
    process: subprocess.Popen
    url: str  # http://127.0.0.1:PORT

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")


@dataclass
class PartySite:
    stack: Stack
    servers: list[Daphne]

    @property
    def env(self) -> dict[str, str]:
        return self.stack.env

    def make_parties(self, **options: object) -> list[dict[str, object]]:
        """Parties and their players' session cookies (``benchmarks.party_load.parties``, in a process of the site's)."""
        arguments = [f"--{name.replace('_', '-')}={value}" for name, value in options.items()]
        output = self.stack._python("-m", "benchmarks.party_load.parties", *arguments, timeout_s=600)
        return list(json.loads(output.strip().splitlines()[-1]))


def start_daphne(site: Stack, *, log: Path) -> Daphne:
    """``daphne geoguess.asgi:application`` on a free loopback port with the site's environment; returns once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "--verbosity", "0"]
    command += ["--application-close-timeout", "5", "geoguess.asgi:application"]
    with open(log, "ab") as output:
        process = subprocess.Popen(command, cwd=REPO, env=site.env, stdout=output, stderr=subprocess.STDOUT)
    daphne = Daphne(process, f"http://127.0.0.1:{port}")
    wait_answering(daphne.url + "/", process, log)
    return daphne


@contextmanager
def party_site(folder: Path, *, servers: int = 2, postgres: dict[str, str] | None = None) -> Iterator[PartySite]:
    """PostgreSQL, Redis, a ``party`` worker and ``servers`` Daphne processes, seeded; everything stopped at the end."""
    with ExitStack() as running:
        site = running.enter_context(stack(folder, postgres=postgres, worker_queues="party"))
        site.env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
        site.env.pop("CHANNEL_LAYER_URL", None)  # the broker's Redis: the channel layer every server and the worker share
        seed_site(site.env, admin_password=secrets.token_urlsafe(16))
        daphnes = []
        for _ in range(servers):
            daphne = start_daphne(site, log=site.log)
            running.callback(stop, daphne.process)
            daphnes.append(daphne)
        yield PartySite(site, daphnes)
