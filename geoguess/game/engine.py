"""The round engine: what every mode shares.

Drawing photos, creating a game's rounds, a round's clock, storing a guess and scoring it, and
worldNET's guess for the round (``worldnet.py``). A mode (``modes/``) adds only its own rules on top:
how a game starts and is replayed, when a round's time is up, and what follows a guess (a duel deals
damage and draws its next round). Modes register themselves in ``mode.py``, so the engine never
imports them.

Decided once, read after: a guess's distance, points and country are stored when it is scored, and
worldNET's (its pin, country, the candidate it lies near, then its distance and points) when its
guess is attached to the round. The reveal, the summary and the leaderboards read what was stored.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from geoguess import rules
from geoguess.game.errors import Code, GameError
from geoguess.game.mode import mode_of
from geoguess.game.models import Game, Round
from geoguess.game.selectors import current_round_id, round_count
from geoguess.game.signals import game_finished
from geoguess.game.worldnet import worldnet_attach
from geoguess.imagesets.models import ImageSet, Photo
from worldnet_core.geo import haversine_km
from worldnet_core.land import continent_of, country_of

# --- drawing photos and creating rounds ----------------------------------------------------------


def photo_pool(*, image_set: ImageSet) -> QuerySet[Photo]:
    """The photos a game of ``image_set`` may draw, whatever its mode: the one place that says which."""
    return image_set.photos.enabled()  # not those an admin disabled


def varied_draw(rng: random.Random, photos: list[tuple[int, str]], count: int, played: Sequence[str] = ()) -> list[int]:
    """``count`` distinct photo ids, ``photos`` being ``(id, place)``, drawn at random from as many
    places as there are: each pick comes from the place played least recently (never played
    first), so a place comes back only once every other has had its turn, and never twice
    running where another is left. ``played``: the places of earlier rounds, oldest first.

    On a set of 46 cities, five photos drawn blindly repeat a city in about one game in five.
    Photos without a place name count as places of their own.
    """
    shuffled = list(photos)
    rng.shuffle(shuffled)  # ties go to the first in this order: a random one
    key = {photo_id: place.strip().casefold() or f"#{photo_id}" for photo_id, place in shuffled}
    last_played = {place.strip().casefold(): turn for turn, place in enumerate(played)}
    chosen: list[int] = []
    for turn in range(len(played), len(played) + min(count, len(shuffled))):
        taken = set(chosen)
        photo_id = min((i for i, _ in shuffled if i not in taken), key=lambda i: last_played.get(key[i], -1))
        chosen.append(photo_id)
        last_played[key[photo_id]] = turn
    return chosen


def game_create(*, image_set: ImageSet, player_name: str, owner_key: str, mode: str, photo_ids: list[int], **fields: Any) -> Game:
    """A game and its first rounds, one per photo of ``photo_ids``. A replay (``challenge_of``) is unranked."""
    game = Game.objects.create(
        image_set=image_set, player_name=player_name, owner_key=owner_key, mode=mode, ranked=fields.get("challenge_of") is None, **fields
    )
    Round.objects.bulk_create([Round(game=game, index=i, photo_id=pk) for i, pk in enumerate(photo_ids)])
    return game


# --- a round's clock -----------------------------------------------------------------------------


def round_open(*, round: Round, now: datetime | None = None) -> Round:
    """Starts the round's clock the first time its image is shown (a reload does not restart it)."""
    if round.started_at is None:
        round.started_at = now or timezone.now()
        Round.objects.filter(pk=round.pk, started_at__isnull=True).update(started_at=round.started_at)
    return round


def reveal_leave(*, game: Game, index: int) -> None:
    """The player has left the reveal of round ``index`` (and of every round before it): the game's page
    shows the next round now. Only a played round's reveal can be left."""
    played = game.rounds.filter(index=index, guessed_at__isnull=False).exists()
    if played and Game.objects.filter(pk=game.pk, reveal_left__lt=index).update(reveal_left=index):
        game.reveal_left = index


def round_deadline(round: Round) -> datetime | None:
    clock = mode_of(round.game).clock(round)
    return None if clock is None else clock.deadline


def seconds_left(round: Round, now: datetime | None = None) -> float | None:
    """Seconds before the round's time is up; None while no clock is shown (no limit, or worldNET not locked in)."""
    now = now or timezone.now()
    clock = mode_of(round.game).clock(round)
    if clock is None or now < clock.shown_from:
        return None
    return max(0.0, (clock.deadline - now).total_seconds())


# --- storing a guess -----------------------------------------------------------------------------


