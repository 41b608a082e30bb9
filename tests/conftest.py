"""Shared fixtures: the real-photo sample from ../shared, and small images the tests make."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.images import small_world
from tests.support.sites import server  # noqa: F401  (a fixture: the site in its own process, for browser tests)

REPO = Path(__file__).resolve().parent.parent
OSV5M_SAMPLE = REPO.parent / "shared" / "data" / "osv5m-sample"


@pytest.fixture
def osv5m_sample() -> Path:
    """71 real street photos with a labels CSV; skipped where ../shared is absent."""
    if not (OSV5M_SAMPLE / "labels.csv").is_file():
        pytest.skip("../shared/data/osv5m-sample is not present (it is only beside CI and developer checkouts)")
    return OSV5M_SAMPLE


# --- Django: media in a temporary folder; an in-memory broker for unit tests ---------------


@pytest.fixture(autouse=True)
def _isolated_media(request, tmp_path_factory):
    """Every test that touches Django gets its own MEDIA_ROOT; Celery messages stay in memory.

    Unit tests call services directly (no worker): queued tasks just wait in the memory
    transport. The integration tests start a real Redis and worker of their own.
    """
    if "settings" not in request.fixturenames and "db" not in request.fixturenames and "admin_client" not in request.fixturenames:
        yield
        return
    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    from geoguess.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = "memory://"
    yield
    app.conf.broker_url = previous


@pytest.fixture
def image_set(db, settings, tmp_path):
    from geoguess.imagesets.services import imageset_import

    return imageset_import(name="Small world", source=small_world(tmp_path / "world"))


@pytest.fixture
def model_version(image_set, tmp_path):
    """An (untrained) worldNET over the set's places, registered, active, with every prediction stored."""
    import numpy as np

    from geoguess.opponent.inference import predictions_compute
    from geoguess.opponent.models import ModelVersion
    from geoguess.opponent.registration import model_version_register
    from worldnet_core.checkpoint import save_checkpoint
    from worldnet_core.models import create_model
    from worldnet_core.models.clustering import make_centroids

    photos = list(image_set.photos.all())
    centroids = make_centroids(np.array([p.lat for p in photos]), np.array([p.lon for p in photos]), np.array([p.place for p in photos]))
    model = create_model("worldnet", centroids=centroids.latlon.tolist(), centroid_names=centroids.names, image_size=(64, 96))
    version = model_version_register(
        name="tiny", checkpoint=save_checkpoint(model, tmp_path / "tiny.pt", metrics={"seen": {"mean_km": 1234.0}})
    )
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
    predictions_compute(version_id=version.pk, photo_ids=[p.pk for p in photos])
    version.refresh_from_db()
    return version


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright, one per test module (see tests/support/processes.py)."""
    from tests.support.processes import chromium

    with chromium() as launched:
        yield launched
