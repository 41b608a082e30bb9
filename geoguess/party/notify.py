"""Telling a party's connections that it changed: one message to its group, after the change commits.

What each member is then sent is built by their own connection (``frames.state_from``): the message
carries nothing of the party, so nothing in it can reach a member it was not meant for.
"""

from __future__ import annotations

import logging
import secrets

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

#: The consumers' handler of the message (``consumers.PartyConsumer.party_changed``).
CHANGED = "party.changed"


def party_group(party_id: int) -> str:
    """The channel layer group of a party's connections."""
    return f"party-{party_id}"


def announce(party_id: int) -> None:
    """Tells the party's connections, once the current transaction commits (at once outside one); once a transaction,
    however many of its steps announce (a round's end stores worldNET's guess, settles, starts the reveal or the end)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(getattr(hook, "announces", None) == party_id for _, hook, _ in connection.run_on_commit):
        return  # already due at this commit (a rolled-back savepoint takes its hooks with it, so none is lost)

    def hook() -> None:
        send_changed(party_id)

    hook.announces = party_id  # type: ignore[attr-defined]
    transaction.on_commit(hook)


def send_changed(party_id: int) -> None:
    """``party.changed`` to the party's group, with an id of its own: a server's connections that hear the same
    message share one read of the party (``consumers``), made after it arrived and so after the change."""
    layer = get_channel_layer()
    if layer is None:  # no channel layer configured: nobody to tell
        return
    try:
        async_to_sync(layer.group_send)(party_group(party_id), {"type": CHANGED, "id": secrets.token_hex(8)})
    except Exception:  # the change is stored: connections catch up at their next timer or message
        logger.exception("could not tell party %s's connections that it changed", party_id)
