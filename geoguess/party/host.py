"""A host who vanished: in the lobby or after a game, a host with no open connection for ``HOST_AWAY_SECONDS`` hands the
host's role to the longest-present connected human (during a game the host stays: a reload must not cost the role).

The referee's clock (``referee.advance``) calls ``host_handover`` inside its transaction, with the party's row locked;
the frames and the connections' clocks read ``host_away_due`` to say when it is due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from geoguess.party.models import FINISHED, LOBBY, Member, Party
from geoguess.party.notify import announce

#: A host with no open connection this long, in the lobby or after a game, hands the host's role over (``host_handover``).
HOST_AWAY_SECONDS = 20


def host_away_due(party: Party, members: list[Member]) -> datetime | None:
    """When the host's role is due to pass on (``host_handover``), from the party's ``members`` (its rows not removed):
    in the lobby or after a game, the host has had no open connection for ``HOST_AWAY_SECONDS`` (or there is no host
    at all) while another human present is connected. None when nothing is due."""
    if party.phase not in (LOBBY, FINISHED):
        return None
    host = next((m for m in members if m.is_host and m.present), None)
    if host is not None and host.connections > 0:
        return None
    if not any(m.present and not m.is_worldnet and m.connections > 0 and m is not host for m in members):
        return None
    if host is None:
        return party.created_at
    return (host.disconnected_at or host.joined_at) + timedelta(seconds=HOST_AWAY_SECONDS)


def host_handover(party: Party, now: datetime) -> bool:
    """The host's role to the longest-present connected human, once ``host_away_due``; whether it passed on."""
    members = list(party.members.filter(removed=False))
    due = host_away_due(party, members)
    if due is None or now < due:
        return False
    heirs = [m for m in members if m.present and not m.is_worldnet and m.connections > 0 and not m.is_host]
    heir = min(heirs, key=lambda m: (m.joined_at, m.pk))
    Member.objects.filter(party=party, is_host=True).update(is_host=False)
    Member.objects.filter(pk=heir.pk).update(is_host=True)
    announce(party.pk)
    return True
