"""A double-clicked upload: two imports of the same name at once must leave the first intact."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.imagesets.services import imageset_import
from tests.support.images import small_world
from tests.support.processes import REPO
from worldnet_core.manifest import ImageSetError


def referenced_files(media: Path) -> set[Path]:
    return {media / p for photo in Photo.objects.all() for p in (photo.original, photo.served)}


def test_an_import_finishing_first_survives_the_one_that_started_first(db, settings, tmp_path):
    """The exact order of the reported bug, made deterministic: import B runs whole while
    import A is storing its photos; A then fails on the name and must not touch B's files."""
    first = small_world(tmp_path / "a", per_city=2)
    second = small_world(tmp_path / "b", per_city=2)
    inner: list[ImageSet] = []

    def meanwhile(stage: str, done: int, total: int) -> None:
        if done == 3 and not inner:  # A is half-way through storing: B comes and completes
            inner.append(imageset_import(name="Twice", source=second))

    with pytest.raises(ImageSetError, match="exists already"):
        imageset_import(name="Twice", source=first, progress=meanwhile)
    media = Path(settings.MEDIA_ROOT)
    survivor = ImageSet.objects.get()
    assert survivor.pk == inner[0].pk and survivor.photos.count() == 8
    kept = referenced_files(media)
    assert kept and all(path.is_file() for path in kept)
    assert {p for p in media.rglob("*") if p.is_file()} == kept  # and nothing of A's is left


@pytest.mark.slow
def test_two_simultaneous_imports_of_one_name_leave_one_whole_set(transactional_db, settings, tmp_path):
    """Two `import_imageset` processes started together on the same name, on this test's database."""
    world = small_world(tmp_path / "world", per_city=30)  # enough work that both pass the name check before either saves
    media = tmp_path / "media"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "geoguess.settings",
        "MEDIA_ROOT": str(media),
        "GEOGUESS_VAR_DIR": str(tmp_path / "var"),
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:  # the in-memory test database cannot be shared with other processes: a file of their own
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'race.sqlite3'}"
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env, check=True)
    command = [sys.executable, "manage.py", "import_imageset", str(world), "--name", "Race"]
    racers = [subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(racer.wait(timeout=300), *racer.communicate()) for racer in racers]
    assert sorted(code for code, _, _ in results) == [0, 1], results
    loser = next(err for code, _, err in results if code == 1)
    assert "exists already" in loser and "Traceback" not in loser
    print("the second import said:", loser.strip().splitlines()[-1])

    if connection.vendor == "postgresql":
        photos = list(Photo.objects.all())
        assert ImageSet.objects.count() == 1
    else:
        import sqlite3

        with sqlite3.connect(tmp_path / "race.sqlite3") as race:
            assert race.execute("select count(*) from imagesets_imageset").fetchone() == (1,)
            photos = race.execute("select original, served from imagesets_photo").fetchall()
        photos = [type("P", (), {"original": o, "served": s}) for o, s in photos]
    assert len(photos) == 120
    kept = {media / p for photo in photos for p in (photo.original, photo.served)}
    assert all(path.is_file() for path in kept)
    assert {p for p in media.rglob("*") if p.is_file()} == kept
