"""A whole site in its own process, for browser tests: a small image set and an active (untrained) worldNET."""

from __future__ import annotations

import os

import pytest

from tests.support.images import small_world
from tests.support.processes import REGISTER, manage, start_site, stop


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The site in its own process, seeded with a small image set and an active worldNET."""
    tmp = tmp_path_factory.mktemp("site")
    env = {
        **os.environ,
        "GEOGUESS_VAR_DIR": str(tmp / "var"),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "DJANGO_SETTINGS_MODULE": "geoguess.settings",
        # One process serves everything (parties' WebSockets too): the in-memory channel layer, no Redis needed.
        "CHANNEL_LAYER_URL": "memory://",
    }
    manage(env, "migrate", "-v", "0")
    manage(env, "import_imageset", str(small_world(tmp / "world", per_city=3)), "--name", "Small world")
    manage(env, "shell", "-v", "0", "-c", REGISTER.replace("{tmp}", str(tmp)))  # eager: predictions are stored right away
    process, url = start_site(env)
    yield url
    stop(process)
