"""The Celery app, configured from Django settings under the ``CELERY_`` namespace, and how the
site sends tasks: by name, so that no module that queues work imports the module that does it."""

from __future__ import annotations

import os
import threading
from typing import Any

from celery import Celery, Task
from django.db import connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoguess.settings")

app = Celery("geoguess")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="geoguess.ping")
def ping() -> str:
    """Answers "pong": lets operators and tests check that a worker is consuming."""
    return "pong"


def registered_task(name: str) -> Task:
    """The task called ``name``. A web process has not imported the apps' tasks modules (it sends
    by name); when it must run one itself (eager tasks), they are imported here first."""
    if name not in app.tasks:
        app.loader.import_default_modules()  # the apps' tasks modules (autodiscover_tasks)
    return app.tasks[name]


def send_task(name: str, *args: Any, **options: Any) -> None:
    """Queues the task called ``name`` with ``args`` (routed by name: ``CELERY_TASK_ROUTES``, or
    ``options``). Without a queue (eager tasks) it runs here and now, as Celery's eager mode does."""
    if app.conf.task_always_eager:
        registered_task(name).apply(args=args)
        return
    app.send_task(name, args=args, **options)


def send_or_run_here(name: str, *args: Any) -> None:
    """Queues the task called ``name``; without a queue (``make play`` where no Redis can be had,
    which makes tasks eager) runs it in a thread of this process instead, so the request that
    started it still returns at once and its page can be watched, as with a worker."""
    if not app.conf.task_always_eager:
        app.send_task(name, args=args)
        return
    task = registered_task(name)

    def run() -> None:
        try:
            task.apply(args=args)
        finally:
            connection.close()  # this thread's own connection

    threading.Thread(target=run, name=f"{name}{args}", daemon=True).start()
