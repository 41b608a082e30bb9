"""Celery beat plays out the duels their players left: a real worker with its beat inside (``-B``, as ``manage.py play``
runs it), on a real Redis, over a seeded site's database file (``game/abandoned_duels.py``)."""

from __future__ import annotations

import pytest

from tests.support.processes import manage, redis_server, start_worker, stop, wait_for
from tests.support.seeded_site import seed_site, site_environment

pytestmark = pytest.mark.slow

LEAVE_A_DUEL = """
from datetime import timedelta
from django.utils import timezone
from geoguess.game import services
from geoguess.game.models import DUEL, Game
from geoguess.imagesets.models import ImageSet
game = services.game_start(image_set=ImageSet.objects.order_by("pk").first(), player_name="Dee", owner_key="left", mode=DUEL)
Game.objects.filter(pk=game.pk).update(created_at=timezone.now() - timedelta(hours=2))  # left two hours ago
print("duel", game.pk)
"""
STATE = """
from geoguess.game.models import Game
game = Game.objects.get(pk={pk})
print("state", game.finished_at is not None, game.ended_by or "-", game.rounds.filter(timed_out=True).count())
"""


def state(env: dict[str, str], pk: str) -> list[str]:
    return manage(env, "shell", "-c", STATE.format(pk=pk)).split("state", 1)[1].split()


def test_a_worker_with_beat_plays_out_a_duel_left_alone(tmp_path):
    env = site_environment(tmp_path)
    seed_site(env, admin_password="a long test password")
    with redis_server(tmp_path) as url:
        env = {**env, "CELERY_BROKER_URL": url, "SETTLE_ABANDONED_DUELS_EVERY_S": "1"}
        pk = manage(env, "shell", "-c", LEAVE_A_DUEL).split("duel", 1)[1].strip()
        assert state(env, pk) == ["False", "-", "0"]
        log = tmp_path / "worker.log"
        worker = start_worker(url, queues="celery", env=env, log=log, beat=True)
        try:
            wait_for(lambda: state(env, pk)[0] == "True", 120, "the abandoned duel played out by beat's task", log)
        finally:
            stop(worker)
    finished, ended_by, timed_out = state(env, pk)
    assert finished == "True" and ended_by in ("knockout", "no_photos_left") and int(timed_out) >= 1
    assert "geoguess.game.tasks.settle_abandoned_duels" in log.read_text()
