"""The party load benchmark's program: start the site, make the parties, play them over WebSockets, print the figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.load import processes
from benchmarks.load.stack import missing_services
from benchmarks.party_load.players import Book, Player, play_party
from benchmarks.party_load.servers import PartySite, party_site

#: The issue's targets: p95 from a guess to every member seeing "has guessed", and from a round's end to everyone's reveal.
TARGET_GUESSED_P95_MS = 100.0
TARGET_REVEAL_P95_MS = 200.0
#: The site's GUESS_GRACE_SECONDS, set for the run: when the clock closes a round, from the frames' deadline and countdown.
GRACE_S = 3


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.party_load",
        description="Party load benchmark: parties of players on asyncio WebSocket clients play whole games on the production "
        "set-up (Daphne processes, PostgreSQL, Redis as channel layer and broker, a party worker), all on loopback.",
    )
    parser.add_argument("--parties", type=int, default=50, help="parties playing at once (default 50)")
    parser.add_argument("--players", type=int, default=4, help="players a party, worldNET not counted (default 4)")
    parser.add_argument("--rounds", type=int, default=5, choices=(3, 5, 10), help="rounds a game (default 5)")
    parser.add_argument("--time-limit", type=int, default=60, choices=(30, 60, 120), help="seconds a round (default 60)")
    parser.add_argument("--worldnet-share", type=float, default=0.5, help="share of the parties with worldNET at the table (default 0.5)")
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 8.0), metavar=("MIN", "MAX"), help="a guess's think time, s (2 8)")
    parser.add_argument(
        "--miss-share", type=float, default=0.05, help="share of a player's rounds without a guess: the clock ends those (default 0.05)"
    )
    parser.add_argument("--ramp", type=float, default=10.0, help="the parties start spread over this many seconds (default 10)")
    parser.add_argument("--servers", type=int, default=2, help="Daphne processes; a party's players spread over them (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="the players' random seed")
    parser.add_argument(
        "--postgres",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting, e.g. synchronous_commit=off (default: PostgreSQL's own, durable as deployed)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--log", type=Path, help="keep the servers' log (Daphne, the worker) in this file")
    parser.add_argument("--wait-idle", type=int, default=0, metavar="SECONDS", help="first wait up to this long for a quiet machine")
    return parser


@dataclass
class Figures:
    parties: int
    players: int
    rounds: int
    servers: int
    guesses: int
    guessed_ms: dict[str, float]  # p50/p95/p99/max: a guess to the last member of its party seeing it
    guessed_each_ms: dict[str, float]  # the same, each member's own
    rounds_ended: int
    reveal_ms: dict[str, float]  # a round's end to the last member's reveal
    reveal_by_guess_ms: dict[str, float]
    reveal_by_clock_ms: dict[str, float]
    not_seen: int  # guesses some member never saw as guessed; rounds some member never saw end
    not_revealed: int
    errors: dict[str, int]
    games_finished: int
    games_expected: int
    frames: int
    frame_kb: float
    duration_s: float
    server_peak_rss_mb: list[float]
    worker_peak_rss_mb: float
    cores: dict[str, float]


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": math.nan, "p95": math.nan, "p99": math.nan, "max": math.nan, "n": 0}
    ordered = sorted(values)

    def rank(share: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": ordered[-1], "n": len(ordered)}


def measure(book: Book, parties: list[dict[str, Any]]) -> dict[str, Any]:
    """The latencies from the players' book, in ms."""
    members_of = {party["code"]: [p["id"] for p in party["players"]] for party in parties}
    to_all: list[float] = []
    each: list[float] = []
    not_seen = 0
    for (key, member), sent in book.sent.items():
        if (key, member) in book.refused:
            continue
        seen = book.seen.get((key, member), {})
        viewers = members_of[key[0]]
        missing = [viewer for viewer in viewers if viewer not in seen]
        if missing:
            not_seen += 1
            continue
        latencies = [(seen[viewer] - sent) * 1000 for viewer in viewers]
        each += latencies
        to_all.append(max(latencies))
    reveal: list[float] = []
    by_guess: list[float] = []
    by_clock: list[float] = []
    not_revealed = 0
    for key, closes in book.closes.items():
        humans = book.in_round.get(key, set())
        sends = [book.sent.get((key, member)) for member in humans]
        ended_by_guess = bool(humans) and all(s is not None for s in sends) and max(s for s in sends if s is not None) < closes
        end = max(s for s in sends if s is not None) if ended_by_guess else closes
        revealed = book.revealed.get(key, {})
        viewers = members_of[key[0]]
        if any(viewer not in revealed for viewer in viewers):
            not_revealed += 1
            continue
        latency = max((revealed[viewer] - end) * 1000 for viewer in viewers)
        reveal.append(latency)
        (by_guess if ended_by_guess else by_clock).append(latency)
    return {
        "guessed_ms": percentiles(to_all),
        "guessed_each_ms": percentiles(each),
        "reveal_ms": percentiles(reveal),
        "reveal_by_guess_ms": percentiles(by_guess),
        "reveal_by_clock_ms": percentiles(by_clock),
        "not_seen": not_seen,
        "not_revealed": not_revealed,
        "guesses": len(to_all),
        "rounds_ended": len(reveal),
    }


