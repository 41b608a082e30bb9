"""The rules of the game: starting, guessing, scoring, timing, challenges and the leaderboard.

Two modes share them: classic (five rounds, the better total wins) and a duel against worldNET
(health, multipliers and a countdown once worldNET locks in; its arithmetic is ``duel.py``).
"""

from __future__ import annotations

import io
import math
import random
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from PIL import Image

from geoguess.game import duel
from geoguess.game.models import CLASSIC, DUEL, MODES, PLAYER_NAME_MAX_LENGTH, ROUNDS_PER_GAME, TIME_LIMITS, Game, Round
from geoguess.imagesets.models import ImageSet, Photo
from geoguess.imagesets.services import SERVED_JPEG_QUALITY, served_image_path
from geoguess.opponent.models import ModelVersion, Prediction
from geoguess.opponent.services import active_version, attention_jpeg, prediction_for
from worldnet_core.geo import geoguessr_points, haversine_km
from worldnet_core.land import country_name, country_of
from worldnet_core.metrics import SHOWN_CANDIDATES


class GameError(Exception):
    """A request the rules refuse; ``status`` is the HTTP status a view should answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def photo_pool(*, image_set: ImageSet) -> QuerySet[Photo]:
    """The photos a game of ``image_set`` may draw, classic or duel: the one place that says which."""
    return image_set.photos.enabled()  # not those an admin disabled


def game_start(
    *, image_set: ImageSet, player_name: str, owner_key: str, time_limit: int = 0, seed: int | None = None, mode: str = CLASSIC
) -> Game:
    """A new game: ``ROUNDS_PER_GAME`` distinct photos drawn at random from ``image_set``, or a duel's first round."""
    player_name = clean_player_name(player_name)
    if mode not in dict(MODES):
        raise GameError("choose Classic or Duel worldNET")
    if mode == DUEL:
        return _duel_start(image_set, player_name, owner_key, seed)
    if isinstance(time_limit, bool) or time_limit not in TIME_LIMITS:
        raise GameError(f"time limit must be one of {', '.join(map(str, TIME_LIMITS))} seconds")
    photos = list(photo_pool(image_set=image_set).order_by("id").values_list("id", "place"))
    if len(photos) < ROUNDS_PER_GAME:
        raise GameError(f"{image_set.name} has {len(photos)} photos; a game needs {ROUNDS_PER_GAME}")
    chosen = varied_draw(random.Random(seed), photos, ROUNDS_PER_GAME)
    return _create(image_set, player_name, owner_key, time_limit, chosen, challenge_of=None)


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


def game_start_challenge(*, original: Game, player_name: str, owner_key: str) -> Game:
    """The same photos, in the same order and with the same time limit, for someone else.

    A challenge of a challenge replays the first game, so everyone lands in one results list.
    The replay is not ranked on the image set's leaderboard (see ``Game.ranked``). A duel's
    challenge meets the same worldNET version, and starts on the same photo (see ``_next_duel_photo``).
    """
    root = original.challenge_of or original
    if root.mode == DUEL:
        return _duel_create(root.image_set, clean_player_name(player_name), owner_key, _duel_version_of(root), challenge_of=root)
    photo_ids = list(root.rounds.order_by("index").values_list("photo_id", flat=True))
    return _create(root.image_set, clean_player_name(player_name), owner_key, root.time_limit, photo_ids, challenge_of=root)


@transaction.atomic
def _create(
    image_set: ImageSet, player_name: str, owner_key: str, time_limit: int, photo_ids: list[int], challenge_of: Game | None
) -> Game:
    game = Game.objects.create(
        image_set=image_set,
        player_name=player_name,
        owner_key=owner_key,
        time_limit=time_limit,
        challenge_of=challenge_of,
        ranked=challenge_of is None,
    )
    Round.objects.bulk_create([Round(game=game, index=i, photo_id=pk) for i, pk in enumerate(photo_ids)])
    return game


def clean_player_name(name: str) -> str:
    """A display name: runs of spaces collapsed, 1 to ``PLAYER_NAME_MAX_LENGTH`` printable characters.

    Control and format characters (NUL, the right-to-left override, zero-width spaces) are
    refused: names are shown to other players, who should see the name that was typed.
    """
    name = " ".join((name or "").split())
    if not name:
        raise GameError("please give a display name for the leaderboard")
    if len(name) > PLAYER_NAME_MAX_LENGTH:
        raise GameError(f"a display name is at most {PLAYER_NAME_MAX_LENGTH} characters")
    if any(unicodedata.category(c)[0] == "C" for c in name):
        raise GameError("a display name can only use letters, digits, spaces and punctuation")
    return name


