"""Ratings of accounts and of worldNET's versions: OpenSkill's Plackett–Luce model on a 1,500 scale.

Why OpenSkill (and not Glicko-2): it is maintained, MIT-licensed and pure Python (web processes stay
free of PyTorch), and one model rates a 1-v-1 duel and a game of many players alike, so a battle royale
can be rated later with the same numbers. Plackett–Luce is its general model for ranked outcomes.

The scale is the library's defaults times 60 (``mu`` 25 → 1,500, ``sigma`` 25/3 → 500, ``beta`` 25/6 → 250,
``tau`` 25/300 → 5): numbers like chess ratings, the maths unchanged. A rating shown is ``round(mu)``;
while ``sigma`` is above ``PROVISIONAL_SIGMA`` (the first few duels) it is marked provisional ("?"), as
lichess does, since one lucky win moves a new rating by about 160.

    >>> model = MODEL
    >>> [[winner], [loser]] = model.rate([[model.rating()], [model.rating()]], ranks=[1, 2])
    >>> round(winner.mu), round(loser.mu)
    (1658, 1342)

``rate_duel`` rates one finished duel once (its ``game_key``): two transactions for the same duel rate it
once, whichever commits first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from openskill.models import PlackettLuce

from geoguess.accounts.models import Rating, RatingChange
from geoguess.opponent.models import ModelVersion

START_MU = 1500.0
START_SIGMA = 500.0
BETA = 250.0
TAU = 5.0
#: Above this ``sigma`` a rating is provisional (its first ~6 duels): shown with a "?".
PROVISIONAL_SIGMA = 350.0

MODEL = PlackettLuce(mu=START_MU, sigma=START_SIGMA, beta=BETA, tau=TAU)

Outcome = Literal["first", "second", "draw"]
RESULTS: dict[Outcome, tuple[str, str]] = {"first": ("win", "loss"), "second": ("loss", "win"), "draw": ("draw", "draw")}
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Side:
    """One side of a duel: an account or a worldNET version (exactly one), and how the other side's record names it."""

    label: str
    account_id: int | None = None
    model_version_id: int | None = None


def account_side(account: AbstractBaseUser) -> Side:
    return Side(label=account.get_username(), account_id=account.pk)


def version_side(version: ModelVersion) -> Side:
    return Side(label=f"worldNET {version.name}", model_version_id=version.pk)


def shown(mu: float) -> int:
    """The rating a page shows: ``mu`` rounded."""
    return round(mu)


def is_provisional(sigma: float) -> bool:
    return sigma > PROVISIONAL_SIGMA


def rating_for(side: Side) -> Rating:
    """The side's rating, made at the scale's start the first time it is rated (a race to make it: the first wins)."""
    lookup = {"account_id": side.account_id} if side.account_id is not None else {"model_version_id": side.model_version_id}
    rating, _ = Rating.objects.get_or_create(**lookup, defaults={"mu": START_MU, "sigma": START_SIGMA})
    return rating


def rate_duel(*, game_key: str, first: Side, second: Side, outcome: Outcome) -> bool:
    """Rates one finished duel between ``first`` and ``second``: both ratings move, each gets a ``RatingChange``.

    Once per ``game_key``: a duel already rated (the signal sent twice, two servers) changes nothing and
    returns False. Both rows are locked in id order (no deadlock between two duels of the same pair), and
    the unique (rating, game_key) constraint is the last word where locks are not kept (SQLite).
    """
    if first == second or (first.account_id is not None and first.account_id == second.account_id):
        raise ValueError("a duel is rated between two different sides")
    try:
        with transaction.atomic():
            return _rate(game_key, first, second, outcome)
    except IntegrityError:
        logger.info("duel %s was rated by another transaction", game_key)
        return False


def _rate(game_key: str, first: Side, second: Side, outcome: Outcome) -> bool:
    ids = [rating_for(first).pk, rating_for(second).pk]
    locked = {r.pk: r for r in Rating.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    ratings = [locked[pk] for pk in ids]
    if RatingChange.objects.filter(rating__in=ratings, game_key=game_key).exists():
        return False
    ranks: list[float] = {"first": [1.0, 2.0], "second": [2.0, 1.0], "draw": [1.0, 1.0]}[outcome]
    teams = MODEL.rate([[MODEL.rating(mu=r.mu, sigma=r.sigma)] for r in ratings], ranks=ranks)
    for rating, (after,), result, other in zip(ratings, teams, RESULTS[outcome], (second, first), strict=True):
        RatingChange.objects.create(
            rating=rating,
            game_key=game_key,
            opponent=other.label[: RatingChange._meta.get_field("opponent").max_length],
            result=result,
            mu_before=rating.mu,
            mu_after=after.mu,
            sigma_after=after.sigma,
        )
        rating.mu, rating.sigma, rating.games = after.mu, after.sigma, rating.games + 1
        tally = {"win": "wins", "loss": "losses", "draw": "draws"}[result]
        setattr(rating, tally, getattr(rating, tally) + 1)
        rating.save(update_fields=["mu", "sigma", "games", tally, "updated_at"])
    return True
