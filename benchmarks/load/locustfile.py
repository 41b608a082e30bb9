"""Simulated players for Locust: each is one browser session playing whole games against worldNET.

    .venv/bin/locust -f benchmarks/load/locustfile.py --headless --host http://127.0.0.1:8000 -u 20 -r 5 -t 30s

(``python -m benchmarks.load`` starts the whole site first and runs this for you.) A player makes the
requests the game's pages make, in their order, and pauses between its own actions (``--think-ms``,
500 ms on average by default): people take seconds, so this is a harsh load.

A classic game: home, start (a POST answered 302), then per round the round page and its image, a
pause, the guess (whose answer is the reveal), a pause reading it, "Next" (``?left=``, a 302); last,
the summary. A duel is the same with health, one round-state poll as its page opens (``duel.js``), and
rounds until a side's health is gone. What the pages' scripts do on their own is done too: the reveal
is asked again while worldNET is still thinking, and the summary's state while it has rounds to play.
A new player's first page also fetches the static files and the world map's layers (a browser keeps
them after that).

Requests are named by kind (``round page``, ``round image``, ``guess``, ...), so Locust's statistics
are per kind. Any status other than the one the page expects, or an answer that lacks what the page
reads from it, is a failure. Each guess's answer says whether worldNET's guess was already stored (the
target: every one); the counts go to ``--worldnet-report`` as JSON when Locust ends.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]  # Locust's own dependency
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.runners import WorkerRunner

#: Whether worldNET's guess was there in the guess's answer: "stored" or "thinking". Summed over
#: Locust's worker processes on the master (``--processes``).
worldnet_at_reveal: Counter[str] = Counter()

STATIC = re.compile(r'(?:src|href)="(/static/[^"]+)"')
STREET_IMAGE = re.compile(r'<img id="street" src="([^"]+)"')
IMAGE_SET = re.compile(r'name="image_set" value="(\d+)"')
GAME_URL = re.compile(r"^(?:https?://[^/]+)?/game/([A-Za-z0-9_-]+)/$")
#: The most rounds a duel is followed for (one ends in well under ten with random pins).
MAX_ROUNDS = 40
#: The most times a player's page asks for worldNET's guess again (the page backs off to 8 s, for ever).
MAX_POLLS = 8


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--think-ms", type=float, default=500.0, help="a player's mean pause between its actions (default 500)")
    parser.add_argument("--duel-share", type=float, default=0.25, help="share of games that are duels (default 0.25)")
    parser.add_argument(
        "--attention-share", type=float, default=0.1, help="share of reveals where the player looks at worldNET's attention (default 0.1)"
    )
    parser.add_argument("--worldnet-report", default="", help="a JSON file for the worldNET-stored counts, written at the end")


@events.report_to_master.add_listener
def _send_counts(client_id: str, data: dict[str, Any]) -> None:
    data["worldnet_at_reveal"] = dict(worldnet_at_reveal)
    worldnet_at_reveal.clear()


@events.worker_report.add_listener
def _add_counts(client_id: str, data: dict[str, Any]) -> None:
    worldnet_at_reveal.update(data.get("worldnet_at_reveal", {}))


@events.quitting.add_listener
def _write_counts(environment: Environment, **_kwargs: Any) -> None:
    path = environment.parsed_options.worldnet_report if environment.parsed_options else ""
    if path and not isinstance(environment.runner, WorkerRunner):
        Path(path).write_text(json.dumps(dict(worldnet_at_reveal)))


class Unexpected(Exception):
    """An answer the page would not have expected: the request counts as failed and the game is dropped."""


class Player(FastHttpUser):
    # Each player is one browser: a request at a time, its cookies (session, CSRF) kept.
    concurrency = 1

    def on_start(self) -> None:
        self.assets_fetched = False

    def wait_time(self) -> float:  # between games: the player reads the summary and goes home
        return self._think_s()

    @task
    def play_a_game(self) -> None:
        options = self.environment.parsed_options
        mode = "duel" if random.random() < (options.duel_share if options else 0.25) else "classic"
        try:
            game = self._start(mode)
            for _ in range(MAX_ROUNDS):
                if self._play_round(game):
                    return
            raise Unexpected(f"game {game} did not end within {MAX_ROUNDS} rounds")
        except Unexpected:
            return  # already recorded as the failed request; the player starts a new game

    # --- the steps of a game ----------------------------------------------------------------------

    def _start(self, mode: str) -> str:
        home = self._get("/", "home", expect=200)
        image_sets = IMAGE_SET.findall(home.text or "")
        if not image_sets:
            raise Unexpected("the home page offers no image set")
        self._fetch_assets(home.text or "")
        self.pause()
        form = {"csrfmiddlewaretoken": self._csrf(), "image_set": image_sets[0], "player_name": "load test", "mode": mode}
        started = self._request("POST", "/", f"start ({mode})", expect=302, data=form, headers={"Referer": f"{self.host}/"})
        found = GAME_URL.match(started.headers.get("Location", ""))
        if not found:
            raise Unexpected(f"the start went to {started.headers.get('Location')!r}, not a game")
        return found.group(1)

    def _play_round(self, game: str) -> bool:
        """Plays the round the game is at; True once the game has ended (its summary seen)."""
        page = self._get(f"/game/{game}/", "round page", expect=200)
        config = _json_script(page.text or "", "round-config")
        image = STREET_IMAGE.search(page.text or "")
        if config is None or image is None:
            raise Unexpected("the round page has no image or no config")
        self._fetch_assets(page.text or "")
        self._get(image.group(1), "round image", expect=200, content_type="image/jpeg")
        if config.get("stateUrl"):  # a duel's page asks at once whether worldNET has locked in
            self._get(config["stateUrl"], "round state", expect=200)
        self.pause()
        reveal = self._guess(game, config)
        if self._options("attention_share", 0.1) > random.random() and (reveal.get("worldnet") or {}).get("saw"):
            self._get(config["revealUrl"] + "/attention.jpg", "attention image", expect=200, content_type="image/jpeg")
        self.pause()
        if reveal.get("finished"):
            self._summary(game)
            return True
        self._get(config["nextUrl"], "next round", expect=302)
        return False

    def _guess(self, game: str, config: dict[str, Any]) -> dict[str, Any]:
        """The pin (anywhere: worldNET wins duels quickly), and the reveal it answers with; asks again while worldNET thinks."""
        pin = {"index": config["index"], "lat": random.uniform(-60, 70), "lon": random.uniform(-180, 180)}
        headers = {"X-CSRFToken": self._csrf(), "Referer": f"{self.host}/"}
        answer = self._request("POST", f"/game/{game}/guess", "guess", expect=200, json=pin, headers=headers, time_up_ok=True)
        if answer.status_code == 409:  # time ran out while the guess waited: round.js shows the round's reveal
            answer = self._get(config["revealUrl"], "reveal", expect=200)
        reveal = answer.json()
        if "truth" not in reveal:
            raise Unexpected("the guess's answer has no reveal")
        worldnet_at_reveal["stored" if reveal.get("worldnet") else "thinking"] += 1
        if reveal.get("duel"):
            return reveal  # a duel's guess is settled with the round: none is coming later
        for attempt in range(MAX_POLLS):
            if reveal.get("worldnet"):
                break
            gevent.sleep(min(8.0, 1.4**attempt))  # round.js's back-off
            reveal = self._get(config["revealUrl"], "reveal", expect=200).json()
        return reveal

    def _summary(self, game: str) -> None:
        page = self._get(f"/game/{game}/summary", "summary", expect=200)
        config = _json_script(page.text or "", "summary-config") or {}
        for attempt in range(MAX_POLLS):  # summary.js: until worldNET has played every round
            if config.get("complete", True):
                return
            gevent.sleep(min(8.0, 1.4**attempt))
            config = self._get(config["stateUrl"], "summary state", expect=200).json()
            config["complete"] = config.get("worldnet_complete", True)

    def _fetch_assets(self, page: str) -> None:
        """What a browser fetches on its first page and keeps: the static files, the world map's first layers."""
        if self.assets_fetched:
            return
        self.assets_fetched = True
        for path in sorted(set(STATIC.findall(page))):
            self._get(path, "static file", expect=200)
        config = _json_script(page, "map-config") or _json_script(page, "round-config") or {}
        if config.get("basemapUrl"):
            index = self._get(config["basemapUrl"], "map data", expect=200).json()
            for layer in index.get("layers", []):
                if layer.get("minZoom", 0) <= 2:  # the opening world view's layers
                    self._get(layer["url"], "map data", expect=200)

    # --- requests ---------------------------------------------------------------------------------

    def pause(self) -> None:
        gevent.sleep(self._think_s())

    def _think_s(self) -> float:
        return self._options("think_ms", 500.0) / 1000 * random.uniform(0.5, 1.5)

    def _options(self, name: str, default: float) -> float:
        options = self.environment.parsed_options
        return float(getattr(options, name, default)) if options else default

    def _csrf(self) -> str:
        return next((cookie.value or "" for cookie in self.client.cookiejar if cookie.name == "csrftoken"), "")

    def _get(self, path: str, kind: str, *, expect: int, content_type: str = "") -> Any:
        return self._request("GET", path, kind, expect=expect, content_type=content_type)

    def _request(
        self, method: str, path: str, kind: str, *, expect: int, content_type: str = "", time_up_ok: bool = False, **kwargs: Any
    ) -> Any:
        """One request under the name ``kind``; a failure unless its status is ``expect`` (and its type ``content_type``).

        ``time_up_ok``: a guess refused because the round's clock ran out (a duel's countdown, while the site
        was slow to answer) is a failure too, but the game goes on, as the page goes on to the reveal.
        """
        with self.client.request(method, path, name=kind, catch_response=True, allow_redirects=False, **kwargs) as response:
            problem = ""
            if time_up_ok and response.status_code == 409 and _error_code(response) == "time_up":
                response.failure(f"{kind}: time is up (409): the answer came after the round's clock ran out")
                return response
            if response.status_code != expect:
                problem = f"{kind}: status {response.status_code}, expected {expect}"
            elif content_type and not (response.headers.get("Content-Type") or "").startswith(content_type):
                problem = f"{kind}: {response.headers.get('Content-Type')!r}, expected {content_type}"
            if problem:
                response.failure(problem)
            else:
                response.success()
        if problem:
            raise Unexpected(problem)
        return response


def _error_code(response: Any) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


def _json_script(page: str, element_id: str) -> dict[str, Any] | None:
    """The data of a page's ``{{ ...|json_script:element_id }}``, as its script reads it."""
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.DOTALL)
    return json.loads(found.group(1)) if found else None
