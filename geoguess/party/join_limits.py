"""How often a party may be joined: joins a minute into one party, from one client and from one address, and the codes
tried that name no party (beyond a few a minute every lookup is refused for a while, so join codes cannot be enumerated).

Counted in the database (``Member.joined_from`` / ``joined_address``, ``PartyLookupFailure``) by keyed digests, never the
client's key or address itself. ``services.party_create`` and ``party_join`` call ``check_join_rate`` inside their
transactions; ``services.party_lookup`` calls ``check_lookups`` and ``lookup_failed`` outside any (a refusal must not undo
the count).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from geoguess.party.errors import Code, PartyError
from geoguess.party.models import Member, Party, PartyLookupFailure

#: Joins (and creations) a minute, at most: into one party; from one client (the session's player key) into any; from
#: one address into any (more: a household or a school behind one address joins the same party).
JOINS_PER_MINUTE_PER_PARTY = 30
JOINS_PER_MINUTE_PER_CLIENT = 10
JOINS_PER_MINUTE_PER_ADDRESS = 30
#: Codes tried that name no party, a minute, from one client or one address: beyond it every lookup is refused for a
#: while (a right code too), so join codes cannot be enumerated.
FAILED_LOOKUPS_PER_MINUTE = 10


def client_digest(client: str) -> str:
    """The keyed digest a client's key or address is counted by ("" for none)."""
    return salted_hmac("geoguess.party.client", client, algorithm="sha256").hexdigest()[:32] if client else ""


def check_join_rate(party: Party | None, client: str, address: str) -> None:
    """Refuses (``too_many_joins``) a join beyond the minute's limits into ``party`` (None: a new one), from ``client`` or ``address``."""
    since = timezone.now() - timedelta(minutes=1)
    if party is not None and party.members.filter(joined_at__gte=since).count() >= JOINS_PER_MINUTE_PER_PARTY:
        raise PartyError(Code.TOO_MANY_JOINS, "too many players joined this party in the last minute: try again in a minute")
    if client and Member.objects.filter(joined_from=client_digest(client), joined_at__gte=since).count() >= JOINS_PER_MINUTE_PER_CLIENT:
        raise PartyError(Code.TOO_MANY_JOINS, "too many joins from here in the last minute: try again in a minute")
    joins = Member.objects.filter(joined_address=client_digest(address), joined_at__gte=since)
    if address and joins.count() >= JOINS_PER_MINUTE_PER_ADDRESS:
        raise PartyError(Code.TOO_MANY_JOINS, "too many joins from this address in the last minute: try again in a minute")


def check_lookups(client: str, address: str) -> None:
    """Refuses (``too_many_joins``) every lookup from ``client`` or ``address`` after too many codes that named no party."""
    since = timezone.now() - timedelta(minutes=1)
    for source in {client_digest(c) for c in (client, address) if c}:
        if PartyLookupFailure.objects.filter(source=source, at__gte=since).count() >= FAILED_LOOKUPS_PER_MINUTE:
            raise PartyError(Code.TOO_MANY_JOINS, "too many codes tried from here that name no party: try again in a minute")


def lookup_failed(client: str, address: str) -> None:
    """Counts a code that named no party against whoever tried it (outside any transaction that the refusal undoes)."""
    sources = {client_digest(c) for c in (client, address) if c}
    if not sources:
        return
    with transaction.atomic():
        PartyLookupFailure.objects.filter(at__lt=timezone.now() - timedelta(hours=1)).delete()  # old ones count no more
        PartyLookupFailure.objects.bulk_create([PartyLookupFailure(source=source) for source in sources])
