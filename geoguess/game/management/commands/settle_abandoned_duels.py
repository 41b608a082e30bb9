"""``manage.py settle_abandoned_duels``: plays out the rated duels their players left.

An account's duel left alone (no round shown, no guess) for ``rules.DUEL_ABANDONED_AFTER_MINUTES`` is played
out by its clock: every round left times out, worldNET scores its stored guesses, the damage is dealt, until a
side is knocked out (``geoguess/game/abandoned_duels.py``); the duel is then rated, so leaving a losing duel
costs what losing it would. Celery beat runs the same every few minutes (``CELERY_BEAT_SCHEDULE``); this
command is for a deployment that runs no beat (cron, a systemd timer), on one machine.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from geoguess.game.abandoned_duels import abandoned_duels_settle


class Command(BaseCommand):
    help = "Play out by their clock the rated duels left alone for a while (they are then rated)."

    def handle(self, *args: Any, **options: Any) -> None:
        settled = abandoned_duels_settle()
        self.stdout.write(
            f"played out {settled.ended} abandoned duel(s); {settled.left_open} left as they were "
            "(a player back, a round with no clock, or an error: logged)"
        )
