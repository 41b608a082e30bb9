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


def send_or_run_here(task, *args: object) -> None:
    """Queues ``task(*args)``; without a queue (``make play`` where no Redis can be had, which makes
    tasks eager) runs it in a thread of this process instead, so the request that started it still
    returns at once and its page can be watched, as with a worker."""
    if not task.app.conf.task_always_eager:
        task.delay(*args)
        return
    import threading

    from django.db import connection

    def run() -> None:
        try:
            task.apply(args=args)
        finally:
            connection.close()  # this thread's own connection

    threading.Thread(target=run, name=f"{task.name}{args}", daemon=True).start()