def game_for_owner(*, public_id: str, owner_key: str) -> Game:
    game = Game.objects.select_related("image_set").filter(public_id=public_id).first()
    if game is None:
        raise GameError("no such game", status=404)
    if not owner_key or game.owner_key != owner_key:
        raise GameError("this game belongs to another player", status=403)
    return game


def round_limit(game: Game) -> int:
    """How many rounds a guess's index may name: five in a classic game, those drawn so far in a duel."""
    return ROUNDS_PER_GAME if game.mode == CLASSIC else game.rounds.count()


def current_round(game: Game) -> Round | None:
    return game.rounds.filter(guessed_at__isnull=True).order_by("index").first()


def round_open(*, round: Round, now: datetime | None = None) -> Round:
    """Starts the round's clock the first time its image is shown."""
    if round.started_at is None:
        round.started_at = now or timezone.now()
        Round.objects.filter(pk=round.pk, started_at__isnull=True).update(started_at=round.started_at)
    return round


def round_deadline(round: Round) -> datetime | None:
    """When the round's time is up: the classic time limit, or a duel's countdown after worldNET locks in."""
    if round.started_at is None:
        return None
    if round.game.mode == DUEL:
        locks_at = worldnet_locks_at(round)
        return None if locks_at is None else locks_at + timedelta(seconds=duel.COUNTDOWN_SECONDS)
    if not round.game.time_limit:
        return None
    return round.started_at + timedelta(seconds=round.game.time_limit)


def seconds_left(round: Round, now: datetime | None = None) -> float | None:
    """Seconds before the round's time is up; None while no clock runs (no limit, or worldNET not locked in)."""
    now = now or timezone.now()
    deadline = round_deadline(round)
    if deadline is None or (round.game.mode == DUEL and now < deadline - timedelta(seconds=duel.COUNTDOWN_SECONDS)):
        return None
    return max(0.0, (deadline - now).total_seconds())


def guess_submit(*, game: Game, index: int, lat: float | None, lon: float | None, now: datetime | None = None) -> Round:
    """Stores the guess of round ``index`` (``lat``/``lon`` None: time ran out with no pin).

    A round takes one guess; rounds are played in order; a guess later than the time
    limit, or in a duel the countdown after worldNET locks in (plus ``GUESS_GRACE_SECONDS``),
    is refused and the round scores 0. A duel's round is settled (damage, health) with the guess.
    """
    now = now or timezone.now()
    # Checked before the database sees it: bool is an int (True would be round 1), and an index
    # beyond the column's range is an overflow error on some databases, not an empty result.
    rounds = round_limit(game)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < rounds:
        raise GameError(f"index must be a round number from 0 to {rounds - 1}")
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
            raise GameError("no such round", status=404)
        if round.is_done:
            raise GameError("this round has been guessed already", status=409)
        expected = current_round(game)
        if expected is None or expected.pk != round.pk:
            raise GameError("rounds are played in order", status=409)
        if round.started_at is None:
            raise GameError("this round has not been shown yet", status=409)
        if (lat is None) != (lon is None):
            raise GameError("a guess needs both a latitude and a longitude")
        deadline = round_deadline(round)
        if lat is None:
            # Only the countdown may end a round without a pin, and only once it has run out.
            if deadline is None or now < deadline - timedelta(seconds=1):
                raise GameError("a guess needs a place on the map")
            _time_out(round, game, now)
            return round
        lat, lon = _valid_coordinates(lat, lon)
        if deadline is not None and now > deadline + timedelta(seconds=settings.GUESS_GRACE_SECONDS):
            _time_out(round, game, now)
            refused_late = True
        else:
            distance = haversine_km(round.photo.lat, round.photo.lon, lat, lon)
            round.guess_lat, round.guess_lon, round.guessed_at = lat, lon, now
            round.distance_km = distance
            round.points = geoguessr_points(distance, game.image_set.scale_km)
            round.save(update_fields=["guess_lat", "guess_lon", "guessed_at", "distance_km", "points"])
            Game.objects.filter(pk=game.pk).update(total_points=F("total_points") + round.points)
            _settle(round, game, now)
    if refused_late:  # raised after the commit, so the round stays scored 0
        raise GameError("time is up: this round scores 0", status=409)
    return round


