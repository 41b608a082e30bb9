"""Celery tasks of parties, on the light ``party`` queue: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from geoguess.party import services


@shared_task(name="geoguess.party.tasks.worldnet_lock_in", ignore_result=True)
def worldnet_lock_in(party_id: int, round_id: int) -> bool:
    """worldNET locks in its guess for the round (queued with a countdown to its lock-in time; see ``referee``).

    Idempotent: a round already ended, already locked in (a connection's timer got there first) or not
    current any more is left as it is. It stores the guess and tells the room through the channel layer.
    """
    return services.worldnet_lock_in(party_id=party_id, round_id=round_id)
