"""The saturation curve: p95 of the key kinds of request and requests per second against the number of players.

One PNG of two panels (``docs/load-curve.png`` by default) and the points as JSON beside it, so that
the figures in docs/ can be checked against the drawing.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from benchmarks.load.bench import TARGET_KINDS, TARGET_P95_MS, Result


def points(results: list[Result]) -> list[dict[str, object]]:
    return [
        {
            "players": result.load.players,
            "requests_per_s": round(result.total.per_s, 1),
            "game_requests_per_s": round(result.game_per_s, 1),
            "rounds_per_s": round(result.rounds_per_s, 1),
            "failures": result.total.failures,
            "requests": result.total.requests,
            "p95_ms": {kind.name: kind.p95_ms for kind in result.kinds},
            "p50_ms": {kind.name: kind.p50_ms for kind in result.kinds},
            "worldnet_stored_share": result.worldnet_stored_share,
            "cores": {name: round(cores, 2) for name, cores in result.cores.items()},
            "web_peak_rss_mb": max(result.web_peak_rss_mb, default=None),
            "load": asdict(result.load),
            "web": result.web,
        }
        for result in results
    ]


def draw(results: list[Result], png: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # a file, no display
    import matplotlib.pyplot as plt

    players = [result.load.players for result in results]
    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name in TARGET_KINDS:
        p95 = [kind.p95_ms if (kind := result.kind(name)) else float("nan") for result in results]
        latency.plot(players, p95, marker="o", label=name)
    latency.axhline(TARGET_P95_MS, color="grey", linestyle="--", linewidth=1, label=f"target {TARGET_P95_MS:.0f} ms")
    latency.set(xscale="log", yscale="log", xlabel="players (500 ms think time)", ylabel="p95 latency (ms)", title="p95 by request kind")
    latency.set_xticks(players, [str(n) for n in players])
    latency.legend(fontsize=8)
    latency.grid(True, which="both", alpha=0.3)
    throughput.plot(players, [result.game_per_s for result in results], marker="o", color="black", label="game requests")
    throughput.plot(players, [result.rounds_per_s for result in results], marker="s", color="tab:green", label="rounds (guesses)")
    failed = [result.total.failures / max(1, result.load.run_time_s) for result in results]
    throughput.plot(players, failed, marker="x", color="red", label="failed requests")
    throughput.set(xscale="log", xlabel="players", ylabel="requests per second", title="throughput (no static files or map data)")
    throughput.set_xticks(players, [str(n) for n in players])
    throughput.set_ylim(bottom=0)
    throughput.legend(fontsize=8)
    throughput.grid(True, which="both", alpha=0.3)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png, dpi=100)
    plt.close(figure)
    png.with_suffix(".json").write_text(json.dumps(points(results), indent=1) + "\n")
