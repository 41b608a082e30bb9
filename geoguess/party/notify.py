"""Telling a party's connections that it changed: one message to its group, after the change commits.

What each member is then sent is built by their own connection (``frames.state_for``): the message
carries nothing of the party, so nothing in it can reach a member it was not meant for.
"""

from __future__ import annotations

import logging

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
    """Tells the party's connections, once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: send_changed(party_id))


def send_changed(party_id: int) -> None:
    layer = get_channel_layer()
    if layer is None:  # no channel layer configured: nobody to tell
        return
    try:
        async_to_sync(layer.group_send)(party_group(party_id), {"type": CHANGED})
    except Exception:  # the change is stored: connections catch up at their next timer or message
        logger.exception("could not tell party %s's connections that it changed", party_id)
