"""What one request of each kind costs the web tier, with no load: SQL queries, and CPU and wall milliseconds.

    python -m benchmarks.load --view-costs     # on the load test's seeded site (PostgreSQL), instead of the load
    VIEW_COSTS_SQL="guess" VIEW_COSTS_PROFILE="round image" python -m benchmarks.load --view-costs  # with one guess's SQL

Plays whole classic games and duels through Django's test client in this one process (every middleware,
no gunicorn and no network) against the site that ``DATABASE_URL`` names, and prints, per kind of
request, the median queries and the median and 95th-percentile CPU and wall time. CPU time is this
process's alone, so it stays true on a machine that others keep busy: two cores serve about
``2000 / (CPU ms + the database's share)`` requests a second of a kind.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import random
import re
import statistics
import time
from collections import defaultdict
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoguess.settings")

GAMES = 12
# VIEW_COSTS_PROFILE="guess,round page" also prints where those kinds' CPU goes (cProfile, by cumulative time)
# VIEW_COSTS_SQL="guess" prints the SQL of one request of each kind named (the last one made)
SQL_KINDS = {kind.strip() for kind in os.environ.get("VIEW_COSTS_SQL", "").split(",") if kind.strip()}
PROFILED_KINDS = {kind.strip() for kind in os.environ.get("VIEW_COSTS_PROFILE", "").split(",") if kind.strip()}


def main() -> int:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    costs: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    profiles = {kind: cProfile.Profile() for kind in PROFILED_KINDS}
    last_sql: dict[str, list[str]] = {}

    def request(client: Client, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        with CaptureQueriesContext(connection) as queries:
            profile = profiles.get(kind)
            if profile is not None:
                profile.enable()
            cpu, wall = time.process_time(), time.perf_counter()
            response = getattr(client, method)(path, **kwargs)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)  # a FileResponse's file is read as gunicorn would
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if profile is not None:
                profile.disable()
        costs[kind].append((len(queries), cpu * 1000, wall * 1000))
        if kind in SQL_KINDS:
            last_sql[kind] = [query["sql"] for query in queries.captured_queries]
        return response

    for number in range(GAMES):
        mode = "duel" if number % 4 == 3 else "classic"
        client = Client(HTTP_HOST="127.0.0.1")  # an allowed host of the production settings
        home = request(client, "home", "get", "/").content.decode()
        image_set = _found(r'name="image_set" value="(\d+)"', home)
        started = request(client, f"start ({mode})", "post", "/", data={"image_set": image_set, "player_name": "costs", "mode": mode})
        game = started["Location"].rstrip("/").split("/")[-1]
        for _ in range(40):
            page = request(client, "round page", "get", f"/game/{game}/").content.decode()
            config = json.loads(_found(r'<script id="round-config" type="application/json">(.*?)</script>', page))
            request(client, "round image", "get", _found(r'<img id="street" src="([^"]+)"', page))
            if config.get("stateUrl"):
                request(client, "round state", "get", config["stateUrl"])
            pin = {"index": config["index"], "lat": random.uniform(-60, 70), "lon": random.uniform(-180, 180)}
            reveal = request(client, "guess", "post", f"/game/{game}/guess", data=pin, content_type="application/json").json()
            request(client, "reveal", "get", config["revealUrl"])  # as a reload of the reveal asks it
            if reveal.get("finished"):
                request(client, "summary", "get", f"/game/{game}/summary")
                break
            request(client, "next round", "get", config["nextUrl"])
    print(f"{'request kind':<18} {'queries':>7} {'CPU p50':>8} {'CPU p95':>8} {'wall p50':>9} {'wall p95':>9}   (ms; {GAMES} games)")
    for kind, rows in sorted(costs.items(), key=lambda item: -len(item[1])):
        queries, cpu, wall = zip(*rows)
        print(
            f"{kind:<18} {statistics.median(queries):>7.0f} {statistics.median(cpu):>8.1f} {_p95(cpu):>8.1f} "
            f"{statistics.median(wall):>9.1f} {_p95(wall):>9.1f}"
        )
    for kind, statements in last_sql.items():
        print(f"\nthe queries of one {kind!r}:")
        for number, sql in enumerate(statements, 1):
            print(f"{number:>3}. {sql}")
    for kind, profile in profiles.items():
        report = io.StringIO()
        pstats.Stats(profile, stream=report).sort_stats("cumulative").print_stats(45)
        print(f"\nwhere {kind!r} spends its time (cProfile's own overhead included):\n{report.getvalue()}")
    return 0


def _found(pattern: str, page: str) -> str:
    found = re.search(pattern, page, re.DOTALL)
    if found is None:
        raise SystemExit(f"the page has no {pattern!r}: has the game's page changed?")
    return found.group(1)


def _p95(values: tuple[float, ...]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


if __name__ == "__main__":
    raise SystemExit(main())
