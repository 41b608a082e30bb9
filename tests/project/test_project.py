"""The project as a whole: Django checks and settings from the environment (its layers: import-linter's contracts in
pyproject.toml, run by `make lint`)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from geoguess.env import env_bool, env_int, env_list
from tests.support.processes import REPO


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_it_passes_django_checks():
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_it_reads_typed_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 0) == 42
    assert env_list("X_LIST", []) == ["a", "b", "c"]
    assert env_int("X_MISSING", 7) == 7


@pytest.mark.parametrize("reader,value", [(env_bool, "maybe"), (env_int, "forty")])
def test_it_refuses_bad_setting_values_by_name(monkeypatch, reader, value):
    monkeypatch.setenv("X_BAD", value)
    with pytest.raises(ImproperlyConfigured, match="X_BAD="):
        reader("X_BAD", 0)


def test_it_honours_database_url():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'])"
    )
    result = run_python(code, DJANGO_SETTINGS_MODULE="geoguess.settings", DATABASE_URL="postgres://u:p@db.example:5432/geo")
    assert result.stdout.split() == ["django.db.backends.postgresql", "geo", "db.example"], result.stderr
    default = run_python(code, DJANGO_SETTINGS_MODULE="geoguess.settings")
    assert default.stdout.split()[0] == "django.db.backends.sqlite3"


def test_it_configures_celery_from_django_settings():
    code = "from geoguess import celery_app; print(celery_app.conf.broker_url, celery_app.conf.task_acks_late)"
    assert run_python(code, CELERY_BROKER_URL="redis://example:6380/3").stdout.split() == ["redis://example:6380/3", "True"]
    assert run_python(code).stdout.split() == ["redis://127.0.0.1:6379/0", "True"]


def test_no_template_comment_spans_lines():
    """Django's ``{# #}`` comments are one line long: one spread over lines is printed on the page as text."""
    found = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert not found, "use {% comment %} for these: " + ", ".join(found)


@pytest.mark.parametrize("value", ["0", "-5", "five", "", "9" * 400])
def test_a_bad_sweep_interval_is_refused_by_name(value):
    """SETTLE_ABANDONED_DUELS_EVERY_S: Celery beat's interval for abandoned duels, whole seconds from 1 to a day (a huge
    one was an OverflowError traceback)."""
    result = run_python("import django; django.setup()", DJANGO_SETTINGS_MODULE="geoguess.settings", SETTLE_ABANDONED_DUELS_EVERY_S=value)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and "SETTLE_ABANDONED_DUELS_EVERY_S=" in result.stderr
    assert "OverflowError" not in result.stderr
    ok = run_python("import django; django.setup()", DJANGO_SETTINGS_MODULE="geoguess.settings", SETTLE_ABANDONED_DUELS_EVERY_S="86400")
    assert ok.returncode == 0, ok.stderr[-2000:]