def _time_out(round: Round, game: Game, now: datetime) -> None:
    round.timed_out, round.points, round.guessed_at = True, 0, now
    round.save(update_fields=["timed_out", "points", "guessed_at"])
    _settle(round, game, now)


def _settle(round: Round, game: Game, now: datetime) -> None:
    """After a guess or a time-out: a duel's damage and next round, then the end of the game if it came."""
    if game.mode == DUEL:
        _duel_settle(round, game)
    _finish_if_done(game, now)


def _valid_coordinates(lat: float, lon: float) -> tuple[float, float]:
    # Numbers only: float() would take True as 1.0 and "10" as 10.0, and raise OverflowError
    # on an integer beyond a float's range.
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in (lat, lon)):
        raise GameError("latitude and longitude must be numbers")
    try:
        lat, lon = float(lat), float(lon)
    except OverflowError:
        raise GameError("latitude and longitude must be numbers") from None
    if not (math.isfinite(lat) and math.isfinite(lon)) or not -90.0 <= lat <= 90.0:
        raise GameError("latitude must be between -90 and 90")
    if not -180.0 <= lon <= 180.0:  # a map scrolled round the world gives lon beyond ±180
        lon = (lon + 180.0) % 360.0 - 180.0
    return lat, lon


def _finish_if_done(game: Game, now: datetime) -> None:
    if not game.rounds.filter(guessed_at__isnull=True).exists():
        Game.objects.filter(pk=game.pk, finished_at__isnull=True).update(finished_at=now)


# --- what players see after a guess ----------------------------------------------------


#: The candidates the reveal shows: the same the model anchors its guess on and coherence counts.
REVEAL_CANDIDATES = SHOWN_CANDIDATES
#: Within this distance of one of its candidates, worldNET's pin is described as "near" it.
NEAR_CANDIDATE_KM = 300.0


def round_reveal(*, round: Round) -> dict:
    """The truth, both guesses, distances, points and worldNET's top 3. Only after the guess.

    Countries are given twice: ``country`` as stored (a code on most image sets) and
    ``country_name``, the full English name players read. worldNET's side says where its
    pin fell (the country, and the candidate it lies near, if any) and where each of its
    candidates is, so the page can show what it believed next to what it guessed: its pin is
    a blend of its candidates, and can fall between them.
    """
    if not round.is_done:
        raise GameError("the answer is shown after the guess", status=409)
    photo = round.photo
    scale = round.game.image_set.scale_km
    reveal = {
        "index": round.index,
        "truth": {
            "lat": photo.lat,
            "lon": photo.lon,
            "place": photo.place,
            "country": photo.country,
            "country_name": country_name(photo.country) if photo.country else "",
        },
        "player": None if round.guess_lat is None else {"lat": round.guess_lat, "lon": round.guess_lon, "distance_km": round.distance_km},
        "player_points": round.points or 0,
        "timed_out": round.timed_out,
        "worldnet": None,
    }
    prediction = _prediction_of(round)
    if prediction is not None:
        reveal["worldnet"] = _worldnet_reveal(prediction, photo.lat, photo.lon, scale)
    if round.game.mode == DUEL:
        reveal["duel"] = _duel_reveal(round)
    return reveal


def _prediction_of(round: Round) -> Prediction | None:
    """worldNET's guess for the round: the active version's in a classic game, the duel's own version's in a duel."""
    game = round.game
    if game.mode == CLASSIC:
        return prediction_for(photo_id=round.photo_id)
    if game.model_version_id is None:  # the version was deleted since: no guess to show or score
        return None
    return (
        Prediction.objects.select_related("model_version").filter(photo_id=round.photo_id, model_version_id=game.model_version_id).first()
    )


