"""Classic: 3, 5 or 10 photos (``rules.ROUND_COUNTS``) drawn at the start, an optional time limit a round, the better total wins.

worldNET plays every round with the version active when its guess is attached to the round.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from geoguess.game import engine
from geoguess.game.errors import Code, GameError
from geoguess.game.mode import Clock, Mode
from geoguess.game.models import CLASSIC, Game, Round
from geoguess.imagesets.models import ImageSet


def start(*, image_set: ImageSet, player_name: str, owner_key: str, rounds: int, time_limit: int = 0, seed: int | None = None) -> Game:
    """A new game of ``rounds`` distinct photos of ``image_set``, spread over its places.

    ``rounds``: one of ``rules.ROUND_COUNTS``; ``time_limit``: seconds a round, one of ``rules.TIME_LIMITS``
    (``services.game_start`` checks both).
    """
    photos = list(engine.photo_pool(image_set=image_set).order_by("id").values_list("id", "place"))
    if len(photos) < rounds:
        raise GameError(Code.TOO_FEW_PHOTOS, f"{image_set.name} has {len(photos)} photos; a game needs {rounds}")
    chosen = engine.varied_draw(random.Random(seed), photos, rounds)
    return engine.game_create(
        image_set=image_set,
        player_name=player_name,
        owner_key=owner_key,
        mode=CLASSIC,
        photo_ids=chosen,
        time_limit=time_limit,
        rounds_chosen=rounds,
    )


def replay(*, original: Game, player_name: str, owner_key: str) -> Game:
    """The same photos, in the same order and with the same time limit, for someone else."""
    photo_ids = list(original.rounds.order_by("index").values_list("photo_id", flat=True))
    return engine.game_create(
        image_set=original.image_set,
        player_name=player_name,
        owner_key=owner_key,
        mode=CLASSIC,
        photo_ids=photo_ids,
        time_limit=original.time_limit,
        rounds_chosen=len(photo_ids),
        challenge_of=original,
    )


def clock(round: Round) -> Clock | None:
    """The game's time limit from the moment the round's image is first shown; none without a limit."""
    if round.started_at is None or not round.game.time_limit:
        return None
    return Clock(shown_from=round.started_at, deadline=round.started_at + timedelta(seconds=round.game.time_limit))


def after_guess(round: Round, game: Game, now: datetime) -> None:
    """Nothing more: the guess is scored, and the game ends with its last round."""


MODE = Mode(name=CLASSIC, start=start, replay=replay, pins_version=False, clock=clock, after_guess=after_guess)
