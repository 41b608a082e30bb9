"""The load test's program: start the site on loopback, seed it, run Locust's players, print the figures, stop everything."""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from pathlib import Path
from types import FrameType

from benchmarks.load import curve, processes, report
from benchmarks.load.bench import Load, Result, run_locust
from benchmarks.load.seed import CACHE, Seeding, seed
from benchmarks.load.stack import missing_services, stack
from tests.support.processes import REPO

CURVE_PLAYERS = [20, 50, 100, 200, 400, 800]
DEFAULT_WEB_WORKERS = 2 * (os.cpu_count() or 1) + 1


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load",
        description="Load test: simulated players (Locust) play whole classic games and duels against worldNET on the "
        "production set-up (gunicorn, PostgreSQL, Redis, one inference worker), all started on loopback and stopped at the end.",
    )
    parser.add_argument("--players", type=int, default=200, help="simultaneous players (default 200)")
    parser.add_argument("--run-time", type=int, default=60, help="seconds of load, spawning included (default 60)")
    parser.add_argument("--spawn-rate", type=float, default=0, help="players started per second (default: all within 5 s)")
    parser.add_argument("--think-ms", type=float, default=500.0, help="a player's mean pause between its actions (default 500)")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of unmeasured play first, as each web worker warms up (default 10)")
    parser.add_argument(
        "--curve",
        type=int,
        nargs="*",
        metavar="PLAYERS",
        help=f"run at each of these player counts (default {' '.join(map(str, CURVE_PLAYERS))}) and draw the saturation curve",
    )
    parser.add_argument("--plot", type=Path, default=REPO / "docs" / "load-curve.png", help="the curve's PNG (default docs/load-curve.png)")
    parser.add_argument(
        "--web-workers", type=int, default=DEFAULT_WEB_WORKERS, help=f"gunicorn workers (default 2 x cores + 1: {DEFAULT_WEB_WORKERS})"
    )
    parser.add_argument("--worker-class", default="sync", help="gunicorn's worker class: sync (default) or gthread")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker, with gthread (default 1)")
    parser.add_argument(
        "--postgres",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting, e.g. synchronous_commit=off (default: PostgreSQL's own, durable as deployed)",
    )
    parser.add_argument(
        "--locust-processes", type=int, default=1, help="Locust processes generating the load (default 1; they share the site's cores)"
    )
    parser.add_argument(
        "--wait-idle",
        type=int,
        default=0,
        metavar="SECONDS",
        help="before each run, wait up to this long for the machine's other jobs to go quiet (a shared machine; default 0)",
    )
    parser.add_argument("--per-city", type=int, default=Seeding.per_city, help=f"the game's photos a city (default {Seeding.per_city})")
    parser.add_argument(
        "--training-per-city",
        type=int,
        default=Seeding.training_per_city,
        help=f"images a city the demo worldNET trains on (default {Seeding.training_per_city})",
    )
    parser.add_argument("--epochs", type=int, default=Seeding.epochs, help=f"the demo worldNET's epochs (default {Seeding.epochs})")
    parser.add_argument(
        "--view-costs", action="store_true", help="instead of the load: the queries and CPU ms of one request of each kind (view_costs)"
    )
    parser.add_argument("--reseed", action="store_true", help="seed and train again instead of restoring the kept seeding")
    parser.add_argument(
        "--results", type=Path, default=CACHE / "results", help="where Locust's CSV files go (default var/load-bench/results)"
    )
    return parser


def main(args: argparse.Namespace) -> int:
    missing = missing_services()
    if missing:
        print("the load test needs " + " and ".join(missing))
        return 1
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` tears down like Ctrl-C does
    seeding = Seeding(per_city=args.per_city, training_per_city=args.training_per_city, epochs=args.epochs)
    counts = ([*args.curve] or CURVE_PLAYERS) if args.curve is not None else [args.players]
    results: list[Result] = []
    CACHE.mkdir(parents=True, exist_ok=True)
    postgres = dict(setting.split("=", 1) for setting in args.postgres)
    with tempfile.TemporaryDirectory(prefix="run-", dir=CACHE) as folder, stack(Path(folder), postgres=postgres) as site:
        print(f"PostgreSQL, Redis and an inference worker are up (logs: {site.log}); {seed(site, seeding, reseed=args.reseed)}", flush=True)
        if args.view_costs:
            print(site.manage_module("benchmarks.load.view_costs"))
            return 0
        for players in counts:
            web = site.start_web(workers=args.web_workers, worker_class=args.worker_class, threads=args.threads)
            if args.warmup:
                run_locust(site, _load(args, min(players, 50), args.warmup), Path(folder) / "warmup")
            load = _load(args, players, args.run_time)
            if args.wait_idle:
                busy = processes.wait_idle(longest_s=args.wait_idle)
                print(f"the machine was using {busy:.2f} cores before the run", flush=True)
            print(f"{players} players on {web.url} for {args.run_time} s ...", flush=True)
            result = run_locust(site, load, args.results / f"{players}-players")
            results.append(result)
            print(report.table(result) + "\n", flush=True)
            site.stop_web()  # each player count meets fresh web workers: their peak memory is its own
    if len(results) > 1:
        print("\n" + report.curve_header())
        for result in results:
            print(report.curve_line(result))
        title = (
            f"{results[0].web}, PostgreSQL, Redis, 1 worker, Locust ({args.locust_processes} process) on the same {os.cpu_count()} cores"
        )
        curve.draw(results, args.plot, title)
        print(f"\nthe curve: {args.plot} (its points: {args.plot.with_suffix('.json')})")
    return 0 if all(result.total.failures == 0 for result in results) else 1


def _load(args: argparse.Namespace, players: int, run_time_s: int) -> Load:
    spawn_rate = args.spawn_rate or max(1.0, players / 5)
    return Load(
        players=players, run_time_s=run_time_s, spawn_rate=spawn_rate, think_ms=args.think_ms, locust_processes=args.locust_processes
    )


def _interrupt(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def cli() -> int:
    started = time.monotonic()
    try:
        return main(get_args_parser().parse_args())
    except KeyboardInterrupt:
        print("interrupted: everything the load test started is stopped")
        return 130
    finally:
        print(f"({time.monotonic() - started:.0f} s in all)")