def _worldnet_reveal(prediction: Prediction, truth_lat: float, truth_lon: float, scale_km: float) -> dict:
    distance = haversine_km(truth_lat, truth_lon, prediction.lat, prediction.lon)
    positions = prediction.model_version.centroid_positions()
    top = []
    for name, probability in prediction.top[:REVEAL_CANDIDATES]:
        candidate: dict = {"place": name, "probability": probability, "lat": None, "lon": None, "km_from_guess": None}
        if name in positions:  # a version registered without centroids: bars only, no circles
            lat, lon = positions[name]
            candidate.update(lat=lat, lon=lon, km_from_guess=haversine_km(prediction.lat, prediction.lon, lat, lon))
        top.append(candidate)
    placed = [c for c in top if c["km_from_guess"] is not None]
    nearest = min(placed, key=lambda c: c["km_from_guess"], default=None)
    guessed_in = country_of(prediction.lat, prediction.lon)  # predictions are snapped to land: None only far out at sea
    return {
        "lat": prediction.lat,
        "lon": prediction.lon,
        "distance_km": distance,
        "points": geoguessr_points(distance, scale_km),
        "country_name": country_name(str(guessed_in)) if guessed_in else "",
        "near": nearest["place"] if nearest is not None and nearest["km_from_guess"] <= NEAR_CANDIDATE_KM else None,
        "top": top,
        "saw": prediction.heatmap is not None,  # the page may then ask for round_attention_bytes
    }


def game_summary(*, game: Game) -> dict:
    rounds = [round_reveal(round=r) for r in game.rounds.select_related("photo", "game__image_set").order_by("index") if r.is_done]
    if game.mode == DUEL:  # what was dealt, not a prediction that may have changed since
        worldnet_total = sum(r["duel"]["worldnet_points"] for r in rounds)
    else:
        worldnet_total = sum(r["worldnet"]["points"] for r in rounds if r["worldnet"])
    summary = {
        "player": game.player_name,
        "total": sum(r["player_points"] for r in rounds),
        "worldnet_total": worldnet_total,
        "worldnet_complete": game.mode == DUEL or all(r["worldnet"] for r in rounds),
        "rounds": rounds,
        "finished": game.finished_at is not None,
    }
    if game.mode == DUEL:
        states = [duel.START] + [duel.Health(r["duel"]["health"]["player"], r["duel"]["health"]["worldnet"]) for r in rounds]
        final = states[-1]
        summary["duel"] = {
            "health": [{"player": h.player, "worldnet": h.worldnet} for h in states],
            "winner": duel.winner(final),
            "final": final,
        }
    return summary


def leaderboard(*, image_set: ImageSet, limit: int = 10) -> list[Game]:
    """The best finished games of first plays: replayed challenges rank in ``challenge_results`` only.

    Whoever replays a challenge can know every answer (play a game, accept your own challenge in a
    fresh session, answer from the first game's reveals: 25,000 points), so a replay is no
    achievement to rank against games whose photos were drawn at random for their player.
    """
    games = Game.objects.filter(image_set=image_set, mode=CLASSIC, ranked=True, finished_at__isnull=False)
    return list(games.order_by("-total_points", "finished_at")[:limit])


def challenge_results(*, game: Game) -> list[Game]:
    """Everyone who played these photos: the original game and every finished challenge of it.

    Duels rank by the health left against worldNET (then by worldNET's, lower first), classic games by points.
    """
    root_id = game.challenge_of_id or game.pk
    order = ("-player_health", "worldnet_health", "finished_at") if game.mode == DUEL else ("-total_points", "finished_at")
    return list(Game.objects.filter(Q(pk=root_id) | Q(challenge_of_id=root_id), finished_at__isnull=False).order_by(*order))


# --- the round's image ---------------------------------------------------------------------

#: Pixels cropped from each edge, at most; intensity noise, at most (of 255); JPEG qualities.
ROUND_IMAGE_MAX_CROP = 4
ROUND_IMAGE_NOISE = 2
ROUND_IMAGE_QUALITIES = (SERVED_JPEG_QUALITY - 5, SERVED_JPEG_QUALITY + 5)


def round_image_bytes(*, round: Round) -> bytes:
    """The round's JPEG: the photo's served copy, varied for this round alone.

    The stored served copy is the same file in every game, so serving it as is would let a
    player recognise a photo by its hash (or size) and look up its answer from an earlier game.
    Each round gets its own tiny crop (0 to 4 px an edge), noise (at most ±2 of 255 a channel)
    and JPEG quality (80 to 90): invisible, yet no two rounds share bytes, size or dimensions.
    The variation is drawn from a keyed hash of the round's token, so a reload gets the same
    bytes, and the token (which the player sees in the URL) does not tell the variation without
    the secret key. Re-encoded from pixels into a fresh image: no EXIF or other metadata.
    (A perceptual hash can still match two variants of one photo: this stops exact matching.)
    """
    seed = salted_hmac("geoguess.game.round_image", round.image_token, algorithm="sha256").digest()
    return jpeg_variant(served_image_path(round.photo), seed=seed)


