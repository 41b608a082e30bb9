"""How long worldNET takes to lock in, in duels against the active model version of a site.

    .venv/bin/python benchmarks/duel_lock_in.py            # the site of `make play` (var/)
    GEOGUESS_VAR_DIR=/path/to/var .venv/bin/python benchmarks/duel_lock_in.py

Reads the active version's stored predictions (their top candidate's probability, the
confidence a duel uses) and prints their spread and that of the lock-in delay, one draw
per prediction, as ``geoguess.rules.lock_in_delay_s`` gives it in a round.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoguess.settings")
os.environ.setdefault("DEBUG", "1")  # reads a database only: no secret key needed


def main() -> int:
    import django

    django.setup()
    from geoguess.opponent.models import Prediction
    from geoguess.opponent.selectors import active_version
    from geoguess.rules import lock_in_delay_s

    version = active_version()
    if version is None:
        print("no active model version: run `make play` once (it trains the demo worldNET), or activate one")
        return 1
    confidences = np.array([top[0][1] for top in Prediction.objects.filter(model_version=version).values_list("top", flat=True) if top])
    if not len(confidences):
        print(f"{version.name}: no stored predictions yet")
        return 1
    draws = random.Random(0)
    delays = np.array([lock_in_delay_s(confidence=float(c), draw=draws.random()) for c in confidences])
    print(f"{version.name}: {len(confidences)} stored predictions")
    low, high = np.percentile(confidences, [10, 90])
    print(f"confidence (top candidate): median {np.median(confidences):.2f}, 10th-90th percentile {low:.2f}-{high:.2f}")
    low, high = np.percentile(delays, [10, 90])
    print(
        f"lock-in: median {np.median(delays):.1f} s, 10th-90th percentile {low:.1f}-{high:.1f} s, "
        f"range {delays.min():.1f}-{delays.max():.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
