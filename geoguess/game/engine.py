"""The round engine: what every mode shares.

Drawing photos, creating a game's rounds, a round's clock, storing a guess and scoring it, and
worldNET's guess for the round. A mode (``modes/``) adds only its own rules on top: how a game
starts, how many rounds it has, when a round's time is up, and what follows a guess (a duel deals
damage and draws its next round). Modes register themselves here (``register``), so the engine
never imports them.

Decided once, read after: a guess's distance, points and country are stored when it is scored, and
worldNET's (distance, points, country, the candidate it lies near) when its guess is attached to the
round. The reveal, the summary and the leaderboards read what was stored.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from geoguess import rules
from geoguess.game.errors import Code, GameError
from geoguess.game.models import Game, Round
from geoguess.game.selectors import current_round, round_count
from geoguess.imagesets.models import ImageSet, Photo
from geoguess.opponent.models import Prediction
from geoguess.opponent.selectors import prediction_for
from worldnet_core.geo import haversine_km
from worldnet_core.land import country_of

# --- modes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """A round's clock: shown to the player from ``shown_from``, up at ``deadline``."""

    shown_from: datetime
    deadline: datetime


@dataclass(frozen=True)
class Mode:
    """A game mode's own rules, as the engine calls them (each mode module defines one: ``MODE``)."""

    name: str
    label: str
    #: Whether the mode plays the worldNET version fixed at its start (a duel) rather than the active one.
    pins_version: bool
    #: The round's clock, or None while none runs (no time limit; worldNET not locked in yet).
    clock: Callable[[Round], Clock | None]
    #: What follows a stored guess (or a time-out), inside its transaction, the round's row locked.
    after_guess: Callable[[Round, Game, datetime], None]


MODES: dict[str, Mode] = {}


def register(mode: Mode) -> Mode:
    MODES[mode.name] = mode
    return mode


def mode_of(game: Game) -> Mode:
    return MODES[game.mode]


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
        expected = current_round(game)
        if expected is None or expected.pk != round.pk:
            raise GameError(Code.OUT_OF_ORDER, "rounds are played in order", status=409)
        if round.started_at is None:
            raise GameError(Code.ROUND_NOT_SHOWN, "this round has not been shown yet", status=409)
        if (lat is None) != (lon is None):
            raise GameError(Code.PIN_MISSING, "a guess needs both a latitude and a longitude")
        deadline = round_deadline(round)
        if lat is None or lon is None:
            # Only the clock may end a round without a pin, and only once it has run out.
            if deadline is None or now < deadline - timedelta(seconds=1):
                raise GameError(Code.PIN_MISSING, "a guess needs a place on the map")
            _settle(round, game, now, timed_out=True)
            return round
        lat, lon = _on_the_map(lat, lon)
        if deadline is not None and now > deadline + rules.guess_grace():
            _settle(round, game, now, timed_out=True)
            refused_late = True
        else:
            _score(round, game, lat, lon, now)
            _settle(round, game, now, timed_out=False)
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


def _score(round: Round, game: Game, lat: float, lon: float, now: datetime) -> None:
    distance = float(haversine_km(round.photo.lat, round.photo.lon, lat, lon))
    round.guess_lat, round.guess_lon, round.guessed_at, round.distance_km = lat, lon, now, distance
    round.points = rules.points(distance, scale_km=game.image_set.scale_km)
    round.guess_country = str(country_of(lat, lon) or "")
    round.save(update_fields=["guess_lat", "guess_lon", "guessed_at", "distance_km", "points", "guess_country"])
    Game.objects.filter(pk=game.pk).update(total_points=F("total_points") + round.points)


def _settle(round: Round, game: Game, now: datetime, *, timed_out: bool) -> None:
    """After a guess or a time-out: worldNET's guess attached, the mode's rules, then the game's end if it came."""
    if timed_out:
        round.timed_out, round.points, round.guessed_at = True, 0, now
        round.save(update_fields=["timed_out", "points", "guessed_at"])
    worldnet_attach(round=round)
    mode_of(game).after_guess(round, game, now)
    if not game.rounds.filter(guessed_at__isnull=True).exists():
        Game.objects.filter(pk=game.pk, finished_at__isnull=True).update(finished_at=now)


# --- worldNET's guess for the round --------------------------------------------------------------


def worldnet_prediction(round: Round) -> Prediction | None:
    """worldNET's stored guess for the round's photo: by the version the game pins (a duel), else the active one's."""
    game = round.game
    if not mode_of(game).pins_version:
        return prediction_for(photo_id=round.photo_id)
    if game.model_version_id is None:  # the version was deleted since: no guess to show or score
        return None
    return (
        Prediction.objects.select_related("model_version").filter(photo_id=round.photo_id, model_version_id=game.model_version_id).first()
    )


def worldnet_attach(*, round: Round) -> bool:
    """Stores worldNET's guess on the round, scored, once; returns whether the round has it now.

    Called when the player's guess is stored, and for a guessed round still without it (worldNET
    was thinking) when the round is shown again. A round keeps the first guess attached to it.
    """
    if round.worldnet_attached:
        return True
    prediction = worldnet_prediction(round)
    if prediction is None:
        return False
    photo, scale = round.photo, round.game.image_set.scale_km
    distance = float(haversine_km(photo.lat, photo.lon, prediction.lat, prediction.lon))
    candidates = _candidates(prediction)
    placed = [c for c in candidates if c["km_from_guess"] is not None]
    nearest = min(placed, key=lambda c: c["km_from_guess"], default=None)
    fields = {
        "worldnet_prediction": prediction,
        "worldnet_lat": prediction.lat,
        "worldnet_lon": prediction.lon,
        "worldnet_distance_km": distance,
        # A duel's settled round keeps the points it dealt with.
        "worldnet_points": round.worldnet_points if round.worldnet_points is not None else rules.points(distance, scale_km=scale),
        # Predictions are snapped to land: no country only far out at sea.
        "worldnet_country": str(country_of(prediction.lat, prediction.lon) or ""),
        "worldnet_near": nearest["place"] if nearest is not None and nearest["km_from_guess"] <= rules.NEAR_CANDIDATE_KM else "",
        "worldnet_candidates": candidates,
        "worldnet_saw": prediction.heatmap is not None,
    }
    if not Round.objects.filter(pk=round.pk, worldnet_lat__isnull=True).update(**fields):
        round.refresh_from_db()  # attached meanwhile by another request: keep that one
        return True
    for name, value in fields.items():
        setattr(round, name, value)
    return True


def _candidates(prediction: Prediction) -> list[dict[str, Any]]:
    """Its top candidates, each with where it is and how far from the pin (bars only for a version without centroids)."""
    positions = prediction.model_version.centroid_positions()
    candidates = []
    for name, probability in prediction.top[: rules.REVEAL_CANDIDATES]:
        candidate: dict[str, Any] = {"place": name, "probability": probability, "lat": None, "lon": None, "km_from_guess": None}
        if name in positions:
            lat, lon = positions[name]
            candidate.update(lat=lat, lon=lon, km_from_guess=float(haversine_km(prediction.lat, prediction.lon, lat, lon)))
        candidates.append(candidate)
    return candidates
