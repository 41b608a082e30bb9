"""``manage.py settle_abandoned_duels [--idle-minutes 30]``: plays out the duels their players left.

A duel left alone (no round shown, no guess) for ``--idle-minutes`` is played out by its clock: every
round left times out, worldNET scores its stored guesses, the damage is dealt, until a side is knocked
out (``geoguess/game/abandoned_duels.py``). An account's ranked duel is then rated, so leaving a losing
duel costs what losing it would. Run it every few minutes (cron, a systemd timer), on one machine.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geoguess.game.abandoned_duels import ABANDONED_AFTER, abandoned_duels_settle


class Command(BaseCommand):
    help = "Play out by their clock the duels left alone for a while (an account's ranked duel is then rated)."

    def add_arguments(self, parser: CommandParser) -> None:
        default = ABANDONED_AFTER.total_seconds() / 60
        parser.add_argument(
            "--idle-minutes", type=float, default=default, help=f"a duel untouched for this long is played out (default {default:g})"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        idle = options["idle_minutes"]
        if not idle >= 1:  # also refuses NaN: a duel whose round is on screen must never be played out under the player
            raise CommandError("--idle-minutes must be at least 1")
        settled = abandoned_duels_settle(idle=timedelta(minutes=idle))
        self.stdout.write(
            f"played out {settled.ended} abandoned duel(s); {settled.left_open} left as they were (a round with no clock, or a player back)"
        )
