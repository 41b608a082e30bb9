"""The party modes, registered with the referee on import (``apps.PartyConfig.ready``)."""

from geoguess.party.mode import register
from geoguess.party.modes import battle_royale, classic, duel

for _module in (classic, battle_royale, duel):
    register(_module.MODE)