def round_attention_bytes(*, round: Round) -> bytes:
    """The round's image with where worldNET looked laid over it. Only after the guess, like the answer."""
    if not round.is_done:
        raise GameError("what worldNET saw is shown after the guess", status=409)
    prediction = _prediction_of(round)
    if prediction is None or prediction.heatmap is None:
        raise GameError("worldNET has no map of what it saw for this photo", status=404)
    return attention_jpeg(round_image_bytes(round=round), bytes(prediction.heatmap))


def jpeg_variant(source: Path, *, seed: bytes) -> bytes:
    """``source`` as a JPEG varied by ``seed`` (crop, noise, quality; see ``round_image_bytes``)."""
    rng = np.random.default_rng(np.frombuffer(seed, dtype=np.uint32))
    with Image.open(source) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    height, width = pixels.shape[:2]
    if min(height, width) > 8 * ROUND_IMAGE_MAX_CROP:  # never crop a thumbnail away
        top, bottom, left, right = rng.integers(0, ROUND_IMAGE_MAX_CROP + 1, size=4)
        pixels = pixels[top : height - bottom, left : width - right]
    pixels += rng.integers(-ROUND_IMAGE_NOISE, ROUND_IMAGE_NOISE + 1, size=pixels.shape, dtype=np.int16)
    quality = int(rng.integers(ROUND_IMAGE_QUALITIES[0], ROUND_IMAGE_QUALITIES[1] + 1))
    buffer = io.BytesIO()
    # A fresh image from the pixel array: no info dict, EXIF, ICC profile or comment comes along.
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB").save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


# --- duels: worldNET's lock-in, settling a round, the next photo ----------------------------

_lock_draws = random.SystemRandom()


def _duel_start(image_set: ImageSet, player_name: str, owner_key: str, seed: int | None) -> Game:
    """A duel's first round, against the active worldNET, on a photo it has already guessed."""
    version = active_version()
    if version is None:
        raise GameError("worldNET is not ready for a duel yet: no model is active (play Classic meanwhile)", status=409)
    return _duel_create(image_set, player_name, owner_key, version, challenge_of=None, rng=random.Random(seed))


def _duel_pool(image_set: ImageSet, version_id: int | None) -> QuerySet[Photo]:
    """The photos a duel may draw: the game's pool, less those the duel's worldNET has no stored guess for.

    So worldNET always has a guess (and a confidence to lock in by) when a round starts: a duel
    never waits on a worker. A set whose predictions are still being computed offers fewer photos.
    None when the duel's version was deleted: the duel ends with the round under way (a filter on
    ``None`` would instead draw the photos that no version has guessed).
    """
    if version_id is None:
        return photo_pool(image_set=image_set).none()
    return photo_pool(image_set=image_set).filter(predictions__model_version_id=version_id)


def _duel_version_of(root: Game) -> ModelVersion:
    if root.model_version is None:
        raise GameError("the worldNET of that duel has been removed: start a duel of your own", status=410)
    return root.model_version


@transaction.atomic
def _duel_create(
    image_set: ImageSet,
    player_name: str,
    owner_key: str,
    version: ModelVersion,
    challenge_of: Game | None,
    rng: random.Random | None = None,
) -> Game:
    """The duel and its first round (a challenge: the original's first photo, while it may still be drawn)."""
    game = Game.objects.create(
        image_set=image_set,
        player_name=player_name,
        owner_key=owner_key,
        mode=DUEL,
        model_version=version,
        challenge_of=challenge_of,
        ranked=challenge_of is None,
        player_health=duel.START_HEALTH,
        worldnet_health=duel.START_HEALTH,
    )
    photo_id = _next_duel_photo(game, 0, rng)
    if photo_id is None:  # raised inside the transaction: the game is not kept
        raise GameError(f"worldNET has not looked at the photos of {image_set.name} yet: try a duel again in a minute", status=409)
    Round.objects.create(game=game, index=0, photo_id=photo_id, lock_draw=_lock_draws.random())
    return game


def worldnet_locks_at(round: Round) -> datetime | None:
    """When worldNET locks in its guess for a duel's round: sooner the surer it was (``duel.lock_in_delay_s``).

    None before the round is shown, or when worldNET has no guess for the photo (its version was
    deleted, or the prediction since): it then never locks in, the player has no countdown, and
    worldNET scores 0 for the round.
    """
    if round.started_at is None or round.lock_draw is None:
        return None
    prediction = _prediction_of(round)
    if prediction is None:
        return None
    confidence = float(prediction.top[0][1]) if prediction.top else 0.0
    return round.started_at + timedelta(seconds=duel.lock_in_delay_s(confidence=confidence, draw=round.lock_draw))


