"""worldNET on a real Redis and real Celery worker processes, against a real database file.

Everything runs as it would in production: ``manage.py`` commands in their own
processes, a worker consuming the ``inference`` queue, Redis in between.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.support.images import small_world
from tests.support.processes import REGISTER, manage, redis_server, start_worker, stop, wait_for

COUNT = (
    "from geoguess.opponent.models import Prediction; from geoguess.imagesets.models import Photo; "
    "print(Prediction.objects.count(), Photo.objects.count())"
)


def counts(env: dict) -> tuple[int, int]:
    stored, photos = manage(env, "shell", "-v", "0", "-c", COUNT).split()
    return int(stored), int(photos)


@pytest.fixture
def site(tmp_path):
    """A site with its own database and media, seeded with a small image set, and a Redis."""
    with redis_server(tmp_path) as url:
        env = {
            **os.environ,
            "GEOGUESS_VAR_DIR": str(tmp_path / "var"),
            "CELERY_BROKER_URL": url,
            "DJANGO_SETTINGS_MODULE": "geoguess.settings",
            "PREDICTION_BATCH_SIZE": "8",
            "CELERY_VISIBILITY_TIMEOUT": "4",
        }
        manage(env, "migrate", "-v", "0")
        manage(env, "import_imageset", str(small_world(tmp_path / "world", per_city=6)), "--name", "Small world")
        yield env, url


@pytest.mark.slow
def test_it_stores_a_prediction_for_every_photo_once_a_version_is_activated(site, tmp_path):
    env, url = site
    log = tmp_path / "worker.log"
    worker = start_worker(url, queues="inference", env=env, log=log)
    try:
        assert "activated" in manage(env, "shell", "-v", "0", "-c", REGISTER.replace("{tmp}", str(tmp_path)))
        wait_for(lambda: counts(env)[0] == counts(env)[1] == 24, 180, "24 stored predictions", log)
    finally:
        stop(worker)
    assert "predict_batch" in log.read_text()
    latency = manage(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        "from geoguess.opponent.models import Prediction as P; print(min(p.latency_ms for p in P.objects.all()) > 0)",
    )
    assert latency.strip() == "True"


#: A cross-fitted version of untrained models: the full one and one per fold, each photo in a fold but the
#: last four (its test photos), activated for the set.
REGISTER_FOLDS = """
import numpy as np
from pathlib import Path
from geoguess.imagesets.models import ImageSet, Photo
from geoguess.opponent.registration import model_version_register
from geoguess.opponent.services import model_version_activate
from worldnet_core.checkpoint import save_checkpoint
from worldnet_core.models import create_model
from worldnet_core.models.clustering import make_centroids
photos = list(Photo.objects.order_by("pk"))
c = make_centroids(np.array([p.lat for p in photos]), np.array([p.lon for p in photos]), np.array([p.place for p in photos]))
def model(seed):
    import torch
    torch.manual_seed(seed)
    return create_model("worldnet", centroids=c.latlon.tolist(), centroid_names=c.names, image_size=(64, 96))
paths = [save_checkpoint(model(k), Path("{tmp}") / f"m{k}.pt") for k in range(3)]
folds = {p.pk: (None if i >= 20 else i % 2) for i, p in enumerate(photos)}
version = model_version_register(name="fair", checkpoint=paths[0], fold_checkpoints=paths[1:], photo_folds=folds,
                                 image_sets=ImageSet.objects.all())
model_version_activate(version=version, image_sets=ImageSet.objects.all())
print("activated", version.pk)
"""
MISMATCHED = (
    "from geoguess.opponent.models import Prediction, TrainingPhoto; "
    "folds = dict(TrainingPhoto.objects.values_list('photo_id', 'fold')); "
    "print(sum(p.fold != folds[p.photo_id] for p in Prediction.objects.all()), "
    "sorted(set(Prediction.objects.values_list('fold', flat=True)), key=lambda f: -1 if f is None else f))"
)


@pytest.mark.slow
def test_a_worker_guesses_each_photo_with_the_model_that_never_trained_on_it(site, tmp_path):
    env, url = site
    log = tmp_path / "worker.log"
    worker = start_worker(url, queues="inference", env=env, log=log)
    try:
        assert "activated" in manage(env, "shell", "-v", "0", "-c", REGISTER_FOLDS.replace("{tmp}", str(tmp_path)))
        wait_for(lambda: counts(env)[0] == 24, 180, "24 stored predictions", log)
    finally:
        stop(worker)
    assert manage(env, "shell", "-v", "0", "-c", MISMATCHED).strip() == "0 [None, 0, 1]"


ONE_PHOTO = (
    "from pathlib import Path; from django.conf import settings; from geoguess.imagesets.models import Photo; "
    "print(Path(settings.MEDIA_ROOT) / Photo.objects.order_by('pk').last().original)"
)


def reader_is_waiting(fifo: Path) -> int | None:
    """A write end of the FIFO once a process has it open for reading, else None (POSIX: ENXIO)."""
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return None


@pytest.mark.slow
def test_a_restarted_worker_completes_the_batch_of_one_killed_midway(site, tmp_path):
    env, url = site
    env = {**env, "PREDICTION_BATCH_SIZE": "24"}  # one batch: the whole set
    # One photo's file becomes a named pipe: the worker's read of it blocks, so the kill lands
    # mid-batch every time (a timed kill lost the race to a fast machine: the batch had finished).
    photo = Path(manage(env, "shell", "-v", "0", "-c", ONE_PHOTO).strip())
    assert photo.is_file(), photo
    kept = photo.with_name(photo.name + ".kept")
    photo.rename(kept)
    os.mkfifo(photo)
    first_log = tmp_path / "first.log"
    # Prefork, as deployed: its parent acknowledges an early-acknowledged task as soon as a child
    # takes it, so this test fails unless the batch is acknowledged late.
    worker = start_worker(url, queues="inference", env=env, log=first_log, pool="prefork", own_process_group=True)
    write_end = None
    try:
        manage(env, "shell", "-v", "0", "-c", REGISTER.replace("{tmp}", str(tmp_path)))
        write_end = wait_for(lambda: reader_is_waiting(photo), 120, "the worker to reach the photo in the middle of its batch", first_log)
        os.killpg(worker.pid, signal.SIGKILL)  # worker and child, no clean shutdown: the message is left unacknowledged
        worker.wait(timeout=10)
    finally:
        stop(worker)
        if write_end is not None:
            os.close(write_end)
        photo.unlink()
        kept.rename(photo)
    stored, photos = counts(env)
    assert stored < photos == 24, "the worker stored the whole batch before it was killed; the test proves nothing"
    time.sleep(5)  # past the visibility timeout, so the broker hands the batch out again
    second_log = tmp_path / "second.log"
    restarted = start_worker(url, queues="inference", env=env, log=second_log)
    try:
        wait_for(lambda: counts(env)[0] == 24, 180, "the restarted worker to store all 24 predictions", second_log)
    finally:
        stop(restarted)
