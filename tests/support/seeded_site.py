"""A site's database and media seeded with one of everything its pages show, for the tests and
benchmarks that run the site in processes of their own (``tests/project/test_web_without_torch.py``,
``benchmarks/web_footprint.py``).

    env = site_environment(folder)      # SQLite, media and static files under ``folder``
    seed_site(env, admin_password=...)   # in a process of its own: seeding loads PyTorch

Seeded: the small world image set (``tests.support.images``), an (untrained) worldNET active for it
with every prediction stored (activation maps included), a training run queued for it, a superuser
``admin`` and a group. Games, uploads and import jobs are made by the pages themselves
(``tests.support.page_tour``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
ADMIN_USERNAME = "admin"


def site_environment(folder: Path, *, settings: str = "geoguess.settings") -> dict[str, str]:
    """The environment of every process of one seeded site: its own var folder, messages in memory.

    ``memory://``: whatever the pages queue (predictions, imports, training runs) stays in the
    process that queued it, where no worker takes it: the pages are measured, not the work. Tasks
    are not eager, as in production: a web process then never runs a worker's task itself.
    """
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "MEDIA_ROOT", "CELERY_TASK_ALWAYS_EAGER")}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": settings,
        "GEOGUESS_VAR_DIR": str(folder / "var"),
        "CELERY_BROKER_URL": "memory://",
        "SECRET_KEY": env.get("SECRET_KEY") or "seeded-site-" + os.urandom(24).hex(),
        "DEBUG": "false",
    }


def seed_site(env: dict[str, str], *, admin_password: str, timeout_s: float = 600) -> None:
    """Migrates and seeds the site of ``env`` (see the module) in a process of its own."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.support.seeded_site", admin_password],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if result.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")


def _seed(admin_password: str) -> None:
    """In the seeding process: Django is set up from the environment ``site_environment`` made."""
    import numpy as np
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from geoguess.imagesets.services import imageset_import
    from geoguess.opponent.inference import predictions_compute
    from geoguess.opponent.models import ModelVersion
    from geoguess.opponent.registration import model_version_register
    from geoguess.opponent.training_runs import training_run_create
    from tests.support.images import small_world
    from worldnet_core.checkpoint import save_checkpoint
    from worldnet_core.models import create_model
    from worldnet_core.models.clustering import make_centroids

    call_command("migrate", verbosity=0)
    User.objects.create_superuser(ADMIN_USERNAME, "admin@example.org", admin_password)
    Group.objects.create(name="curators")
    scratch = Path(settings.VAR_DIR) / "seed"
    image_set = imageset_import(name="Small world", source=small_world(scratch / "world"))
    photos = list(image_set.photos.all())
    centroids = make_centroids(np.array([p.lat for p in photos]), np.array([p.lon for p in photos]), np.array([p.place for p in photos]))
    model = create_model("worldnet", centroids=centroids.latlon.tolist(), centroid_names=centroids.names, image_size=(64, 96))
    checkpoint = save_checkpoint(model, scratch / "tiny.pt", metrics={"seen": {"mean_km": 1234.0}})
    version = model_version_register(name="tiny", checkpoint=checkpoint)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
    predictions_compute(version_id=version.pk, photo_ids=[p.pk for p in photos])
    training_run_create(image_sets=[image_set], arguments={}, activate=False, name="queued run")
    # A rated duel, for the ratings' admin pages: a player against the version.
    from geoguess.accounts.ratings import account_side, rate_duel, version_side

    player = User.objects.create_user("rated-player", "player@example.org", admin_password)
    rate_duel(game_key="seed:1", first=account_side(player), second=version_side(version), outcome="first")


if __name__ == "__main__":
    import django

    django.setup()
    _seed(sys.argv[1])