def guess_submit(*, game: Game, index: int, lat: float | None, lon: float | None, now: datetime | None = None) -> Round:
    """Stores and scores the guess of round ``index`` (``lat``/``lon`` None: time ran out with no pin).

    A round takes one guess; rounds are played in order; a guess later than the round's deadline
    (plus ``rules.guess_grace()``) is refused and the round scores 0. The mode's ``after_guess``
    runs in the same transaction (a duel's damage and next round).
    """
    now = now or timezone.now()
    # Checked before the database sees it: an index beyond the column's range is an overflow error
    # on some databases, not an empty result.
    rounds = round_count(game)
    if not 0 <= index < rounds:
        raise GameError(Code.BAD_INDEX, f"index must be a round number from 0 to {rounds - 1}")
    refused_late = False
    with transaction.atomic():
        # The round's row alone (of="self"): a plain FOR UPDATE over the join would also lock the photo
        # and the image set, and every guess on a set (a duel's settling included) would queue on its row.
        round = (
            Round.objects.select_for_update(of=("self",))
            .select_related("game", "photo", "game__image_set")
            .filter(game=game, index=index)
            .first()
        )
        if round is None:
            raise GameError(Code.ROUND_NOT_FOUND, "no such round", status=404)
        if round.is_done:
            raise GameError(Code.ALREADY_GUESSED, "this round has been guessed already", status=409)
        if current_round_id(game) != round.pk:
            raise GameError(Code.OUT_OF_ORDER, "rounds are played in order", status=409)
        if round.started_at is None:
            raise GameError(Code.ROUND_NOT_SHOWN, "this round has not been shown yet", status=409)
        if (lat is None) != (lon is None):
            raise GameError(Code.PIN_MISSING, "a guess needs both a latitude and a longitude")
        deadline = round_deadline(round)
        if lat is None or lon is None:
            # Only the clock may end a round without a pin, and only once it has run out.
            if deadline is None or now < deadline - timedelta(seconds=rules.TIME_OUT_EARLY_SECONDS):
                raise GameError(Code.PIN_MISSING, "a guess needs a place on the map")
            _settle(round, game, now, pin=None)
            return round
        pin = _on_the_map(lat, lon)
        if (pin_check := mode_of(game).pin_check) is not None:
            pin_check(round, *pin)  # refused: nothing is stored, the round stays open
        refused_late = deadline is not None and now > deadline + rules.guess_grace()
        _settle(round, game, now, pin=None if refused_late else pin)
    if refused_late:  # raised after the commit, so the round stays scored 0
        raise GameError(Code.TIME_UP, "time is up: this round scores 0", status=409)
    return round


def _on_the_map(lat: float, lon: float) -> tuple[float, float]:
    """The point as stored: a latitude within ±90, a longitude brought into ±180."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise GameError(Code.BAD_NUMBER, "latitude and longitude must be finite numbers")
    if not -90.0 <= lat <= 90.0:
        raise GameError(Code.BAD_LATITUDE, "latitude must be between -90 and 90")
    if not -180.0 <= lon <= 180.0:  # a map scrolled round the world gives lon beyond ±180
        lon = (lon + 180.0) % 360.0 - 180.0
    return lat, lon


#: What storing a guess writes to its round.
SCORED_FIELDS = [
    "truth_lat",
    "truth_lon",
    "truth_country",
    "truth_continent",
    "guessed_at",
    "timed_out",
    "points",
    "guess_lat",
    "guess_lon",
    "distance_km",
    "guess_country",
]


def _settle(round: Round, game: Game, now: datetime, *, pin: tuple[float, float] | None) -> None:
    """Scores the guess (``pin`` None: time ran out, 0 points), then worldNET's, then the mode's rules,
    then the game's end if it came. The answer is kept with the round: the one it was scored against."""
    photo = round.photo
    round.truth_lat, round.truth_lon, round.guessed_at = photo.lat, photo.lon, now
    round.truth_country = str(country_of(photo.lat, photo.lon) or "")
    round.truth_continent = str(continent_of(photo.lat, photo.lon) or "")
    if pin is None:
        round.timed_out, round.points = True, 0
    else:
        distance = float(haversine_km(photo.lat, photo.lon, *pin))
        round.guess_lat, round.guess_lon, round.distance_km = pin[0], pin[1], distance
        round.points = rules.points(distance, scale_km=game.image_set.scale_km)
        round.guess_country = str(country_of(*pin) or "")
    round.save(update_fields=SCORED_FIELDS)
    if round.points:
        Game.objects.filter(pk=game.pk).update(total_points=F("total_points") + round.points)
    worldnet_attach(round=round)
    mode_of(game).after_guess(round, game, now)
    last = not game.rounds.filter(guessed_at__isnull=True).exists()
    if last and Game.objects.filter(pk=game.pk, finished_at__isnull=True).update(finished_at=now):
        transaction.on_commit(partial(game_finished.send, sender=Game, game_id=game.pk))
