"""Reads of the ratings: an account's rating and its history, the ranked leaderboard, worldNET's versions.

Only accounts are ranked: a guest has no rating, and a replayed challenge is never rated (``receivers``).
The leaderboard is ordered by the rating shown (``mu``), ties by the surer rating (smaller ``sigma``);
a provisional rating (``ratings.PROVISIONAL_SIGMA``) is marked, not hidden.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from geoguess.accounts.models import Rating, RatingChange
from geoguess.accounts.ratings import is_provisional, shown
from geoguess.opponent.models import ModelVersion
from geoguess.opponent.selectors import set_players


@dataclass(frozen=True)
class RatingView:
    """A rating as pages show it."""

    rating: int
    provisional: bool
    games: int
    wins: int
    losses: int
    draws: int

    @classmethod
    def of(cls, rating: Rating) -> RatingView:
        return cls(shown(rating.mu), is_provisional(rating.sigma), rating.games, rating.wins, rating.losses, rating.draws)


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    username: str
    rating: RatingView


@dataclass(frozen=True)
class VersionRating:
    name: str
    image_sets: list[str]
    is_active: bool
    rating: RatingView | None


def rating_of(account_id: int) -> RatingView | None:
    """The account's rating; None before its first rated duel."""
    rating = Rating.objects.filter(account_id=account_id).first()
    return RatingView.of(rating) if rating is not None and rating.games else None


def rating_history(account_id: int) -> list[tuple[datetime, float]]:
    """(when, ``mu`` after) for each rated duel, oldest first, from the start (the first point is the rating before
    the first duel, at that duel's time): the profile's chart. Empty before the first rated duel."""
    changes = RatingChange.objects.filter(rating__account_id=account_id).order_by("at", "id")
    points = list(changes.values_list("at", "mu_before", "mu_after"))
    if not points:
        return []
    return [(points[0][0], points[0][1])] + [(at, after) for at, _, after in points]


def ranked_leaderboard(limit: int = 50) -> list[LeaderboardRow]:
    """Accounts with at least one rated duel, best first (equal shown ratings share a rank); not those whose
    owners hid their profile (its rating and record are part of it)."""
    ratings = (
        Rating.objects.filter(account__isnull=False, games__gt=0)
        .exclude(account__profile__public=False)
        .select_related("account")
        .order_by("-mu", "sigma", "account_id")[: max(0, limit)]
    )
    rows: list[LeaderboardRow] = []
    for position, rating in enumerate(ratings, start=1):
        view = RatingView.of(rating)
        same = bool(rows) and rows[-1].rating.rating == view.rating
        assert rating.account is not None  # the filter
        rows.append(LeaderboardRow(rows[-1].rank if same else position, rating.account.get_username(), view))
    return rows


def version_ratings() -> list[VersionRating]:
    """Every worldNET version, best rated first, then those not rated yet (newest first): "worldNET v3 on Europe: 1,540".

    Its image sets are those it plays now (``opponent.selectors.set_players``), else those it was trained for.
    """
    playing: dict[int, list[str]] = defaultdict(list)
    for image_set, player, _own in set_players():
        if player is not None:
            playing[player.pk].append(image_set.name)
    versions = ModelVersion.objects.select_related("rating").prefetch_related("image_sets").order_by("-created_at")
    rows: list[VersionRating] = []
    for version in versions:
        rating = getattr(version, "rating", None)
        view = RatingView.of(rating) if rating is not None and rating.games else None
        sets = playing.get(version.pk) or sorted(s.name for s in version.image_sets.all())
        rows.append(VersionRating(version.name, sets, version.is_active, view))
    return sorted(rows, key=lambda row: -row.rating.rating if row.rating else float("inf"))
