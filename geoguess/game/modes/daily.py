"""Daily challenge: each day ``rules.DAILY_ROUNDS`` photos, the same for everyone, played like a classic game
with no time limit.

The day's photos are drawn once and kept (``DailyChallenge``), so they never change afterwards: an admin
featuring another set, disabling a photo or adding new ones changes the days still to come, never one
already drawn. The draw is deterministic, so that every web process (and a second request racing the
first) draws the same photos::

    seed = HMAC-SHA256(key=SECRET_KEY, message="daily-challenge:" + ISO date)
    random.Random(seed) over the set's enabled photos, ordered by id, through engine.varied_draw

The site's secret keeps tomorrow's photos unknown to whoever reads this code: the date alone would let
anyone compute them ahead. The set is the one an admin featured (``ImageSet.featured_daily``); with none
featured, or one with too few enabled photos for a game, the first playable set by name (a
deterministic choice: every process agrees on it).

A daily game's challenge link replays it, from the day after, as an unranked classic game of the same
photos (on its day it would show the answers to whoever plays the daily next): never a daily try (its
``daily`` is None), and never on the day's leaderboard. One try a day, ranked for accounts and unranked
for guests, is the service's rule (``services.daily_start``).
"""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import date

from django.conf import settings
from django.utils import timezone

from geoguess import rules
from geoguess.game import engine
from geoguess.game.errors import Code, GameError
from geoguess.game.mode import Mode
from geoguess.game.models import DAILY, DailyChallenge, Game
from geoguess.game.modes import classic
from geoguess.imagesets.models import ImageSet, Photo


def daily_set() -> ImageSet | None:
    """The set the day's photos are drawn from: the featured one while it can fill a game, else the first
    playable set by name; None when no set can."""
    playable = ImageSet.objects.playable().order_by("name")
    return playable.filter(featured_daily=True).first() or playable.first()


def daily_seed(*, day: date, secret: str) -> int:
    """The draw's seed: an HMAC of the date by the site's secret (unknowable ahead without the secret)."""
    digest = hmac.new(secret.encode(), f"daily-challenge:{day.isoformat()}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:16], "big")


def daily_draw(*, image_set: ImageSet, day: date, secret: str) -> list[int]:
    """The day's photo ids, in playing order: the same for the same set, date and secret."""
    photos = list(engine.photo_pool(image_set=image_set).order_by("id").values_list("id", "place"))
    if len(photos) < rules.DAILY_ROUNDS:
        raise GameError(Code.NO_DAILY_SET, f"{image_set.name} has too few photos for the daily challenge", status=409)
    return engine.varied_draw(random.Random(daily_seed(day=day, secret=secret)), photos, rules.DAILY_ROUNDS)


def daily_challenge_get_or_draw(*, day: date) -> DailyChallenge:
    """The challenge of ``day``: the stored one, else drawn now and stored.

    Race-safe: the day is unique, and ``get_or_create`` reads the row a concurrent first request
    stored (its insert refused) rather than storing a second. Both drew the same photos anyway.
    """
    existing = DailyChallenge.objects.select_related("image_set").filter(day=day).first()
    if existing is not None:
        return existing
    image_set = daily_set()
    if image_set is None:
        raise GameError(Code.NO_DAILY_SET, "there is no daily challenge yet: no image set has enough photos", status=409)
    photo_ids = daily_draw(image_set=image_set, day=day, secret=settings.SECRET_KEY)
    challenge, _ = DailyChallenge.objects.select_related("image_set").get_or_create(
        day=day, defaults={"image_set": image_set, "photo_ids": photo_ids}
    )
    return challenge


def daily_game_create(*, challenge: DailyChallenge, player_name: str, owner_key: str, account_id: int | None) -> Game:
    """A try of ``challenge``: its photos in its order, no time limit; ranked for an account, not for a guest
    (a guest can try again in another browser: only accounts' tries are one a person).

    Photos deleted since the draw are left out (their rows are gone); disabled ones stay: the day's game
    is the one drawn.
    """
    existing = set(Photo.objects.filter(pk__in=challenge.photo_ids).values_list("pk", flat=True))
    photo_ids = [pk for pk in challenge.photo_ids if pk in existing]
    if not photo_ids:
        raise GameError(Code.NO_DAILY_SET, "today's photos have been removed: try again tomorrow", status=409)
    game = engine.game_create(
        image_set=challenge.image_set,
        player_name=player_name,
        owner_key=owner_key,
        mode=DAILY,
        photo_ids=photo_ids,
        rounds_chosen=len(photo_ids),
        daily=challenge,
        account_id=account_id,
    )
    if account_id is None:
        game.ranked = False
        game.save(update_fields=["ranked"])
    return game


def start(*, image_set: ImageSet, player_name: str, owner_key: str, rounds: int = 0, time_limit: int = 0, seed: int | None = None) -> Game:
    """Refused: a daily game is the day's, never one of a set, length or seed the player picks (its page
    starts it: ``services.daily_start``)."""
    raise GameError(Code.UNKNOWN_MODE, "the daily challenge starts from its own page")


def day_not_over(original: Game) -> bool:
    """Whether ``original`` is a try of today's (or a later day's) challenge: not to be replayed yet (``replay``)."""
    day = original.daily.day if original.daily is not None else None
    return day is not None and day >= timezone.localdate()


def replay(*, original: Game, player_name: str, owner_key: str) -> Game:
    """Classic's replay of the same photos, once the day is over: the day's replay would show its answers to
    whoever then plays the daily (another account, or the same player in a private window)."""
    if day_not_over(original):
        raise GameError(Code.DAILY_NOT_OVER, "today's daily challenge can be replayed from tomorrow: play it on the daily page", status=409)
    return classic.replay(original=original, player_name=player_name, owner_key=owner_key)


MODE = Mode(name=DAILY, start=start, replay=replay, pins_version=False, clock=classic.clock, after_guess=classic.after_guess)
