"""Writes of the game that start one (HackSoft's services): a new game in any mode, a challenge's replay, a try of
the daily challenge.

The writes of a game under way are the round engine's (``engine.round_open``, ``engine.guess_submit``);
each mode's own rules are in ``modes/``; the numbers in ``geoguess/rules.py``.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from geoguess import rules
from geoguess.game.errors import Code, GameError
from geoguess.game.mode import MODES, mode_of
from geoguess.game.models import CLASSIC, DUEL, Game
from geoguess.game.modes import daily, streak
from geoguess.game.selectors import daily_try
from geoguess.imagesets.models import ImageSet

TIME_LIMIT_MESSAGE = f"time limit must be one of {', '.join(map(str, rules.TIME_LIMITS))} seconds"
NAME_MISSING_MESSAGE = "please give a display name for the leaderboard"
DAILY_PLAYED_MESSAGE = "you have played today's daily challenge already: one try a day"
#: The modes the home page's form starts; the others start from pages of their own (the daily challenge's).
HOME_MODES = (CLASSIC, DUEL)
ROUND_COUNT_MESSAGE = f"a classic game has {', '.join(map(str, rules.ROUND_COUNTS[:-1]))} or {rules.ROUND_COUNTS[-1]} rounds"


def clean_player_name(name: str) -> str:
    """A display name: runs of spaces collapsed, 1 to ``PLAYER_NAME_MAX_LENGTH`` printable characters.

    Control and format characters (NUL, the right-to-left override, zero-width spaces) are
    refused: names are shown to other players, who should see the name that was typed.
    """
    name = " ".join((name or "").split())
    if not name:
        raise GameError(Code.NAME_MISSING, NAME_MISSING_MESSAGE)
    if len(name) > rules.PLAYER_NAME_MAX_LENGTH:
        raise GameError(Code.NAME_TOO_LONG, f"a display name is at most {rules.PLAYER_NAME_MAX_LENGTH} characters")
    if any(unicodedata.category(c)[0] == "C" for c in name):
        raise GameError(Code.NAME_NOT_PRINTABLE, "a display name can only use letters, digits, spaces and punctuation")
    return name


@transaction.atomic  # a start refused half-way (no photo worldNET has guessed) keeps nothing
def game_start(
    *,
    image_set: ImageSet,
    player_name: str,
    owner_key: str,
    mode: str = CLASSIC,
    rounds: int = rules.ROUNDS_PER_GAME,
    time_limit: int = 0,
    seed: int | None = None,
    account_id: int | None = None,
) -> Game:
    """A new game of ``mode`` on ``image_set`` (its rounds and time limit are a classic game's: a duel has its own),
    the signed-in account's when ``account_id`` is given.

    The rules are checked in the order the home page asks: the name, the rounds, the time limit, the mode.
    """
    player_name = clean_player_name(player_name)
    if rounds not in rules.ROUND_COUNTS:
        raise GameError(Code.BAD_ROUND_COUNT, ROUND_COUNT_MESSAGE)
    if time_limit not in rules.TIME_LIMITS:
        raise GameError(Code.BAD_TIME_LIMIT, TIME_LIMIT_MESSAGE)
    if mode not in HOME_MODES:
        raise GameError(Code.UNKNOWN_MODE, "choose Classic or Duel worldNET")
    start = MODES[mode].start
    game = start(image_set=image_set, player_name=player_name, owner_key=owner_key, rounds=rounds, time_limit=time_limit, seed=seed)
    return _played_by(game, account_id)


def _played_by(game: Game, account_id: int | None) -> Game:
    """The game, now the account's (a guest's game keeps none)."""
    if account_id is not None:
        game.account_id = account_id
        game.save(update_fields=["account"])
    return game


@transaction.atomic
def game_start_challenge(*, original: Game, player_name: str, owner_key: str, account_id: int | None = None) -> Game:
    """The same photos, in the same order, for someone else (a duel: against the same worldNET version).

    A challenge of a challenge replays the first game, so everyone lands in one results list. The
    replay is not ranked on the image set's leaderboard (see ``selectors``).
    """
    root = original.challenge_of or original
    game = mode_of(root).replay(original=root, player_name=clean_player_name(player_name), owner_key=owner_key)
    return _played_by(game, account_id)


@transaction.atomic
def daily_start(*, player_name: str, owner_key: str, account_id: int | None, today: date) -> Game:
    """A try of ``today``'s daily challenge (drawn now if it is the day's first): one a day per account and one
    per browser (``owner_key``), refused with ``Code.DAILY_PLAYED`` (409) after that. An account's try is
    ranked on the day's leaderboard; a guest's is not (a guest can try again in another browser).

    ``today``: the site's local date (``timezone.localdate()``), a parameter so that tests can name a day.
    """
    # An account's try is ranked under the account's name: a leaderboard of accounts names who played.
    account = get_user_model().objects.filter(pk=account_id).first() if account_id is not None else None
    player_name = clean_player_name(account.get_username()[: rules.PLAYER_NAME_MAX_LENGTH] if account is not None else player_name)
    challenge = daily.daily_challenge_get_or_draw(day=today)
    if daily_try(challenge=challenge, owner_key=owner_key, account_id=account_id) is not None:
        raise GameError(Code.DAILY_PLAYED, DAILY_PLAYED_MESSAGE, status=409)
    try:
        with transaction.atomic():  # a savepoint: the refused insert below leaves the outer transaction usable
            return daily.daily_game_create(challenge=challenge, player_name=player_name, owner_key=owner_key, account_id=account_id)
    except IntegrityError:  # a second request of the same player's, a moment after the first (one_daily_try_per_*)
        raise GameError(Code.DAILY_PLAYED, DAILY_PLAYED_MESSAGE, status=409) from None


@transaction.atomic  # a set with no photo in a country keeps nothing
def streak_start(*, image_set: ImageSet, player_name: str, owner_key: str, account_id: int | None = None, seed: int | None = None) -> Game:
    """A country streak on ``image_set``, its first photo drawn (the streak page's form: ``views/streak.py``)."""
    game = streak.start(image_set=image_set, player_name=clean_player_name(player_name), owner_key=owner_key, seed=seed)
    return _played_by(game, account_id)
