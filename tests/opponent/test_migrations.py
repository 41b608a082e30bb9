"""The migration to per-set worldNETs and cross-fitted versions keeps what a site has: its active version is
the site-wide default (so every set keeps its worldNET), each version is trained for its runs' sets, and
its predictions came from its one model."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The image sets' state is pinned too: the rows made below are of its models as they were then.
BEFORE = [("imagesets", "0005_photo_credits"), ("opponent", "0005_trainingrun_background_job")]
AFTER = [("imagesets", "0005_photo_credits"), ("opponent", "0006_per_set_versions_and_folds")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_versions_runs_and_predictions_keep_their_meaning():
    old = migrate(BEFORE)
    ImageSet, Photo = old.get_model("imagesets", "ImageSet"), old.get_model("imagesets", "Photo")
    ModelVersion, Prediction, TrainingRun = (old.get_model("opponent", name) for name in ("ModelVersion", "Prediction", "TrainingRun"))
    image_set = ImageSet.objects.create(name="Old set", slug="old-set", scale_km=1000.0)
    photo = Photo.objects.create(image_set=image_set, original="o.jpg", served="s.jpg", lat=1.0, lon=2.0)
    active = ModelVersion.objects.create(name="active", checkpoint="models/a.pt", is_active=True)
    other = ModelVersion.objects.create(name="other", checkpoint="models/b.pt")
    run = TrainingRun.objects.create(name="active", status="succeeded", model_version=active)
    run.image_sets.add(image_set)
    prediction = Prediction.objects.create(photo=photo, model_version=active, lat=1.5, lon=2.5, top=[], latency_ms=3.0)
    try:
        new = migrate(AFTER)
        versions = new.get_model("opponent", "ModelVersion").objects
        assert versions.get(pk=active.pk).is_active and not versions.get(pk=other.pk).is_active  # the default plays every set
        assert [s.name for s in versions.get(pk=active.pk).image_sets.all()] == ["Old set"] and not versions.get(
            pk=other.pk
        ).image_sets.exists()
        assert versions.get(pk=active.pk).fold_checkpoints == []
        stored = new.get_model("opponent", "Prediction").objects.get(pk=prediction.pk)
        assert stored.fold is None and (stored.lat, stored.lon) == (1.5, 2.5)
        assert not new.get_model("opponent", "SetVersion").objects.exists()
        assert not new.get_model("opponent", "TrainingPhoto").objects.exists()
        migrated_run = new.get_model("opponent", "TrainingRun").objects.get(pk=run.pk)
        assert (migrated_run.data_path, migrated_run.data_note, migrated_run.status) == ("", "", "succeeded")
        back = migrate(BEFORE)  # and back
        assert back.get_model("opponent", "ModelVersion").objects.get(pk=active.pk).is_active
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
