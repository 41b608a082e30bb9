"""Health over a duel's rounds as the numbers of a small inline SVG chart (no chart library, no script).

The summary's template draws it; CSS colours it (the site's CSP allows no inline styles).

    >>> chart = health_chart([(6000, 6000), (6000, 4000), (3000, 4000)], width=200, height=100)
    >>> chart["player"], chart["worldnet"]
    ('0,0 100,0 200,50', '0,0 100,33.3 200,33.3')
"""

from __future__ import annotations

from collections.abc import Sequence

from geoguess.rules import START_HEALTH


def health_chart(states: Sequence[tuple[int, int]], *, width: int = 320, height: int = 120) -> dict:
    """``states``: (player, worldNET) health at the start and after each round.

    Returns the polylines' ``points`` (x by round, y from full health at the top to 0 at the
    bottom), the size, and a tick per round for the axis.
    """
    steps = max(1, len(states) - 1)

    def at(i: int, health: int) -> str:
        x = round(width * i / steps, 1)
        y = round(height * (1 - max(0, health) / START_HEALTH), 1)
        return f"{x:g},{y:g}"

    return {
        "width": width,
        "height": height,
        "player": " ".join(at(i, p) for i, (p, _) in enumerate(states)),
        "worldnet": " ".join(at(i, w) for i, (_, w) in enumerate(states)),
        "ticks": [{"x": round(width * i / steps, 1), "label": i} for i in range(1, len(states))],
        "rounds": len(states) - 1,
    }
