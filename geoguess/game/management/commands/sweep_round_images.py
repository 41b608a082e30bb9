"""``manage.py sweep_round_images [--older-than-days 7]``: removes round images no one needs any more.

Round images are made once, on a round's first request, and kept (``geoguess/game/round_image_files.py``).
Deleting a round (with its game, photo or image set) removes its files already; this sweep removes
what that cannot reach: files older than ``--older-than-days`` (a played game's images are rarely
asked for again, and the next request that asks makes them again, the same bytes), files of rounds
that are gone (a request that made one as its round was deleted; another machine's copy), and a
killed writer's temporary files. Run it daily (cron, a systemd timer), on every web machine whose
media folder is its own.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from geoguess.game.round_image_files import round_files_sweep, rounds_root


class Command(BaseCommand):
    help = "Remove round images that are old or whose rounds are gone (they are made again when asked for)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-days", type=float, default=7.0, help="remove images made longer ago than this, in days (default 7)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        removed = round_files_sweep(older_than=timedelta(days=options["older_than_days"]))
        self.stdout.write(f"removed {removed} round image file(s) from {rounds_root()}")
