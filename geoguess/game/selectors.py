"""Reads of the game (HackSoft's selectors): games and rounds by their public ids, leaderboards, duel records,
the daily challenge's tries, leaderboard and streaks.

Views read through these and write through ``services``; neither queries on its own. Only first plays
are ranked: whoever replays a challenge can know every answer (play a game, accept your own challenge in
a fresh session, answer from the first game's reveals: 25,000 points), so a replay is ranked among its
challenge's results alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Max, Q, QuerySet

from geoguess import rules
from geoguess.game.errors import Code, GameError
from geoguess.game.models import CLASSIC, DAILY, DUEL, STREAK, DailyChallenge, Game, Round
from geoguess.imagesets.models import ImageSet
from geoguess.imagesets.selectors import imageset_coverage_cells
from geoguess.opponent.selectors import active_version_for

# --- one game, one round -------------------------------------------------------------------------


def game_for_owner(*, public_id: str, owner_key: str, account_id: int | None = None) -> Game:
    """The game ``public_id`` of the player holding ``owner_key`` (or of the signed-in account ``account_id``,
    on any device); 404 for no game, 403 for another player's."""
    game = Game.objects.select_related("image_set", "challenge_of").filter(public_id=public_id).first()
    if game is None:
        raise GameError(Code.GAME_NOT_FOUND, "no such game", status=404)
    if not is_owner(game, owner_key=owner_key, account_id=account_id):
        raise GameError(Code.NOT_YOUR_GAME, "this game belongs to another player", status=403)
    return game


def is_owner(game: Game, *, owner_key: str, account_id: int | None) -> bool:
    """Whether the game was started in the session holding ``owner_key``, or by the signed-in account ``account_id``."""
    by_key = bool(owner_key) and game.owner_key == owner_key
    return by_key or (game.account_id is not None and game.account_id == account_id)


def game_by_public_id(*, public_id: str) -> Game | None:
    return Game.objects.select_related("image_set").filter(public_id=public_id).first()


def finished_game(*, public_id: str) -> Game | None:
    """A finished game, as a challenge link names it."""
    return Game.objects.select_related("image_set").filter(public_id=public_id, finished_at__isnull=False).first()


def round_count(game: Game) -> int:
    """How many rounds a guess's index may name: all of a classic game's, those drawn so far in a duel."""
    return game.rounds.count()


def current_round(game: Game) -> Round | None:
    """The round to play now: the first without a guess (None once the game is over)."""
    return game.rounds.select_related("game__image_set", "photo").filter(guessed_at__isnull=True).order_by("index").first()


def current_round_id(game: Game) -> int | None:
    """The id of ``current_round``, read alone: what a guess checks that its round is next against."""
    return game.rounds.filter(guessed_at__isnull=True).order_by("index").values_list("pk", flat=True).first()


@dataclass(frozen=True)
class Progress:
    """Where a game stands: its rounds so far, the index of the round guessed last and of the round to play now."""

    rounds: int
    last_played: int | None
    current: int | None


def game_progress(game: Game) -> Progress:
    """The game's ``Progress``, in one query of two columns: the round page's every request asks it (see
    ``round_at`` for the round it then shows; the joins of a whole round would cost more than the rows)."""
    rows = list(game.rounds.order_by("index").values_list("index", "guessed_at"))
    played = [index for index, guessed_at in rows if guessed_at is not None]
    waiting = [index for index, guessed_at in rows if guessed_at is None]
    return Progress(rounds=len(rows), last_played=played[-1] if played else None, current=waiting[0] if waiting else None)


def round_at(*, game: Game, index: int) -> Round:
    """Round ``index`` of ``game``, with its photo and image set, for an index read from the database (``game_progress``)."""
    return game.rounds.select_related("photo", "game__image_set").get(index=index)


