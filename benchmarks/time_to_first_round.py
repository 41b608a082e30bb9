"""Seconds from a fresh clone to a playable first round, as a new player would get it.

    .venv/bin/python benchmarks/time_to_first_round.py [--ref HEAD] [--wait-worldnet]

Clones this repository (its committed ``--ref``) into a temporary folder, links the
existing ``.venv`` into it (so nothing is installed: the figure is the game's set-up,
not pip's), and runs ``manage.py play`` there (what ``make play`` runs) on a free port,
with a broker URL on a free port so that it starts its own Redis. Then it plays like a
browser over HTTP, polling until it can: GET ``/``, POST the start form with its CSRF
token, GET the round page, GET the round's image. It prints the seconds to each step
and, with ``--wait-worldnet``, until the console says worldNET has joined. Everything
it started stops, and the clone is removed, when it ends.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Player:
    """A browser's worth of HTTP: cookies (session, CSRF) and redirects."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path: str) -> tuple[str, bytes, str]:
        """(final URL, body, content type)."""
        with self.opener.open(urllib.parse.urljoin(self.base, path), timeout=30) as response:
            return response.geturl(), response.read(), response.headers.get("Content-Type", "")

    def post(self, path: str, fields: dict[str, str]) -> tuple[str, bytes]:
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(urllib.parse.urljoin(self.base, path), data=data, headers={"Referer": self.base + "/"})
        with self.opener.open(request, timeout=30) as response:
            return response.geturl(), response.read()


def _field(html: str, pattern: str, what: str) -> str:
    match = re.search(pattern, html)
    if not match:
        raise RuntimeError(f"the home page has no {what}")
    return match.group(1)


def first_round(player: Player) -> dict[str, float]:
    """Starts a game and loads its first round and image; the seconds each step took."""
    steps: dict[str, float] = {}
    started = time.perf_counter()
    _, body, _ = player.get("/")
    home = body.decode()
    steps["home page"] = time.perf_counter() - started
    token = _field(home, r'name="csrfmiddlewaretoken" value="([^"]+)"', "CSRF token")
    image_set = _field(home, r'name="image_set" value="([^"]+)"', "image set to choose")
    url, body = player.post("/", {"csrfmiddlewaretoken": token, "image_set": image_set, "player_name": "Timer", "time_limit": "0"})
    if "/game/" not in url:
        raise RuntimeError(f"starting a game did not lead to a round (ended at {url})")
    steps["round page"] = time.perf_counter() - started
    image_url = _field(body.decode(), r'<img id="street" src="([^"]+)"', "round image")
    _, image, content_type = player.get(image_url)
    if not content_type.startswith("image/") or len(image) < 1000:
        raise RuntimeError(f"the round's image is not an image ({content_type}, {len(image)} bytes)")
    steps["round image"] = time.perf_counter() - started
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="HEAD", help="what to clone (default HEAD: the last commit, not uncommitted changes)")
    parser.add_argument("--timeout", type=float, default=600, help="give up after this many seconds (default 600)")
    parser.add_argument("--wait-worldnet", action="store_true", help="also wait until the console says worldNET has joined")
    parser.add_argument("--keep", action="store_true", help="keep the clone and print its path (for a look at its var/)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="first-round-"))
    clone = folder / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone)], check=True)
    subprocess.run(["git", "checkout", "--quiet", args.ref], cwd=clone, check=True)
    (clone / ".venv").symlink_to(REPO / ".venv")
    port, broker_port = free_port(), free_port()
    environment = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "GEOGUESS_VAR_DIR", "DJANGO_SETTINGS_MODULE")
    }
    environment["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{broker_port}/0"
    environment["PYTHONUNBUFFERED"] = "1"
    started = time.perf_counter()
    play = subprocess.Popen(
        [str(clone / ".venv/bin/python"), "manage.py", "play", "--addr", f"127.0.0.1:{port}"],
        cwd=clone,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    joined = threading.Event()
    console: list[str] = []

    def read_console() -> None:
        assert play.stdout is not None
        for line in play.stdout:
            console.append(f"{time.perf_counter() - started:6.1f} s  {line.rstrip()}")
            if "joins the game" in line:
                joined.set()

    threading.Thread(target=read_console, daemon=True).start()
    player = Player(f"http://127.0.0.1:{port}")
    try:
        while True:
            if play.poll() is not None:
                raise RuntimeError(f"manage.py play ended with status {play.returncode}")
            if time.perf_counter() - started > args.timeout:
                raise RuntimeError(f"no playable round within {args.timeout:.0f} s")
            try:
                steps = first_round(player)
                break
            except urllib.error.HTTPError as problem:  # the site answered, wrongly: no use waiting
                raise RuntimeError(f"{problem.url}: HTTP {problem.code}") from None
            except (TimeoutError, urllib.error.URLError, ConnectionError, RuntimeError) as problem:
                if isinstance(problem, RuntimeError) and "home page has no image set" not in str(problem):
                    raise
                time.sleep(0.5)
        total = time.perf_counter() - started
        print(
            f"first round playable after {total:.1f} s (fresh clone of {args.ref}, {os.cpu_count()} CPUs; "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items())
            + " once the site answered)"
        )
        if args.wait_worldnet:
            if not joined.wait(max(0.0, args.timeout - total)):
                raise RuntimeError("worldNET did not join in time")
            print(f"worldNET joined after {time.perf_counter() - started:.1f} s")
        return 0
    except RuntimeError as problem:
        print(f"time_to_first_round: {problem}", file=sys.stderr)
        return 1
    finally:
        if play.poll() is None:
            os.killpg(play.pid, signal.SIGTERM)  # play stops its Redis, worker and trainer
            try:
                play.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(play.pid, signal.SIGKILL)
        print("console:", *console, sep="\n  ", file=sys.stderr)
        if args.keep:
            print(f"clone kept at {clone}", file=sys.stderr)
        else:
            subprocess.run(["rm", "-rf", str(folder)], check=False)


if __name__ == "__main__":
    sys.exit(main())
