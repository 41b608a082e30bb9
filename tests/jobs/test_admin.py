"""Every job page's own URLs (geoguess.jobs.admin) against hostile ids and methods: a 4xx, never a 500."""

from __future__ import annotations

import pytest

HOSTILE_IDS = ["abc", "0", "-1", "99999999999999999999", "1e400", "%00", "%FF%FE", "..%2F..%2Fsettings.py", "%3Cscript%3E", "²"]


@pytest.mark.parametrize("model", ["imagesets/importjob", "opponent/trainingrun"])
@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_a_job_page_answers_an_id_that_is_no_jobs_with_a_404(admin_client, model, hostile):
    client = admin_client
    client.raise_request_exception = False
    assert client.get(f"/admin/{model}/{hostile}/progress.json").status_code == 404
    assert client.post(f"/admin/{model}/{hostile}/cancel/").status_code == 404


@pytest.mark.parametrize("model", ["imagesets/importjob", "opponent/trainingrun"])
def test_cancel_takes_a_post_only_and_progress_is_never_cached(admin_client, model):
    from geoguess.imagesets.models import ImportJob
    from geoguess.opponent.models import TrainingRun

    job = (ImportJob if model.startswith("imagesets") else TrainingRun).objects.create(name="a job")
    assert admin_client.get(f"/admin/{model}/{job.pk}/cancel/").status_code == 405
    response = admin_client.get(f"/admin/{model}/{job.pk}/progress.json")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response.json()["log"] == {"from": 0, "text": "", "length": 0}
