"""Milliseconds per round-image request: a round's first request, and the requests after it (reloads).

    .venv/bin/python benchmarks/round_image.py [--games 4] [--reloads 5]

Imports 12 camera-size photos (4000×3000, so the served copies are the default 1600 px) into a
fresh database and media folder under a temporary directory, starts ``--games`` classic games
through Django's test client (the whole request path: middleware, session, view), and asks for each
round's image once, then ``--reloads`` times more. Then it marks each round guessed with a small
activation map and asks for its attention overlay the same way. It prints the median and mean of
each, so the figure covers whatever the view does on a round's first request and on the later ones.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from django.test import Client
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_throughput import throwaway_site, write_zip  # noqa: E402 - a fresh site, and photos the way the import benchmark makes them


def timed_ms(client: Client, url: str, sizes: list[int]) -> float:
    """One GET of ``url``, its whole body read, in milliseconds (its size appended to ``sizes``)."""
    started = time.perf_counter()
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and body[:2] == b"\xff\xd8", (url, response.status_code)
    sizes.append(len(body))
    return elapsed


def heatmap_png() -> bytes:
    """A 6×8 activation map, as a prediction stores one (an 8-bit grey PNG)."""
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, size=(6, 8), dtype=np.uint8), "L").save(buffer, format="PNG")
    return buffer.getvalue()


def report(label: str, times: list[float]) -> None:
    print(f"{label:<34} {len(times):>4} requests: median {statistics.median(times):6.1f} ms, mean {statistics.fmean(times):6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", type=int, default=4, help="classic games of 5 rounds (default 4)")
    parser.add_argument("--reloads", type=int, default=5, help="requests after each round's first (default 5)")
    args = parser.parse_args()
    with throwaway_site(prefix="round-image-bench-") as folder:
        from django.test.utils import setup_test_environment
        from django.utils import timezone

        from geoguess.game.models import Game, Round
        from geoguess.imagesets.services import imageset_import

        setup_test_environment()  # lets the test client's host in
        image_set = imageset_import(name="bench", source=write_zip(folder / "photos.zip", 12, (4000, 3000)))
        print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, served copies of at most 1600 px")
        first: list[float] = []
        later: list[float] = []
        attention_first: list[float] = []
        attention_later: list[float] = []
        sizes: list[int] = []
        attention_sizes: list[int] = []
        for number in range(args.games):
            client = Client()
            started = client.post("/", {"image_set": image_set.pk, "player_name": f"Bench {number}", "time_limit": 0})
            game = Game.objects.get(public_id=started["Location"].split("/")[2])
            for round in game.rounds.all():
                url = f"/round-image/{round.image_token}"
                first.append(timed_ms(client, url, sizes))
                later += [timed_ms(client, url, sizes) for _ in range(args.reloads)]
            # The attention overlay is shown after the guess: mark the rounds guessed, with a map of where worldNET looked.
            game.rounds.update(guessed_at=timezone.now(), worldnet_heatmap=heatmap_png())
            for round in Round.objects.filter(game=game):
                url = f"/game/{game.public_id}/round/{round.index}/attention.jpg"
                attention_first.append(timed_ms(client, url, attention_sizes))
                attention_later += [timed_ms(client, url, attention_sizes) for _ in range(args.reloads)]
        kilobytes = statistics.fmean(sizes) / 1e3, statistics.fmean(attention_sizes) / 1e3
        print("on average: round images {:.0f} kB, attention overlays {:.0f} kB".format(*kilobytes))
        report("round image, first request", first)
        report("round image, later requests", later)
        report("attention overlay, first request", attention_first)
        report("attention overlay, later requests", attention_later)


if __name__ == "__main__":
    main()
