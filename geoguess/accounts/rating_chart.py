"""A rating's history as the numbers of a small inline SVG chart (no chart library, no script), as the duel's
health chart is drawn (``game/health_chart.py``); ``templates/accounts/_rating_chart.html`` draws it.

x is the duel's number (evenly spaced: a month without duels is not a flat line), y the rating between the
history's lowest and highest, rounded out to ``STEP`` so that the axis reads in whole hundreds.

    >>> from datetime import datetime
    >>> at = datetime(2025, 1, 1)
    >>> chart = rating_chart([(at, 1500.0), (at, 1658.1), (at, 1560.0)], width=200, height=100)
    >>> chart["points"], chart["top"], chart["bottom"], chart["duels"]
    ('0,100 100,21 200,70', 1700, 1500, 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

#: The axis' labels are multiples of this.
STEP = 100


def rating_chart(history: Sequence[tuple[datetime, float]], *, width: int = 320, height: int = 120) -> dict:
    """``history``: (when, rating) from the start and after each rated duel (``rating_selectors.rating_history``).

    Returns the polyline's ``points``, the size, the axis' ``top`` and ``bottom`` ratings, the first and last
    rating shown (``start``, ``now``) and how many ``duels``; ``empty`` when there is nothing to draw.
    """
    ratings = [mu for _, mu in history]
    if not ratings:
        return {"empty": True, "width": width, "height": height, "points": "", "duels": 0}
    bottom = math.floor(min(ratings) / STEP) * STEP
    top = max(math.ceil(max(ratings) / STEP) * STEP, bottom + STEP)
    steps = max(1, len(ratings) - 1)

    def at(i: int, mu: float) -> str:
        x = round(width * i / steps, 1)
        y = round(height * (top - mu) / (top - bottom), 1)
        return f"{x:g},{y:g}"

    return {
        "empty": False,
        "width": width,
        "height": height,
        "points": " ".join(at(i, mu) for i, mu in enumerate(ratings)),
        "top": top,
        "bottom": bottom,
        "start": round(ratings[0]),
        "now": round(ratings[-1]),
        "duels": len(ratings) - 1,
    }