def round_of(*, game: Game, index: int) -> Round:
    """Round ``index`` of ``game``, with its photo and image set; 404 when there is none."""
    # The bound first: a huge index overflows some databases' integers.
    found = game.rounds.select_related("photo", "game__image_set").filter(index=index).first() if 0 <= index < round_count(game) else None
    if found is None:
        raise GameError(Code.ROUND_NOT_FOUND, "no such round", status=404)
    return found


def round_by_image_token(*, token: str) -> Round | None:
    return Round.objects.select_related("game", "photo").filter(image_token=token).first()


def game_end(game: Game) -> tuple[bool, str]:
    """Whether the game has ended, and how a duel did (``Game.ended_by``), read afresh: a guess may have just ended it."""
    finished_at, ended_by = Game.objects.filter(pk=game.pk).values_list("finished_at", "ended_by").get()
    return finished_at is not None, ended_by


def health_after(*, game: Game, index: int) -> tuple[int, int] | None:
    """(player, worldNET) health after a duel's round ``index``, as it was settled; None before it is."""
    row = game.rounds.filter(index=index).values_list("player_health", "worldnet_health").first()
    return None if row is None or row[0] is None or row[1] is None else (row[0], row[1])


def abandoned_duels(*, now: datetime, limit: int) -> list[Game]:
    """Rated duels left alone: an account's first plays (replays and guests' duels are never rated: they stay as they
    are), with a round shown (a duel never seen is no duel left), whose last round shown or guessed is older than
    ``rules.DUEL_ABANDONED_AFTER_MINUTES`` and newer than ``rules.DUEL_ABANDONED_AT_MOST_DAYS``; oldest first."""
    cutoff = now - timedelta(minutes=rules.DUEL_ABANDONED_AFTER_MINUTES)
    oldest = now - timedelta(days=rules.DUEL_ABANDONED_AT_MOST_DAYS)
    duels = Game.objects.filter(mode=DUEL, finished_at__isnull=True, ranked=True, challenge_of__isnull=True, account__isnull=False)
    duels = duels.annotate(last_shown=Max("rounds__started_at"), last_guessed=Max("rounds__guessed_at"))
    idle = Q(last_shown__lte=cutoff) & (Q(last_guessed__isnull=True) | Q(last_guessed__lte=cutoff))
    recent = Q(last_shown__gte=oldest) | Q(last_guessed__gte=oldest)
    return list(duels.filter(idle & recent, last_shown__isnull=False).select_related("image_set").order_by("last_shown")[:limit])


def activity_since(game: Game, moment: datetime) -> bool:
    """Whether a round of ``game`` was shown or guessed after ``moment``: its player is back."""
    return game.rounds.filter(Q(started_at__gt=moment) | Q(guessed_at__gt=moment)).exists()


def played_rounds(game: Game) -> list[Round]:
    """The game's guessed rounds, in order, with what a summary shows of them."""
    rounds = game.rounds.select_related("photo", "game__image_set").filter(guessed_at__isnull=False).order_by("index")
    return list(rounds)


# --- rankings ------------------------------------------------------------------------------------


def leaderboard(*, image_set: ImageSet, rounds: int = rules.ROUNDS_PER_GAME, limit: int = 10) -> list[Game]:
    """The best finished classic games of first plays on ``image_set``, among games of ``rounds`` rounds
    (a game of 10 rounds can score twice what one of 5 can: each length has its own board)."""
    games = Game.objects.filter(image_set=image_set, mode=CLASSIC, rounds_chosen=rounds, ranked=True, finished_at__isnull=False)
    return list(games.order_by("-total_points", "finished_at")[:limit])


def challenge_results(*, game: Game) -> list[Game]:
    """Everyone who played these photos: the original game and every finished challenge of it.

    Duels rank by the health left against worldNET (then by worldNET's, lower first), classic games by points.
    """
    root_id = game.challenge_of_id or game.pk
    order = ("-player_health", "worldnet_health", "finished_at") if game.mode == DUEL else ("-total_points", "finished_at")
    return list(Game.objects.filter(Q(pk=root_id) | Q(challenge_of_id=root_id), finished_at__isnull=False).order_by(*order))


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


