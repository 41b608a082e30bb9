"""``manage.py sweep_party_images [--older-than-days 7]``: removes party round images no one needs any more.

A member's image of a party round is made on its first request and kept under ``MEDIA_ROOT/party-rounds/<party>/``
(``geoguess/party/round_images.py``); deleting a party removes its folder. This sweep removes what that cannot
reach: files older than ``--older-than-days`` (the next request that asks makes them again, the same bytes),
files of parties or rounds that are gone, and a killed writer's temporary files. Run it daily beside
``sweep_round_images`` (cron, a systemd timer), on every web machine whose media folder is its own.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from geoguess.party.round_images import party_files_sweep, party_rounds_root


class Command(BaseCommand):
    help = "Remove party round images that are old or whose parties are gone (they are made again when asked for)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-days", type=float, default=7.0, help="remove images made longer ago than this, in days (default 7)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        removed = party_files_sweep(older_than=timedelta(days=options["older_than_days"]))
        self.stdout.write(f"removed {removed} party round image file(s) from {party_rounds_root()}")
