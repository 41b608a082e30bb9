"""The Celery wiring against a real Redis and a real worker process."""

from __future__ import annotations

import pytest

from tests.support.processes import redis_server, start_worker, stop


@pytest.mark.slow
def test_it_runs_a_task_on_a_real_worker_over_redis(tmp_path):
    from celery import Celery

    with redis_server(tmp_path) as url:
        log = tmp_path / "worker.log"
        worker = start_worker(url, env={"CELERY_RESULT_BACKEND": url}, log=log)
        try:
            client = Celery("client", broker=url, backend=url)
            result = client.send_task("geoguess.ping")
            assert result.get(timeout=60) == "pong", log.read_text()
        finally:
            stop(worker)
    assert "geoguess.ping" in log.read_text()  # the project's app registered and ran it