def image_set_cards(image_sets: QuerySet[ImageSet]) -> list[dict[str, object]]:
    """What the home page shows of each set offered: where its photos lie, its best players, worldNET's duel
    record, and the worldNET that plays it (None: no duels on the set yet)."""
    return [
        {
            "set": image_set,
            "cells": imageset_coverage_cells(image_set=image_set),
            "leaders": leaderboard(image_set=image_set, limit=3),
            "duel_record": worldnet_record(image_set=image_set),
            "duel_winners": duel_winners(image_set=image_set, limit=1),
            "worldnet": active_version_for(image_set=image_set),  # None: no duels on the set yet
        }
        for image_set in image_sets
    ]


# --- the daily challenge -------------------------------------------------------------------------


def daily_challenge(*, day: date) -> DailyChallenge | None:
    """The challenge of ``day``, if it has been drawn (its first try draws it: ``modes.daily``)."""
    return DailyChallenge.objects.select_related("image_set").filter(day=day).first()


def daily_try(*, challenge: DailyChallenge, owner_key: str, account_id: int | None) -> Game | None:
    """The player's try of ``challenge``: the signed-in account's (on any device), else this browser's."""
    tries = Game.objects.filter(daily=challenge, mode=DAILY)
    if account_id is not None and (mine := tries.filter(account_id=account_id).first()) is not None:
        return mine
    return tries.filter(owner_key=owner_key).first() if owner_key else None


def daily_leaderboard(*, challenge: DailyChallenge, limit: int = 10) -> list[Game]:
    """The day's ranked (accounts') finished tries, by total points; a tie goes to the earlier finish."""
    games = Game.objects.filter(daily=challenge, mode=DAILY, ranked=True, finished_at__isnull=False)
    return list(games.order_by("-total_points", "finished_at")[:limit])


@dataclass(frozen=True)
class DailyStreak:
    """An account's run of days with a finished daily game: the current one and the longest."""

    current: int
    best: int
    played_today: bool


def daily_streak(*, account_id: int, today: date) -> DailyStreak:
    """Consecutive days with a finished daily try of the account, up to ``today``, or up to yesterday while
    today's is still to play (the streak is not lost before the day is over); and the best run ever.

    A try counts for its challenge's day, whenever it was finished (one begun before midnight and
    finished after counts for the day it began on).
    """
    days = set(
        Game.objects.filter(account_id=account_id, mode=DAILY, finished_at__isnull=False, daily__isnull=False)
        .values_list("daily__day", flat=True)
        .distinct()
    )
    one = timedelta(days=1)
    current, day = 0, today if today in days else today - one
    while day in days:
        current, day = current + 1, day - one
    best = 0
    for day in days:
        if day - one not in days:  # the first day of a run: count it out
            length = 1
            while day + length * one in days:
                length += 1
            best = max(best, length)
    return DailyStreak(current=current, best=best, played_today=today in days)


# --- the country streak --------------------------------------------------------------------------


def streak_records(*, image_set: ImageSet, limit: int = 10) -> list[Game]:
    """The longest finished country streaks of first plays on ``image_set`` (each game's ``streak`` annotated),
    the earlier finish first among equals. Guests are listed by their display name, as on the classic leaderboard.

    A run ends at its first wrong answer, so its streak is its rounds answered right: counted in the query.
    """
    right = Q(rounds__guess_country=F("rounds__truth_country")) & ~Q(rounds__truth_country="")
    games = Game.objects.filter(image_set=image_set, mode=STREAK, ranked=True, finished_at__isnull=False)
    games = games.annotate(streak=Count("rounds", filter=right)).filter(streak__gt=0)
    return list(games.order_by("-streak", "finished_at")[:limit])
