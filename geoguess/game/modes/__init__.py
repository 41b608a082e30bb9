"""The game's modes, each a small module of its own rules on the round engine (``geoguess/game/engine.py``).

A mode module defines ``MODE`` (a ``mode.Mode``: how a game of it starts and is replayed from a
challenge link, the round's clock, what follows a guess). Importing this package registers every mode
with the engine (``GameConfig.ready`` does); ``models.MODES`` names them for the database and pages.
"""

from __future__ import annotations

from geoguess.game.mode import register
from geoguess.game.modes import classic, daily, duel, streak

for _module in (classic, duel, daily, streak):
    register(_module.MODE)
