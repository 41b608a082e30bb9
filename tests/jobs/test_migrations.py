"""The migrations that put import jobs and training runs on the shared machinery keep the rows a site has."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("imagesets", "0003_import_jobs_and_curation"), ("opponent", "0004_trainingrun")]
AFTER = [("imagesets", "0004_importjob_background_job"), ("opponent", "0005_trainingrun_background_job")]


def migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_jobs_and_runs_keep_their_data():
    old = migrate(BEFORE)
    now = timezone.now()
    job = old.get_model("imagesets", "ImportJob").objects.create(
        name="Old upload",
        archive="imports/a/b.zip",
        archive_name="b.zip",
        status="running",
        stage="storing",
        storage="deadbeef",
        attempts=2,
        problems=[],
        heartbeat_at=now,
    )
    failed = old.get_model("opponent", "TrainingRun").objects.create(
        name="old run", status="failed", error="its worker stopped", started_at=now, finished_at=now, log="a line\n"
    )
    queued = old.get_model("opponent", "TrainingRun").objects.create(name="never started")
    try:
        new = migrate(AFTER)
        job = new.get_model("imagesets", "ImportJob").objects.get(pk=job.pk)
        assert (job.token, job.attempts, job.stage, job.status, job.log, job.deliveries) == ("deadbeef", 2, "storing", "running", "", 0)
        runs = new.get_model("opponent", "TrainingRun").objects
        failed, queued = runs.get(pk=failed.pk), runs.get(pk=queued.pk)
        assert (failed.problems, failed.attempts, failed.token, failed.log) == (["its worker stopped"], 1, "", "a line\n")
        assert (queued.problems, queued.attempts, queued.status) == ([], 0, "queued")
        # And back: the error comes back from the problems, the folder token from the token.
        back = migrate(BEFORE)
        assert back.get_model("opponent", "TrainingRun").objects.get(pk=failed.pk).error == "its worker stopped"
        assert back.get_model("imagesets", "ImportJob").objects.get(pk=job.pk).storage == "deadbeef"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
