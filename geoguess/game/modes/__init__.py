"""The game's modes, each a small module of its own rules on the round engine (``geoguess/game/engine.py``).

A mode module defines ``MODE`` (an ``engine.Mode``: how many rounds, the round's clock, what follows a
guess) and how a game of it starts (``start``) and is replayed from a challenge link (``replay``).
Importing this package registers every mode with the engine (``GameConfig.ready`` does).
"""

from __future__ import annotations

from geoguess.game import engine
from geoguess.game.modes import classic, duel

for _module in (classic, duel):
    engine.register(_module.MODE)

#: Each mode's module, by its name: where ``services`` finds ``start`` and ``replay``.
MODULES = {classic.MODE.name: classic, duel.MODE.name: duel}
