"""What accounts do when a game or a party game ends (connected in ``AccountsConfig.ready()``): rate the duel; and,
on a sign-in, offer the account's name to the start forms.

What is rated (``ratings.rate_duel``), and what is not:

- a duel against worldNET played by a signed-in account, first play (``ranked``: not a replayed challenge, whose
  taker can have seen every answer), while its worldNET version still exists: the account against that version;
- a party duel between two members who both joined signed in (two different accounts), or an account against
  worldNET at the table (the party's version): how it ended (``standings``) decides, a player who left forfeits;
- never a guest, a replay, a classic game (nor daily, streak), a party game every player left ("abandoned"), a
  party duel whose loser was removed by the host (a host would otherwise win by removing), a party duel of
  one account with itself. worldNET's rating does not move for what is not rated.

A duel against worldNET that its player left is played out by its clock (``game/abandoned_duels.py``) and ends, so
it is rated here as it ended.

Receivers run after the game's commit, in the request that ended it: a failure to rate is logged, never
raised (the guess has been stored; the player must not see an error for it).
"""

from __future__ import annotations

import logging
from typing import Any

from geoguess import rules
from geoguess.accounts.ratings import Outcome, Side, account_side, rate_duel, version_side
from geoguess.game.models import DUEL, Game
from geoguess.party.models import DUEL as PARTY_DUEL
from geoguess.party.models import Member, Party
from geoguess.party.selectors import standings

logger = logging.getLogger(__name__)
#: A duel's winner (``rules.Health.winner``) as ``rate_duel``'s outcome, the account being the first side.
DUEL_OUTCOMES: dict[rules.Winner, Outcome] = {"player": "first", "worldnet": "second", "draw": "draw"}


def offer_account_name(sender: Any, *, request: Any, user: Any, **kwargs: Any) -> None:
    """On every sign-in (sign-up signs in too): the name the start forms offer is the account's (``display_name``)."""
    if request is not None and hasattr(request, "session"):
        request.session["player_name"] = user.get_username()


def rate_finished_game(sender: Any, *, game_id: int, **kwargs: Any) -> None:
    try:
        game_rate(game_id)
    except Exception:  # after the commit: the player's guess stands, whatever happens here
        logger.exception("rating game %s failed", game_id)


def rate_finished_party_game(sender: Any, *, party_id: int, game_number: int, ended_by: str, **kwargs: Any) -> None:
    try:
        party_game_rate(party_id, game_number, ended_by)
    except Exception:  # after the commit: as above
        logger.exception("rating game %s of party %s failed", game_number, party_id)


def game_rate(game_id: int) -> bool:
    """Rates a finished duel against worldNET when it is rated at all (see the module); whether it was rated now."""
    game = Game.objects.select_related("account", "model_version").filter(pk=game_id, finished_at__isnull=False).first()
    if game is None or game.mode != DUEL or not game.ranked or game.challenge_of_id is not None:
        return False
    if game.account is None or game.model_version is None or game.player_health is None or game.worldnet_health is None:
        return False
    winner = rules.Health(game.player_health, game.worldnet_health).winner
    first, second = account_side(game.account), version_side(game.model_version)
    return rate_duel(game_key=f"game:{game.pk}", first=first, second=second, outcome=DUEL_OUTCOMES[winner])


def party_game_rate(party_id: int, game_number: int, ended_by: str) -> bool:
    """Rates a finished party duel when it is rated at all (see the module); whether it was rated now."""
    party = Party.objects.select_related("model_version").filter(pk=party_id).first()
    if party is None or party.mode != PARTY_DUEL or ended_by == "abandoned" or party.game_number != game_number:
        return False  # a later game under way: its members' numbers are no longer this game's
    placed = standings(party)
    if len(placed) != 2 or any(member.removed for _, member in placed):
        return False
    sides = [_side(party, member) for _, member in placed]
    first, second = sides
    if first is None or second is None or first == second:
        return False
    outcome: Outcome = "draw" if placed[0][0] == placed[1][0] else "first"
    return rate_duel(game_key=f"party:{party.pk}:{game_number}", first=first, second=second, outcome=outcome)


def _side(party: Party, member: Member) -> Side | None:
    """The member as a rated side: their account, or worldNET's version at the table; None for a guest."""
    if member.is_worldnet:
        return version_side(party.model_version) if party.model_version is not None else None
    return account_side(member.account) if member.account is not None else None