def round_state(*, round: Round, now: datetime | None = None) -> dict:
    """What a duel's open round may tell the player: whether worldNET has locked in, and then the seconds left.

    Nothing else: not where worldNET guessed, nor how sure it was (its lock-in time would say
    that, so it is not told before it comes), nor its score.
    """
    now = now or timezone.now()
    locks_at = worldnet_locks_at(round)
    locked = locks_at is not None and now >= locks_at
    return {"index": round.index, "guessed": round.is_done, "locked": locked, "seconds_left": seconds_left(round, now) if locked else None}


def _duel_settle(round: Round, game: Game) -> None:
    """Scores worldNET's guess, deals the damage, and draws the next round unless the duel is over.

    Runs inside ``guess_submit``'s transaction, with the round locked; the game's row is locked
    too, so two requests can never deal one round's damage twice.
    """
    game = Game.objects.select_for_update().get(pk=game.pk)
    prediction = _prediction_of(round)
    worldnet_points = 0
    if prediction is not None:
        worldnet_points = geoguessr_points(
            haversine_km(round.photo.lat, round.photo.lon, prediction.lat, prediction.lon), game.image_set.scale_km
        )
    before = duel.Health(
        game.player_health if game.player_health is not None else duel.START_HEALTH,
        game.worldnet_health if game.worldnet_health is not None else duel.START_HEALTH,
    )
    after = duel.after_round(before, player_points=round.points or 0, worldnet_points=worldnet_points, round_number=round.index + 1)
    round.worldnet_points, round.player_health, round.worldnet_health = worldnet_points, after.player, after.worldnet
    round.save(update_fields=["worldnet_points", "player_health", "worldnet_health"])
    Game.objects.filter(pk=game.pk).update(player_health=after.player, worldnet_health=after.worldnet)
    if after.over:
        return
    photo_id = _next_duel_photo(game, round.index + 1, None)
    if photo_id is not None:  # None: the set has no photo left, and the duel ends on health
        Round.objects.create(game=game, index=round.index + 1, photo_id=photo_id, lock_draw=_lock_draws.random())


def _next_duel_photo(game: Game, index: int, rng: random.Random | None) -> int | None:
    """The photo of a duel's round ``index``: a challenge's original photo there while it lasts, else one not yet played.

    The original's photo is skipped if it may no longer be drawn (disabled, or no guess of this
    worldNET's any more); None when no photo is left.
    """
    pool = _duel_pool(game.image_set, game.model_version_id).exclude(pk__in=game.rounds.values("photo_id"))
    if game.challenge_of_id is not None:
        original = Round.objects.filter(game_id=game.challenge_of_id, index=index).values_list("photo_id", flat=True).first()
        if original is not None and pool.filter(pk=original).exists():
            return original
    photos = list(pool.order_by("id").values_list("id", "place"))
    played = list(game.rounds.order_by("index").values_list("photo__place", flat=True))
    drawn = varied_draw(rng or random.Random(), photos, 1, played)
    return drawn[0] if drawn else None


def _duel_reveal(round: Round) -> dict:
    """The round's duel: both scores as dealt, the multiplier, the damage, health before and after, and whether it ended."""
    number = round.index + 1
    previous = (
        round.game.rounds.filter(index=round.index - 1).values_list("player_health", "worldnet_health").first() if round.index else None
    )
    before = duel.Health(*previous) if previous else duel.START
    hit = duel.damage(player_points=round.points or 0, worldnet_points=round.worldnet_points or 0, round_number=number)
    after = duel.Health(round.player_health, round.worldnet_health)
    over = not round.game.rounds.filter(index=round.index + 1).exists()
    return {
        "round": number,
        "multiplier": duel.multiplier(number),
        "worldnet_points": round.worldnet_points,
        "start_health": duel.START_HEALTH,
        "damage": {"player": hit.to_player, "worldnet": hit.to_worldnet},
        "health_before": {"player": before.player, "worldnet": before.worldnet},
        "health": {"player": after.player, "worldnet": after.worldnet},
        "over": over,
        "winner": duel.winner(after) if over else None,
    }
