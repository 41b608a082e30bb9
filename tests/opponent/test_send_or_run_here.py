"""Without a queue (eager tasks), admin-started jobs run in a thread: the request that starts them returns at once."""

from __future__ import annotations

import threading

from geoguess.celery import app, send_or_run_here

started = threading.Event()
release = threading.Event()
ran_in: list[str] = []


@app.task(name="tests.wait_for_release")
def wait_for_release(label: str) -> str:
    started.set()
    release.wait(10)
    ran_in.append(f"{label} in {threading.current_thread().name}")
    return label


def test_an_eager_task_runs_in_a_thread_and_the_caller_does_not_wait_for_it():
    app.conf.task_always_eager = True
    try:
        send_or_run_here("tests.wait_for_release", "job-7")  # returns although the task is still waiting
        assert started.wait(10), "the task never started"
        assert ran_in == []
        release.set()
        for thread in threading.enumerate():
            if thread.name.startswith("tests.wait_for_release"):
                thread.join(10)
        assert ran_in == ["job-7 in tests.wait_for_release('job-7',)"]
    finally:
        app.conf.task_always_eager = False
