"""The Celery app, configured from Django settings under the ``CELERY_`` namespace."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoguess.settings")

app = Celery("geoguess")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="geoguess.ping")
def ping() -> str:
    """Answers "pong": lets operators and tests check that a worker is consuming."""
    return "pong"
