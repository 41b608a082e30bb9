"""Load benchmark: concurrent players through full games against the production set-up.

    .venv/bin/python benchmarks/load_game.py [--players 20] [--games 3]

Starts, on loopback only and in a temporary folder: Redis, a Celery worker on the
``inference`` queue, and gunicorn serving the site; seeds a demo world and a demo
worldNET (whose predictions the worker computes); then drives the players through
whole games (start, 5 × round page + image + guess, summary) and prints p50/p95
latency of the round page and of the guess POST, and the share of reveals whose
worldNET prediction was already stored. Everything it started is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {timeout} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Player:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes, str]:
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read(), response.geturl()
        except urllib.error.HTTPError as error:
            return error.code, error.read(), path

    def play(self, name: str, image_set: str, timings: dict, lock: threading.Lock, think_s: float = 0.0) -> None:
        self.request("/")
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": self.csrf(), "image_set": image_set, "player_name": name, "time_limit": 0}
        ).encode()
        status, _, url = self.request("/", form, {"Referer": self.base + "/"})
        game = re.search(r"/game/([^/]+)/", url).group(1)
        for index in range(5):
            started = time.perf_counter()
            status, body, _ = self.request(f"/game/{game}/")
            page_ms = (time.perf_counter() - started) * 1000
            assert status == 200, status
            image = re.search(rb'<img id="street" src="([^"]+)"', body).group(1).decode()
            self.request(image)
            time.sleep(think_s * random.uniform(0.5, 1.5))
            payload = json.dumps({"index": index, "lat": random.uniform(-60, 70), "lon": random.uniform(-180, 180)}).encode()
            started = time.perf_counter()
            status, body, _ = self.request(
                f"/game/{game}/guess", payload, {"Content-Type": "application/json", "X-CSRFToken": self.csrf(), "Referer": self.base + "/"}
            )
            guess_ms = (time.perf_counter() - started) * 1000
            assert status == 200, (status, body[:200])
            reveal = json.loads(body)
            with lock:
                timings["page"].append(page_ms)
                timings["guess"].append(guess_ms)
                timings["ready"].append(reveal["worldnet"] is not None)
            time.sleep(think_s * random.uniform(0.5, 1.5))
        status, _, _ = self.request(f"/game/{game}/summary")
        assert status == 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--players", type=int, default=20, help="concurrent players (default 20)")
    parser.add_argument("--games", type=int, default=3, help="games each player plays (default 3)")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=500.0,
        help="mean pause of each player between requests; people look at a round for seconds, so 500 ms is a harsh load "
        "(default 500; 0 saturates the server)",
    )
    parser.add_argument("--web-workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers (default 2 x cores + 1)")
    args = parser.parse_args()
    redis = shutil.which("redis-server")
    if not redis:
        sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
    python = sys.executable
    children: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="load-") as folder:
        redis_port, web_port = free_port(), free_port()
        env = {
            **os.environ,
            "GEOGUESS_VAR_DIR": folder,
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
            "DJANGO_SETTINGS_MODULE": "geoguess.settings",
        }
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # production settings refuse to start without one
        with open(Path(folder) / "services.log", "wb") as log:
            try:
                children.append(
                    subprocess.Popen(
                        [redis, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--dir", folder], stdout=log, stderr=log
                    )
                )
                wait_listening(redis_port)
                children.append(
                    subprocess.Popen(
                        [python, "-m", "celery", "-A", "geoguess", "worker", "-Q", "inference", "--pool", "solo", "-l", "WARNING"],
                        cwd=REPO,
                        env=env,
                        stdout=log,
                        stderr=log,
                    )
                )

                def manage(*arguments: str) -> str:
                    return subprocess.run(
                        [python, "manage.py", *arguments], cwd=REPO, env=env, check=True, capture_output=True, text=True
                    ).stdout

                print("seeding a demo world and a demo worldNET ...", flush=True)
                manage("migrate", "-v", "0")
                manage("seed_demo", "--per-city", "10", "--epochs", "3")
                count = (
                    "from geoguess.opponent.models import Prediction as P; from geoguess.imagesets.models import Photo, ImageSet; "
                    "print(P.objects.count(), Photo.objects.count(), ImageSet.objects.get().pk)"
                )
                deadline = time.monotonic() + 300
                while True:
                    stored, photos, image_set = manage("shell", "-v", "0", "-c", count).split()
                    if stored == photos or time.monotonic() > deadline:
                        break
                    time.sleep(1)
                print(f"{stored} of {photos} predictions stored by the worker before play", flush=True)
                children.append(
                    subprocess.Popen(
                        [
                            python,
                            "-m",
                            "gunicorn",
                            "geoguess.wsgi",
                            "-w",
                            str(args.web_workers),
                            "-b",
                            f"127.0.0.1:{web_port}",
                            "--log-level",
                            "warning",
                        ],
                        cwd=REPO,
                        env=env,
                        stdout=log,
                        stderr=log,
                    )
                )
                wait_listening(web_port)
                base = f"http://127.0.0.1:{web_port}"
                lock = threading.Lock()
                # One untimed game per player first: every gunicorn worker compiles its templates
                # and imports its lazy modules on its first requests, which is start-up, not load.
                warmup: dict[str, list] = {"page": [], "guess": [], "ready": []}
                with ThreadPoolExecutor(args.players) as pool:
                    list(pool.map(lambda i: Player(base).play(f"w{i}", image_set, warmup, lock), range(args.players)))
                timings: dict[str, list] = {"page": [], "guess": [], "ready": []}
                started = time.perf_counter()
                with ThreadPoolExecutor(args.players) as pool:
                    jobs = [
                        pool.submit(
                            lambda i=i: [
                                Player(base).play(f"p{i}", image_set, timings, lock, args.think_ms / 1000) for _ in range(args.games)
                            ]
                        )
                        for i in range(args.players)
                    ]
                    for job in jobs:
                        job.result()
                elapsed = time.perf_counter() - started
            finally:
                for child in reversed(children):
                    child.terminate()
                for child in children:
                    child.wait(timeout=15)
    rounds = len(timings["guess"])
    print(
        f"{args.players} concurrent players, {args.players * args.games} games, {rounds} rounds in {elapsed:.1f} s, "
        f"think time {args.think_ms:.0f} ms (gunicorn x{args.web_workers}, Redis, 1 worker, SQLite)"
    )
    for key, label in (("page", "round page"), ("guess", "guess POST")):
        values = timings[key]
        print(f"{label:11s} p50 {statistics.median(values):6.1f} ms   p95 {percentile(values, 0.95):6.1f} ms   (target p95 <= 50 ms)")
    print(f"reveals with worldNET's prediction already stored: {100 * sum(timings['ready']) / rounds:.1f}% (target 100%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
