"""Celery beat plays out the rated duels their players left: real beat and worker processes (as ``manage.py play`` runs
them), on a real Redis, over a seeded site's database file (``game/abandoned_duels.py``)."""

from __future__ import annotations

import pytest

from tests.support.processes import manage, redis_server, start_beat, start_worker, stop, wait_for
from tests.support.seeded_site import seed_site, site_environment

pytestmark = pytest.mark.slow

LEAVE_A_DUEL = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from geoguess.game import services
from geoguess.game.models import DUEL, Round
from geoguess.imagesets.models import ImageSet
dee = get_user_model().objects.create_user(username="dee", password="a long enough password 123")
image_set = ImageSet.objects.order_by("pk").first()
game = services.game_start(image_set=image_set, player_name="Dee", owner_key="left", mode=DUEL, account_id=dee.pk)
Round.objects.filter(game=game, index=0).update(started_at=timezone.now() - timedelta(hours=1))  # seen, and left an hour ago
print("duel", game.pk)
"""
STATE = """
from geoguess.accounts.models import RatingChange
from geoguess.game.models import Game
game = Game.objects.get(pk={pk})
rated = ",".join(RatingChange.objects.filter(rating__account__username="dee").values_list("result", flat=True)) or "-"
print("state", game.finished_at is not None, game.ended_by or "-", game.rounds.filter(timed_out=True).count(), rated)
"""


def state(env: dict[str, str], pk: str) -> list[str]:
    return manage(env, "shell", "-c", STATE.format(pk=pk)).split("state", 1)[1].split()


def test_a_worker_with_beat_plays_out_a_duel_left_alone(tmp_path):
    env = site_environment(tmp_path)
    seed_site(env, admin_password="a long test password")
    with redis_server(tmp_path) as url:
        env = {**env, "CELERY_BROKER_URL": url, "SETTLE_ABANDONED_DUELS_EVERY_S": "1"}
        pk = manage(env, "shell", "-c", LEAVE_A_DUEL).split("duel", 1)[1].strip()
        assert state(env, pk) == ["False", "-", "0", "-"]
        log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
        worker = start_worker(url, queues="celery", env=env, log=log)
        beat = start_beat(url, env=env, log=beat_log)
        try:
            wait_for(lambda: state(env, pk)[0] == "True", 120, "the abandoned duel played out by beat's task", log)
        finally:
            stop(beat)
            stop(worker)
    finished, ended_by, timed_out, rated = state(env, pk)
    assert finished == "True" and ended_by in ("knockout", "no_photos_left") and int(timed_out) >= 1
    assert rated == "loss"  # the account's duel, rated once, as the clock ended it
    assert "geoguess.game.tasks.settle_abandoned_duels" in log.read_text()
    assert "Traceback" not in log.read_text() and "settle_abandoned_duels" in beat_log.read_text()  # beat sent it
