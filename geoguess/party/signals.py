"""What the party app tells the apps built on it, without knowing them (``geoguess.accounts`` connects
its receivers in ``AccountsConfig.ready()``: a finished duel between two accounts is rated).

- ``party_game_finished`` (``party_id``, ``game_number``, ``ended_by``): a party's game ended. Sent once
  the transition has committed, once per game (the referee's transitions happen once: ``referee``).
"""

from __future__ import annotations

from django.dispatch import Signal

party_game_finished = Signal()
