"""The seeded site the players meet: the demo world and a trained demo worldNET, whose guesses are all stored.

Seeding trains a model (minutes), so the result is kept in ``var/load-bench/<key>/``: a dump of the
database (``pg_dump``) and the media folder (photos, the model's checkpoint). A later run with the
same seeding options and the same migrations restores it in seconds, then migrates (a newer migration
applies on top). ``--reseed`` makes it again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load.stack import Stack
from tests.support.processes import REPO

CACHE = REPO / "var" / "load-bench"
#: The longest the worker may take to store worldNET's guess for every photo, once seeded.
PREDICTIONS_TIMEOUT_S = 900

COUNT_PREDICTIONS = """
from geoguess.imagesets.models import Photo
from geoguess.opponent.models import Prediction
from geoguess.opponent.selectors import active_version
version = active_version()
print(Prediction.objects.filter(model_version=version).count() if version else 0, Photo.objects.count())
"""


@dataclass(frozen=True)
class Seeding:
    """``seed_demo``'s options: the game's photos a city, the demo worldNET's own draw and epochs."""

    per_city: int = 20
    training_per_city: int = 50
    epochs: int = 15

    def arguments(self) -> list[str]:
        return ["--per-city", str(self.per_city), "--training-per-city", str(self.training_per_city), "--epochs", str(self.epochs)]

    def key(self) -> str:
        """Names the cached seeding: these options and the database's migrations as they are now."""
        migrations = sorted(REPO.glob("geoguess/*/migrations/*.py"))
        digest = hashlib.sha256()
        for path in migrations:
            digest.update(path.relative_to(REPO).as_posix().encode() + path.read_bytes())
        return f"demo-{self.per_city}-{self.training_per_city}-{self.epochs}-{digest.hexdigest()[:12]}"


def seed(site: Stack, seeding: Seeding, *, reseed: bool = False, say: Callable[[str], None] = print) -> str:
    """Fills the site's database and media; returns how (restored from the cache, or seeded now and kept)."""
    kept = CACHE / seeding.key()
    if kept.exists() and not reseed:
        started = time.monotonic()
        _restore(site, kept)
        site.manage("migrate", "-v", "0")
        return f"restored from {kept.relative_to(REPO)} in {time.monotonic() - started:.0f} s"
    started = time.monotonic()
    site.manage("migrate", "-v", "0")
    say(f"seeding the demo world and training the demo worldNET (seed_demo {' '.join(seeding.arguments())}): minutes, once ...")
    site.manage("seed_demo", *seeding.arguments())
    stored, photos = _wait_predictions(site)
    say(f"the worker stored worldNET's guess for {stored} of {photos} photos")
    _keep(site, kept)
    return f"seeded in {time.monotonic() - started:.0f} s and kept in {kept.relative_to(REPO)}"


def _wait_predictions(site: Stack) -> tuple[int, int]:
    deadline = time.monotonic() + PREDICTIONS_TIMEOUT_S
    while True:
        stored, photos = (int(n) for n in site.manage("shell", "-v", "0", "-c", COUNT_PREDICTIONS).split())
        if stored >= photos or time.monotonic() > deadline:
            return stored, photos
        time.sleep(2)


def _keep(site: Stack, kept: Path) -> None:
    partial = kept.with_name(kept.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    subprocess.run([str(site.bindir / "pg_dump"), "--format=custom", "--file", str(partial / "site.dump"), site.postgres.url], check=True)
    shutil.copytree(site.folder / "media", partial / "media", ignore=shutil.ignore_patterns(".spool"))
    shutil.rmtree(kept, ignore_errors=True)
    partial.rename(kept)  # whole or not at all: a run stopped while keeping leaves no half cache


def _restore(site: Stack, kept: Path) -> None:
    media = site.folder / "media"
    shutil.rmtree(media, ignore_errors=True)
    shutil.copytree(kept / "media", media, copy_function=_link_or_copy)
    (media / "imports" / ".spool").mkdir(parents=True, exist_ok=True)
    restore = [str(site.bindir / "pg_restore"), "--no-owner", "--exit-on-error", "--dbname", site.postgres.url, str(kept / "site.dump")]
    subprocess.run(restore, check=True)


def _link_or_copy(source: str, target: str) -> None:
    """A hard link (instant, no space) where the run's folder shares the cache's disk, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
