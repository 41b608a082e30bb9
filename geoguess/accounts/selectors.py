"""Reads of accounts (HackSoft's selectors): a profile's figures, its history, accuracy by place, its map.

Everything is read from the account's finished games and what their rounds stored when they were
scored (points, distance, the answer's country and continent): nothing is recomputed, so a photo
corrected later does not rewrite a player's history.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Max, Q, QuerySet

from geoguess.game.models import CLASSIC, DAILY, DUEL, STREAK, Game, Round
from geoguess.rules import ROUNDS_PER_GAME
from worldnet_core.land import country_name

#: Modes whose rounds are scored in points (a country streak's rounds are right or wrong).
POINT_MODES = (CLASSIC, DAILY, DUEL)


@dataclass(frozen=True)
class DuelRecord:
    won: int
    lost: int
    drawn: int
    #: The health left in the account's best win (None: no win yet).
    best_health_left: int | None

    @property
    def played(self) -> int:
        return self.won + self.lost + self.drawn


@dataclass(frozen=True)
class PlaceAccuracy:
    """How the account guessed photos taken in one country or continent."""

    name: str
    rounds: int
    mean_points: float
    #: None when no round there had a pin (every one timed out): no distance to average, shown "–".
    mean_km: float | None


def finished_games(account: Any) -> QuerySet[Game]:
    return Game.objects.filter(account=account, finished_at__isnull=False)


def played_rounds(account: Any) -> QuerySet[Round]:
    """The account's scored rounds of finished and unfinished games, newest game first."""
    return (
        Round.objects.filter(game__account=account, guessed_at__isnull=False)
        .select_related("game", "game__image_set")
        .order_by("-game__created_at", "game_id", "index")
    )


def profile_summary(account: Any) -> dict[str, Any]:
    """What anyone may see of a public profile: how much and how well the account has played."""
    games = finished_games(account)
    point_rounds = Round.objects.filter(game__account=account, game__mode__in=POINT_MODES, guessed_at__isnull=False)
    figures = point_rounds.aggregate(rounds=Count("id"), mean_points=Avg("points"), mean_km=Avg("distance_km"))
    # Among games of the usual length (a daily challenge's too): ten rounds can score twice what five can.
    best = games.filter(mode__in=(CLASSIC, DAILY), rounds_chosen=ROUNDS_PER_GAME).order_by("-total_points", "finished_at").first()
    return {
        "games": games.filter(mode__in=(CLASSIC, DAILY)).count(),
        "duels": games.filter(mode=DUEL).count(),
        "streak_runs": games.filter(mode=STREAK).count(),
        "rounds": figures["rounds"],
        "mean_points": figures["mean_points"],
        "mean_km": figures["mean_km"],
        "best_game": best,
        "duel_record": duel_record(account),
    }


def duel_record(account: Any) -> DuelRecord:
    """The account's finished duels against worldNET: won, lost, drawn, and the most health left in a win."""
    duels = finished_games(account).filter(mode=DUEL)
    won = duels.filter(player_health__gt=F("worldnet_health"))
    counts = duels.aggregate(
        won=Count("id", filter=Q(player_health__gt=F("worldnet_health"))),
        lost=Count("id", filter=Q(player_health__lt=F("worldnet_health"))),
        drawn=Count("id", filter=Q(player_health=F("worldnet_health"))),
    )
    return DuelRecord(
        won=counts["won"], lost=counts["lost"], drawn=counts["drawn"], best_health_left=won.aggregate(m=Max("player_health"))["m"]
    )


def accuracy_by(account: Any, field: str) -> list[PlaceAccuracy]:
    """Accuracy by the answer's ``truth_country`` or ``truth_continent``, the most played first (photos at sea left out)."""
    rows = (
        Round.objects.filter(game__account=account, game__mode__in=POINT_MODES, guessed_at__isnull=False)
        .exclude(**{field: ""})
        .values(field)
        .annotate(rounds=Count("id"), mean_points=Avg("points"), mean_km=Avg("distance_km"))
        .order_by("-rounds", field)
    )
    return [
        PlaceAccuracy(
            country_name(row[field]),
            row["rounds"],
            float(row["mean_points"] or 0),
            None if row["mean_km"] is None else float(row["mean_km"]),
        )
        for row in rows
    ]


def guess_map_points(account: Any, limit: int = 500) -> list[dict[str, float | None]]:
    """Where the account's last ``limit`` scored photos were taken, and how well it guessed each (points):
    the profile's map colours them from bad to good. The owner's page only: they are answers it has seen."""
    rounds = (
        Round.objects.filter(game__account=account, game__mode__in=POINT_MODES, guessed_at__isnull=False, truth_lat__isnull=False)
        .order_by("-guessed_at")
        .values_list("truth_lat", "truth_lon", "points", "distance_km")[:limit]
    )
    return [
        {"lat": lat, "lon": lon, "points": points or 0, "km": round(km, 1) if km is not None else None} for lat, lon, points, km in rounds
    ]


HISTORY_COLUMNS = [
    "game",
    "played_at",
    "mode",
    "image_set",
    "round",
    "country",
    "continent",
    "true_lat",
    "true_lon",
    "guess_lat",
    "guess_lon",
    "distance_km",
    "points",
    "worldnet_distance_km",
    "worldnet_points",
]


def history_rows(account: Any) -> Iterator[list[object]]:
    """Every scored round of the account, one row each (``HISTORY_COLUMNS``): the CSV export."""
    for played in played_rounds(account).iterator(chunk_size=500):
        game = played.game
        yield [
            game.public_id,
            played.guessed_at.isoformat() if played.guessed_at else "",
            game.mode,
            game.image_set.name,
            played.index + 1,
            country_name(played.truth_country) if played.truth_country else "",  # as the pages name it
            played.truth_continent,
            played.truth_lat,
            played.truth_lon,
            played.guess_lat,
            played.guess_lon,
            None if played.distance_km is None else round(played.distance_km, 3),
            played.points,
            None if played.worldnet_distance_km is None else round(played.worldnet_distance_km, 3),
            played.worldnet_points,
        ]


#: The free-text columns: a spreadsheet must not run them (``views.history_csv``).
HISTORY_TEXT_COLUMNS = frozenset({"image_set", "country", "continent"})


def recent_games(account: Any, limit: int = 20) -> list[Game]:
    """The account's last games, finished or not, with their image set."""
    return list(Game.objects.filter(account=account).select_related("image_set").order_by("-created_at")[:limit])
