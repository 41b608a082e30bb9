"""No page imports PyTorch (DESIGN.md: "Web processes don't import PyTorch").

The site runs in a fresh interpreter (pytest's own has imported torch for other tests) on a seeded
database (``tests.support.seeded_site``): it runs ``manage.py check``, queues an import with
``import_imageset --background``, then serves every page kind through Django's test client
(``tests.support.page_tour``: the game, its API, the maps, every ModelAdmin's pages, the admin's own
pages and actions). Neither ``torch`` nor ``torchvision`` may be imported on the way; when one is, the
failure shows the stack that first imported it. pyproject's import-linter contract says the same of
the import graph, before anything runs.

It runs as on a web machine, which installs requirements-web.txt alone: the other packages of
requirements-worker.txt (pandas, geopandas, scikit-learn...) cannot be imported there, so here an
import of one fails as it would there (folium, for one, takes pandas only when it is installed).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import secrets
import subprocess
import sys

import pytest

from tests.support.seeded_site import REPO, seed_site, site_environment

#: Runs in the fresh interpreter: argv is the admin's password, where to write the zip to queue, the
#: modules a web machine lacks (JSON), and optionally a module to import first (the test that shows
#: this test fails when torch comes back).
SITE = r"""
import json, sys, traceback
from dataclasses import asdict
from pathlib import Path

first_imported = {}
absent = set(json.loads(sys.argv[3]))


class Watch:
    '''Notes the stack that first imports torch or torchvision; refuses what a web machine lacks.'''

    def find_spec(self, name, path=None, target=None):
        if name in absent:
            raise ModuleNotFoundError(f"No module named {name!r} (a web machine installs requirements-web.txt alone)", name=name)
        if name in ("torch", "torchvision") and name not in first_imported:
            frames = [frame for frame in traceback.format_stack()[:-1] if "<frozen" not in frame]
            first_imported[name] = "".join(frames[-15:])
        return None


sys.meta_path.insert(0, Watch())

import django
from django.test.utils import setup_test_environment

django.setup()
setup_test_environment()  # the test client's host, "testserver", allowed

from django.core.management import call_command
from django.test import Client

from tests.support.page_tour import DjangoClientBrowser, tiny_labelled_zip, tour

password, archive = sys.argv[1], Path(sys.argv[2])
if len(sys.argv) > 4:
    __import__(sys.argv[4])
call_command("check")
import geoguess.asgi  # noqa: E402,F401 - the WebSocket side too: its routes, the party consumer and what it imports
archive.write_bytes(tiny_labelled_zip())
call_command("import_imageset", str(archive), "--background", "--name", f"Queued from the shell {archive.parent.name}")
visits = tour(DjangoClientBrowser(Client()), admin_password=password)
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("torch", "torchvision"))
print("REPORT " + json.dumps({"visits": [{**asdict(v), "ok": v.ok} for v in visits], "first_imported": first_imported, "loaded": loaded}))
"""


def worker_only_modules() -> list[str]:
    """The top-level modules of what requirements-worker.txt adds to requirements-web.txt, but PyTorch's
    (watched instead, to name the importer)."""
    lines = (REPO / "requirements-worker.txt").read_text().splitlines()
    names = {re.split(r"[\[=<>~ ]", line, maxsplit=1)[0].lower() for line in lines if line and line[0].isalnum()}
    names -= {"torch", "torchvision"}
    modules: set[str] = set()
    for module, distributions in importlib.metadata.packages_distributions().items():
        if names.intersection(d.lower() for d in distributions) and not module.startswith("_"):
            modules.add(module)
    assert {"pandas", "geopandas", "sklearn"} <= modules, modules  # the names still read as distributions
    return sorted(modules)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[dict[str, str], str]:
    env = site_environment(tmp_path_factory.mktemp("web-without-torch"))
    password = secrets.token_urlsafe(12)
    seed_site(env, admin_password=password)
    return env, password


def serve_every_page(site: tuple[dict[str, str], str], archive: str, *first_import: str) -> dict:
    env, password = site
    result = subprocess.run(
        [sys.executable, "-c", SITE, password, archive, json.dumps(worker_only_modules()), *first_import],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    report = next(line for line in result.stdout.splitlines() if line.startswith("REPORT "))
    return json.loads(report.removeprefix("REPORT "))


def test_it_serves_every_page_kind_without_importing_torch(site, tmp_path):
    report = serve_every_page(site, str(tmp_path / "queued.zip"))
    wrong = [f"{v['method']} {v['path']} ({v['kind']}): {v['status']}, not {v['expected']}" for v in report["visits"] if not v["ok"]]
    assert not wrong, "\n".join(wrong)
    kinds = {visit["kind"] for visit in report["visits"]}
    for kind in ("game: round image", "game API: guess", "game: attention overlay", "game: summary", "admin: activation page"):
        assert kind in kinds, kind
    for model in ("imagesets.ImportJob", "opponent.TrainingRun", "opponent.ModelVersion", "imagesets.Photo", "game.Game", "auth.User"):
        assert f"admin: {model} change" in kinds, model
    assert {"admin: training run form", "admin: opponent.TrainingRun progress", "admin: imagesets.ImageSet coverage_map"} <= kinds
    importers = [f"{name} first imported here:\n{stack}" for name, stack in report["first_imported"].items()]
    assert not importers, "\n\n".join(importers)
    assert report["loaded"] == []


def test_it_would_see_torch_come_back(site, tmp_path):
    """The check above fails, naming the importer, when a page's module imports torch again (simulated
    by importing a worker's module, which does, before the pages are served)."""
    report = serve_every_page(site, str(tmp_path / "queued.zip"), "geoguess.opponent.inference")
    assert "torch" in report["loaded"]
    assert "geoguess/opponent/inference.py" in report["first_imported"]["torch"]
