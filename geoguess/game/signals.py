"""What the game tells the apps built on it, without knowing them (``geoguess.accounts`` connects its
receivers in ``AccountsConfig.ready()``: ratings and the daily streak follow finished games).

- ``game_finished`` (``game_id``): a game's last round was played. Sent once the guess that ended it
  has committed, once per game.
"""

from __future__ import annotations

from django.dispatch import Signal

game_finished = Signal()
