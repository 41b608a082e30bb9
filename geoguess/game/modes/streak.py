"""Country streak: name the country of each photo by clicking it on the map; the run goes on while the answer is right.

Rounds are drawn one at a time (as a duel's): the first at the start, the next after a right answer, none
after a wrong one, so the engine ends the game with the round that broke the streak (``ended_by``
"wrong_country"). No clock: naming a country is knowledge, not speed.

Which photos: the set's enabled photos (``engine.photo_pool``) that lie in a country of the shipped land
data, by the same function and margin that decide a round's ``truth_country`` (``land.country_of``, 50 km
off a drawn coast), and in none of the disputed areas (``land.DISPUTED_AREAS``, where the right answer
depends on whose border one follows). A photo at sea is never drawn, nor one photo twice in a run: when
none is left, the player has named every photo of the set, and the run ends ("no_photos_left").

The click: its country is found like the photo's, margin included, so a pin on the very spot a photo
was taken is always right (the 1:110m coastline cuts off harbours and small islands: a margin of 0 would
refuse a click on the answer itself there). A click farther than that from every country, or in a
disputed area, names no country of the game: refused (``no_country``), and the round stays open.

worldNET plays the same photos, with the version active when its guess is attached to the round (as in a
classic game); its streak is counted from the countries of its stored guesses. Nothing new is stored:
a streak is the rounds whose guess's country is the answer's, in a row from the first (``rules.streak``).
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geoguess import rules
from geoguess.game import engine
from geoguess.game.errors import Code, GameError
from geoguess.game.mode import Clock, Mode
from geoguess.game.models import STREAK, Game, Round
from geoguess.imagesets.models import ImageSet
from worldnet_core.land import DISPUTED_AREAS, country_name, country_of

#: ``Game.ended_by`` of a run that ended on a wrong answer (a run that named every photo: "no_photos_left").
WRONG_COUNTRY = "wrong_country"
NO_PHOTOS_LEFT = "no_photos_left"


def playable_country(country: str | None) -> bool:
    """Whether a country found in the land data can be an answer: one at all, and not a disputed area."""
    return bool(country) and country not in DISPUTED_AREAS


def photos_to_draw(*, image_set: ImageSet, played: Collection[int] = ()) -> list[tuple[int, str]]:
    """``(id, place)`` of the photos a run may draw next: in a country, not disputed, not ``played`` already.

    The countries are found for the whole pool at once (one vectorised ``country_of``), not photo by photo.
    """
    rows = list(engine.photo_pool(image_set=image_set).exclude(pk__in=list(played)).order_by("id").values_list("id", "place", "lat", "lon"))
    if not rows:
        return []
    countries = country_of([row[2] for row in rows], [row[3] for row in rows])
    return [(pk, place) for (pk, place, _, _), country in zip(rows, countries, strict=True) if playable_country(country)]


def _draw(game: Game, index: int, rng: random.Random) -> Round | None:
    """Round ``index`` on a photo not yet played, spread over the places (``engine.varied_draw``); None when none is left."""
    played = list(game.rounds.order_by("index").values_list("photo_id", "photo__place"))
    photos = photos_to_draw(image_set=game.image_set, played={pk for pk, _ in played})
    drawn = engine.varied_draw(rng, photos, 1, [place for _, place in played])
    return Round.objects.create(game=game, index=index, photo_id=drawn[0]) if drawn else None


def start(*, image_set: ImageSet, player_name: str, owner_key: str, rounds: int = 0, time_limit: int = 0, seed: int | None = None) -> Game:
    """A run's first round. A streak goes on while the answers are right and has no clock: a number of
    rounds and a time limit do not apply."""
    game = engine.game_create(image_set=image_set, player_name=player_name, owner_key=owner_key, mode=STREAK, photo_ids=[])
    if _draw(game, 0, random.Random(seed)) is None:  # raised inside game_start's transaction: the game is not kept
        raise GameError(Code.TOO_FEW_PHOTOS, f"no photo of {image_set.name} lies in a country of the map: a streak needs one", status=409)
    return game


def replay(*, original: Game, player_name: str, owner_key: str) -> Game:
    """None: a run's photos are drawn as it goes, and its reveals name every answer up to its end."""
    raise GameError(Code.NO_REPLAY, "a country streak has no challenge link: start a streak of your own", status=409)