async def play(site: PartySite, parties: list[dict[str, Any]], options: argparse.Namespace, book: Book) -> None:
    rng = random.Random(options.seed)
    servers = [server.ws_url for server in site.servers]
    timeout_s = options.ramp + options.rounds * (options.time_limit + 8 + 15) + 60
    games = []
    seat = 0
    for number, party in enumerate(parties):
        players = []
        for player in party["players"]:
            players.append(
                Player(book, server=servers[seat % len(servers)], code=party["code"], member=player["id"], cookie=player["cookie"])
            )
            seat += 1
        start_after = options.ramp * number / max(1, len(parties))
        games.append(
            play_party(
                players,
                start_after_s=start_after,
                think_s=tuple(options.think),
                miss_share=options.miss_share,
                rng=random.Random(rng.random()),
                timeout_s=timeout_s,
            )
        )
    await asyncio.gather(*games)


def run(options: argparse.Namespace) -> Figures:
    with (
        tempfile.TemporaryDirectory(prefix="party-load-") as folder,
        party_site(Path(folder), servers=options.servers, postgres=dict(setting.split("=", 1) for setting in options.postgres)) as site,
    ):
        print(f"site up: {len(site.servers)} Daphne, PostgreSQL, Redis, a party worker; making {options.parties} parties ...", flush=True)
        parties = site.make_parties(
            parties=options.parties,
            players=options.players,
            worldnet_share=options.worldnet_share,
            rounds=options.rounds,
            time_limit=options.time_limit,
        )
        if options.wait_idle:
            seen = processes.wait_idle(longest_s=options.wait_idle)
            print(f"the machine's other jobs: {seen:.2f} cores busy before the run", flush=True)
        pids = {
            "Daphne": [server.process.pid for server in site.servers],
            "worker": [site.stack.worker.pid],
            "PostgreSQL": [site.stack.postgres.process.pid],
            "Redis": [site.stack.redis_pid],
        }
        cpu_before = {name: sum(processes.cpu_seconds(pid) for pid in ids) for name, ids in pids.items()}
        own_before = _own_cpu_s()
        busy_before, ticks_before = processes.machine_busy()
        started = time.monotonic()
        book = Book(grace_s=GRACE_S)
        print(f"{options.parties * options.players} players connecting and playing ...", flush=True)
        asyncio.run(play(site, parties, options, book))
        duration = time.monotonic() - started
        busy, ticks = processes.machine_busy()
        cores_total = (busy - busy_before) / max(1.0, ticks - ticks_before) * (os.cpu_count() or 1)
        cores = {name: (sum(processes.cpu_seconds(pid) for pid in ids) - cpu_before[name]) / duration for name, ids in pids.items()}
        cores["players (this process)"] = (_own_cpu_s() - own_before) / duration
        cores["others (not this benchmark)"] = max(0.0, cores_total - sum(cores.values()))
        cores["machine"] = cores_total
        measured = measure(book, parties)
        if options.log:
            options.log.write_bytes(site.stack.log.read_bytes())
        return Figures(
            parties=options.parties,
            players=options.players,
            rounds=options.rounds,
            servers=options.servers,
            guesses=measured["guesses"],
            guessed_ms=measured["guessed_ms"],
            guessed_each_ms=measured["guessed_each_ms"],
            rounds_ended=measured["rounds_ended"],
            reveal_ms=measured["reveal_ms"],
            reveal_by_guess_ms=measured["reveal_by_guess_ms"],
            reveal_by_clock_ms=measured["reveal_by_clock_ms"],
            not_seen=measured["not_seen"],
            not_revealed=measured["not_revealed"],
            errors=dict(book.errors),
            games_finished=book.games_finished,
            games_expected=options.parties * options.players,
            frames=book.frames,
            frame_kb=book.frame_bytes / 1024,
            duration_s=duration,
            server_peak_rss_mb=[processes.peak_rss_mb(server.process.pid) for server in site.servers],
            worker_peak_rss_mb=processes.peak_rss_mb(site.stack.worker.pid),
            cores=cores,
        )


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def table(figures: Figures) -> str:
    def row(name: str, values: dict[str, float], target: float | None = None) -> str:
        cells = " ".join(f"{_ms(values[p]):>7}" for p in ("p50", "p95", "p99", "max"))
        mark = ""
        if target is not None and values["n"]:
            mark = "  ok" if values["p95"] <= target else f"  over the {target:.0f} ms target"
        return f"{name:<34} {int(values['n']):>6} {cells}{mark}"

    f = figures
    lines = [
        f"{f.parties} parties of {f.players} players, {f.rounds} rounds, on {f.servers} Daphne processes; {f.duration_s:.0f} s",
        "",
        f"{'latency (ms)':<34} {'n':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}",
        row("guess -> every member 'guessed'", f.guessed_ms, TARGET_GUESSED_P95_MS),
        row("guess -> each member 'guessed'", f.guessed_each_ms),
        row("round's end -> everyone's reveal", f.reveal_ms, TARGET_REVEAL_P95_MS),
        row("  ended by the last guess", f.reveal_by_guess_ms),
        row("  ended by the clock", f.reveal_by_clock_ms),
        "",
        f"games finished: {f.games_finished} of {f.games_expected} players'; guesses never seen by some member: {f.not_seen}; "
        f"rounds whose end some member never saw: {f.not_revealed}",
        "errors: " + (", ".join(f"{name} x{count}" for name, count in sorted(f.errors.items())) or "none"),
        f"frames received: {f.frames} ({f.frame_kb / max(1, f.frames) * 1024:.0f} bytes on average)",
        "Daphne peak memory (VmHWM): "
        + ", ".join(f"{mb:.0f}" for mb in f.server_peak_rss_mb)
        + f" MB; worker {f.worker_peak_rss_mb:.0f} MB",
        "CPU, in cores busy on average: " + ", ".join(f"{name} {cores:.2f}" for name, cores in f.cores.items()),
    ]
    return "\n".join(lines)


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}"


def main(argv: list[str] | None = None) -> int:
    options = get_args_parser().parse_args(argv)
    missing = missing_services()
    if missing:
        print("the benchmark needs: " + "; ".join(missing), file=sys.stderr)
        return 2
    os.environ["GUESS_GRACE_SECONDS"] = str(GRACE_S)  # the site's processes inherit it
    figures = run(options)
    print(table(figures))
    if options.json:
        options.json.write_text(json.dumps(asdict(figures), indent=2))
    return 0
