"""Duel worldNET: health, multipliers, and a countdown once worldNET locks in (the arithmetic is ``rules``).

A duel plays one version of worldNET, fixed at its start (its challenges meet the same one). Its rounds
are drawn one at a time, each from the photos that version has a stored guess for, and the guess is
attached to the round as it is drawn: worldNET has its guess (and a confidence to lock in by) when the
round starts, a duel never waits on a worker, and nothing that happens to the prediction later changes
the round.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from geoguess import rules
from geoguess.game import engine
from geoguess.game.errors import Code, GameError
from geoguess.game.mode import Clock, Mode
from geoguess.game.models import DUEL, Game, Round
from geoguess.game.worldnet import worldnet_attach
from geoguess.imagesets.models import ImageSet, Photo
from geoguess.opponent.models import ModelVersion
from geoguess.opponent.selectors import active_version_for

_lock_draws = random.SystemRandom()


def start(*, image_set: ImageSet, player_name: str, owner_key: str, rounds: int = 0, time_limit: int = 0, seed: int | None = None) -> Game:
    """A duel's first round, against the active worldNET, on a photo it has already guessed.

    A duel goes on until a side's health is gone, and its clock is worldNET's lock-in: a number of
    rounds and a time limit do not apply.
    """
    version = active_version_for(image_set=image_set)
    if version is None:
        raise GameError(
            Code.WORLDNET_NOT_READY, "worldNET is not ready for a duel yet: no model is active (play Classic meanwhile)", status=409
        )
    return _create(image_set, player_name, owner_key, version, challenge_of=None, rng=random.Random(seed))


def replay(*, original: Game, player_name: str, owner_key: str) -> Game:
    """The same worldNET version, starting on the same photo (while it may still be drawn)."""
    if original.model_version is None:
        raise GameError(Code.WORLDNET_REMOVED, "the worldNET of that duel has been removed: start a duel of your own", status=410)
    return _create(original.image_set, player_name, owner_key, original.model_version, challenge_of=original)


def _create(
    image_set: ImageSet,
    player_name: str,
    owner_key: str,
    version: ModelVersion,
    challenge_of: Game | None,
    rng: random.Random | None = None,
) -> Game:
    game = engine.game_create(
        image_set=image_set,
        player_name=player_name,
        owner_key=owner_key,
        mode=DUEL,
        photo_ids=[],
        model_version=version,
        challenge_of=challenge_of,
        player_health=rules.START_HEALTH,
        worldnet_health=rules.START_HEALTH,
    )
    photo_id = _next_photo(game, 0, rng)
    if photo_id is None:  # raised inside the caller's transaction: the game is not kept
        raise GameError(
            Code.WORLDNET_NOT_READY,
            f"worldNET has not looked at the photos of {image_set.name} yet: try a duel again in a minute",
            status=409,
        )
    _draw_round(game, 0, photo_id)
    return game


def _draw_round(game: Game, index: int, photo_id: int) -> Round:
    """Round ``index`` on ``photo_id``, with worldNET's guess attached (kept from the player until they guess)."""
    round = Round.objects.create(game=game, index=index, photo_id=photo_id, lock_draw=_lock_draws.random())
    round = Round.objects.select_related("game__image_set", "photo").get(pk=round.pk)
    worldnet_attach(round=round)
    return round


def _pool(game: Game) -> QuerySet[Photo]:
    """The photos left to draw: the game's pool, less those played and those the duel's worldNET has no guess for.

    Empty when the duel's version was deleted: the duel ends with the round under way (a filter on
    ``None`` would instead draw the photos that no version has guessed).
    """
    if game.model_version_id is None:
        return engine.photo_pool(image_set=game.image_set).none()
    pool = engine.photo_pool(image_set=game.image_set).filter(predictions__model_version_id=game.model_version_id)
    return pool.exclude(pk__in=game.rounds.values("photo_id"))


