"""Duel records of an image set (reads only): who beat worldNET, by how much, and how often worldNET wins.

Like the classic leaderboard, only first plays count: a replayed challenge can know every answer
(see ``services.leaderboard``), so it is ranked among its challenge's results alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, QuerySet

from geoguess.game.models import DUEL, Game
from geoguess.imagesets.models import ImageSet


@dataclass(frozen=True)
class WorldnetRecord:
    duels: int
    worldnet_wins: int

    @property
    def win_rate(self) -> float | None:
        """worldNET's share of the finished duels it won (a draw is no win); None before any duel."""
        return self.worldnet_wins / self.duels if self.duels else None


def _finished_duels(image_set: ImageSet) -> QuerySet[Game]:
    return Game.objects.filter(image_set=image_set, mode=DUEL, ranked=True, finished_at__isnull=False)


def duel_winners(*, image_set: ImageSet, limit: int = 10) -> list[Game]:
    """The players who beat worldNET on ``image_set``, the most health left first (the biggest win leads)."""
    won = _finished_duels(image_set).filter(player_health__gt=F("worldnet_health"))
    return list(won.order_by("-player_health", "worldnet_health", "finished_at")[:limit])


def worldnet_record(*, image_set: ImageSet) -> WorldnetRecord:
    """How many finished duels worldNET played on ``image_set``, and how many it won."""
    duels = _finished_duels(image_set)
    return WorldnetRecord(duels=duels.count(), worldnet_wins=duels.filter(worldnet_health__gt=F("player_health")).count())
