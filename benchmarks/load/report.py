"""A load test's figures as the runner prints them: one table per run, one line per player count of a curve."""

from __future__ import annotations

import math

from benchmarks.load.bench import TARGET_KINDS, TARGET_P95_MS, Result


def table(result: Result) -> str:
    load = result.load
    lines = [
        f"{load.players} players, think time {load.think_ms:.0f} ms on average, {load.run_time_s} s "
        f"(figures after all were spawned); {result.web}, PostgreSQL, Redis, 1 inference worker",
        "",
        f"{'request kind':<18} {'requests':>9} {'failed':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'req/s':>7}",
    ]
    for kind in sorted(result.kinds, key=lambda kind: -kind.requests) + [result.total]:
        name = "all" if kind is result.total else kind.name
        mark = ""
        if kind.name in TARGET_KINDS:
            mark = "  ok" if kind.p95_ms <= TARGET_P95_MS else f"  over the {TARGET_P95_MS:.0f} ms target"
        lines.append(
            f"{name:<18} {kind.requests:>9} {kind.failures:>7} {_ms(kind.p50_ms):>7} {_ms(kind.p95_ms):>7} "
            f"{_ms(kind.p99_ms):>7} {_ms(kind.max_ms):>7} {kind.per_s:>7.1f}{mark}"
        )
    share = result.worldnet_stored_share
    seen = sum(result.worldnet_at_reveal.values())
    lines += [
        "",
        f"errors: {result.total.failures} of {result.total.requests} requests"
        + "".join(f"\n  {failure}" for failure in result.failures[:8]),
        "reveals with worldNET's guess already stored: "
        + (f"{100 * share:.1f}% of {seen} (target 100%)" if share is not None else "no guess was made"),
        "web workers' peak memory (VmHWM): "
        + (", ".join(f"{mb:.0f}" for mb in sorted(result.web_peak_rss_mb)) + " MB" if result.web_peak_rss_mb else "unknown"),
        "CPU, in cores busy on average: " + ", ".join(f"{name} {cores:.2f}" for name, cores in result.cores.items()),
    ]
    return "\n".join(lines)


def curve_line(result: Result) -> str:
    cells = [f"{result.load.players:>7}", f"{result.rounds_per_s:>8.1f}", f"{result.game_per_s:>8.1f}", f"{result.total.per_s:>7.1f}"]
    cells.append(f"{result.total.failures:>6}")
    for name in TARGET_KINDS:
        kind = result.kind(name)
        cells.append(f"{_ms(kind.p95_ms) if kind else '-':>8}")
    share = result.worldnet_stored_share
    cells.append(f"{100 * share:>6.1f}%" if share is not None else "      -")
    cores = result.cores
    cells += [f"{cores.get('web', 0):>5.2f}", f"{cores.get('PostgreSQL', 0):>5.2f}", f"{cores.get('Locust', 0):>6.2f}"]
    cells.append(f"{cores.get('others', 0):>6.2f}")
    return " ".join(cells)


def curve_header() -> str:
    """Rounds/s: guesses stored; game req/s: without static files and map data; then p95 (ms) and CPU (cores)."""
    names = " ".join(f"{name.split()[-1]:>8}" for name in TARGET_KINDS)  # page, image, guess, summary
    return (
        f"{'players':>7} {'rounds/s':>8} {'game r/s':>8} {'all r/s':>7} {'failed':>6} {names} {'stored':>7} "
        f"{'web':>5} {'PG':>5} {'Locust':>6} {'others':>6}"
    )


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}"