def _next_photo(game: Game, index: int, rng: random.Random | None) -> int | None:
    """The photo of round ``index``: a challenge's original photo there while it may be drawn, else one not yet played."""
    pool = _pool(game)
    if game.challenge_of_id is not None:
        original = Round.objects.filter(game_id=game.challenge_of_id, index=index).values_list("photo_id", flat=True).first()
        if original is not None and pool.filter(pk=original).exists():
            return original
    photos = list(pool.order_by("id").values_list("id", "place"))
    played = list(game.rounds.order_by("index").values_list("photo__place", flat=True))
    drawn = engine.varied_draw(rng or random.Random(), photos, 1, played)
    return drawn[0] if drawn else None


# --- the round's clock: worldNET's lock-in, then the countdown -----------------------------------


def worldnet_locks_at(round: Round) -> datetime | None:
    """When worldNET locks in its guess: sooner the surer it was (``rules.lock_in_delay_s``).

    None before the round is shown, or when the round has no guess of worldNET's (one drawn before
    guesses were attached to rounds, whose prediction has gone since): worldNET then never locks in,
    the player has no countdown, and worldNET scores 0 for the round.
    """
    if round.started_at is None or round.lock_draw is None or not round.worldnet_attached:
        return None
    candidates = round.worldnet_candidates
    confidence = float(candidates[0]["probability"]) if candidates else 0.0
    return round.started_at + timedelta(seconds=rules.lock_in_delay_s(confidence=confidence, draw=round.lock_draw))


def clock(round: Round) -> Clock | None:
    locks_at = worldnet_locks_at(round)
    if locks_at is None:
        return None
    return Clock(shown_from=locks_at, deadline=locks_at + timedelta(seconds=rules.COUNTDOWN_SECONDS))


def round_state(*, round: Round, now: datetime | None = None) -> dict[str, object]:
    """What an open round may tell the player: whether worldNET has locked in, and then the seconds left.

    Nothing else: not where worldNET guessed, nor how sure it was (its lock-in time would say
    that, so it is not told before it comes), nor its score.
    """
    now = now or timezone.now()
    locks_at = worldnet_locks_at(round)
    locked = locks_at is not None and now >= locks_at
    return {
        "index": round.index,
        "guessed": round.is_done,
        "locked": locked,
        "seconds_left": engine.seconds_left(round, now) if locked else None,
    }


# --- settling a round ----------------------------------------------------------------------------


def after_guess(round: Round, game: Game, now: datetime) -> None:
    """Deals the round's damage, then draws the next round unless the duel ends here (``rules.duel_end``).

    The game's row alone is locked (``of="self"``: not the image set's, which every duel on the set
    would then queue on), so two requests can never deal one round's damage twice.
    """
    game = Game.objects.select_for_update(of=("self",)).select_related("image_set").get(pk=game.pk)
    worldnet_points = round.worldnet_points or 0  # no guess of worldNET's on the round: it scores 0
    before = rules.Health(*(rules.START_HEALTH if health is None else health for health in (game.player_health, game.worldnet_health)))
    hit = rules.damage(player_points=round.points or 0, worldnet_points=worldnet_points, round_number=round.index + 1)
    after = rules.after_round(before, hit)
    round.worldnet_points, round.damage_to_player, round.damage_to_worldnet = worldnet_points, hit.to_player, hit.to_worldnet
    round.player_health, round.worldnet_health = after.player, after.worldnet
    round.save(update_fields=["worldnet_points", "damage_to_player", "damage_to_worldnet", "player_health", "worldnet_health"])
    knocked_out = rules.duel_end(after, next_photo=True) is not None
    photo_id = None if knocked_out else _next_photo(game, round.index + 1, None)
    ended_by = rules.duel_end(after, next_photo=photo_id is not None)
    Game.objects.filter(pk=game.pk).update(player_health=after.player, worldnet_health=after.worldnet, ended_by=ended_by or "")
    if photo_id is not None and ended_by is None:
        _draw_round(game, round.index + 1, photo_id)


MODE = Mode(name=DUEL, start=start, replay=replay, pins_version=True, clock=clock, after_guess=after_guess)
