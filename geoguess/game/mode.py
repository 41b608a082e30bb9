"""What a game mode is to the round engine: its own rules as the engine and the services call them.

Each mode module (``modes/``) defines one ``Mode`` and registers it (``modes/__init__.py``); the engine
finds a game's mode here (``mode_of``), so it never imports a mode's module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from geoguess.game.models import Game, Round
from geoguess.imagesets.models import ImageSet


@dataclass(frozen=True)
class Clock:
    """A round's clock: shown to the player from ``shown_from``, up at ``deadline``."""

    shown_from: datetime
    deadline: datetime


class Start(Protocol):
    """How a game of a mode starts: its first rounds drawn. ``rounds``: how many a game of fixed length
    has; ``time_limit``: seconds a round, 0 for none (a mode with a length or a clock of its own, as a
    duel, ignores them)."""

    def __call__(
        self, *, image_set: ImageSet, player_name: str, owner_key: str, rounds: int, time_limit: int, seed: int | None
    ) -> Game: ...


class Replay(Protocol):
    """A challenge link's replay of a finished game, for another player."""

    def __call__(self, *, original: Game, player_name: str, owner_key: str) -> Game: ...


@dataclass(frozen=True)
class Mode:
    """A game mode's own rules, as the engine and the services call them (each mode module defines one: ``MODE``).

    Its name and label are the game's ``mode`` field's choices (``models.MODES``).
    """

    name: str
    start: Start
    replay: Replay
    #: Whether the mode plays the worldNET version fixed at its start (a duel) rather than the active one.
    pins_version: bool
    #: The round's clock, or None while none runs (no time limit; worldNET not locked in yet).
    clock: Callable[[Round], Clock | None]
    #: What follows a stored guess (or a time-out), inside its transaction, the round's row locked.
    after_guess: Callable[[Round, Game, datetime], None]
    #: Checks a pin before it is scored, raising a ``GameError`` to refuse it with the round still open
    #: (a country streak's click in no country); None: every point on the map is a guess.
    pin_check: Callable[[Round, float, float], None] | None = None


MODES: dict[str, Mode] = {}


def register(mode: Mode) -> Mode:
    MODES[mode.name] = mode
    return mode


def mode_of(game: Game) -> Mode:
    return MODES[game.mode]
