"""Celery tasks of the game: housekeeping on Celery beat's timer (``CELERY_BEAT_SCHEDULE``), on the default queue."""

from __future__ import annotations

from celery import shared_task

from geoguess.game.abandoned_duels import abandoned_duels_settle


@shared_task(name="geoguess.game.tasks.settle_abandoned_duels", ignore_result=True)
def settle_abandoned_duels() -> int:
    """Plays out the duels left alone (``abandoned_duels``; what ``manage.py settle_abandoned_duels`` runs); how many ended."""
    return abandoned_duels_settle().ended