def clock(round: Round) -> Clock | None:
    return None


def pin_check(round: Round, lat: float, lon: float) -> None:
    """Refuses a click that names no country of the game (at sea, or in a disputed area): the round stays open."""
    country = country_of(lat, lon)
    if country is None:
        raise GameError(Code.NO_COUNTRY, "that point is in no country: click inside a country's borders")
    if country in DISPUTED_AREAS:
        raise GameError(
            Code.NO_COUNTRY,
            f"who {country_name(country)} belongs to is disputed, so no photo of a streak is there: click another country",
        )


def after_guess(round: Round, game: Game, now: datetime) -> None:
    """Draws the next round after a right answer; a wrong one (or no photo left) ends the run with this round."""
    right = rules.country_right(round.guess_country, round.truth_country)
    drawn = _draw(game, round.index + 1, random.Random()) if right else None
    if drawn is None:
        Game.objects.filter(pk=game.pk).update(ended_by=NO_PHOTOS_LEFT if right else WRONG_COUNTRY)


MODE = Mode(name=STREAK, start=start, replay=replay, pins_version=False, clock=clock, after_guess=after_guess, pin_check=pin_check)


# --- both streaks, read from the rounds ----------------------------------------------------------


@dataclass(frozen=True)
class Streaks:
    """Both sides' streaks over the rounds the player has guessed.

    ``worldnet``: its right answers in a row from the first photo, as far as its guesses are in;
    ``worldnet_going``: right on every photo the player has seen; ``worldnet_waiting``: photos it has
    still to guess (its streak may grow when they come).
    """

    player: int
    worldnet: int
    worldnet_going: bool
    worldnet_waiting: int


def streaks(rounds: list[Round]) -> Streaks:
    """Both streaks over ``rounds`` (the guessed rounds, in order): from what was stored with each guess."""
    player = rules.streak(rules.country_right(r.guess_country, r.truth_country) for r in rounds)
    worldnet_answers = [rules.country_right(r.worldnet_country, r.truth_country) if r.worldnet_attached else None for r in rounds]
    worldnet = rules.streak(worldnet_answers)
    return Streaks(
        player=player,
        worldnet=worldnet,
        worldnet_going=worldnet == len(rounds),
        worldnet_waiting=sum(answer is None for answer in worldnet_answers),
    )


def round_streak(round: Round, *, finished: bool, ended_by: str) -> dict[str, Any]:
    """What a guessed round's reveal says of the streak: the answer, each side's country, right or not, and both
    streaks through this round. worldNET's side is None until its guess for the round is in; it is only ever
    read for a round already guessed (``presentation.round_reveal`` refuses the others)."""
    rounds = list(round.game.rounds.filter(index__lte=round.index, guessed_at__isnull=False).order_by("index"))
    counted = streaks(rounds)
    worldnet = None
    if round.worldnet_attached:
        worldnet = {
            "right": rules.country_right(round.worldnet_country, round.truth_country),
            "said": _name(round.worldnet_country),
            "streak": counted.worldnet,
            "going": counted.worldnet_going,
        }
    return {
        "answer": _name(round.truth_country),
        "player": {
            "right": rules.country_right(round.guess_country, round.truth_country),
            "said": _name(round.guess_country),
            "streak": counted.player,
        },
        "worldnet": worldnet,
        "ended_by": (ended_by or None) if finished else None,
    }


def _name(country: str) -> str:
    """A country of the land data by its full English name ("" for none)."""
    return country_name(country) if country else ""
