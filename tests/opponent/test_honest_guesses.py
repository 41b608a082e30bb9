"""worldNET never guesses a photo it trained on: a version trained on the site's photos is cross-fitted,
records the fold of each photo, and each stored guess says which of its models made it.

The proof runs on real models: each fold model's retrieval bank holds the features of exactly the
images it trained on, so the photos of its own fold are shown to be absent from it; then classic
games are played, and every guess of worldNET stored on a round is checked against the folds.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from tests.support.games import play_round, start
from tests.support.images import small_world


@pytest.fixture
def cross_fitted(db, settings, tmp_path):
    """A worldNET trained by ``train_worldnet --activate`` on 32 photos (2 folds, a quarter held out), with its predictions."""
    from django.core.management import call_command

    from geoguess.imagesets.models import Photo
    from geoguess.imagesets.services import imageset_import
    from geoguess.opponent.inference import predictions_compute
    from geoguess.opponent.models import ModelVersion

    imageset_import(name="Small world", source=small_world(tmp_path / "world", per_city=8))
    call_command(
        "train_worldnet",
        name="fair",
        epochs=1,
        head_epochs=1,
        batch_size=8,
        image_size=[32, 48],
        device="cpu",
        test_fraction=0.25,
        retrieval_weight=0.5,  # the site trains without retrieval; its bank is what shows which photos a model saw
        activate=True,
        stdout=io.StringIO(),
    )
    version = ModelVersion.objects.get(name="fair")
    assert predictions_compute(version_id=version.pk, photo_ids=list(Photo.objects.values_list("pk", flat=True))) == 32
    return version


def _folds(version) -> dict[int, int | None]:
    from geoguess.opponent.models import TrainingPhoto

    return dict(TrainingPhoto.objects.filter(model_version=version).values_list("photo_id", "fold"))


def _bank_matches(checkpoint, photos) -> np.ndarray:
    """For each photo, whether the model's retrieval bank holds its features: it is one of the model's training images."""
    from django.conf import settings

    from training.engine import load_data
    from worldnet_core.checkpoint import load_model
    from worldnet_core.manifest import ImageRecord, Manifest
    from worldnet_core.models.base import to_float

    model, _ = load_model(settings.MEDIA_ROOT / checkpoint)
    manifest = Manifest(settings.MEDIA_ROOT, [ImageRecord(p.original, p.lat, p.lon, p.place) for p in photos])
    data = load_data(manifest, model.preprocessing.size, progress=False)
    with torch.inference_mode():
        features = torch.nn.functional.normalize(model.features(to_float(data.images)).float(), dim=1)
    # Exact differences (no matrix-product shortcut, whose rounding is as large as the gaps between these features).
    nearest = torch.cdist(features.double(), model.bank.double(), compute_mode="donot_use_mm_for_euclid_dist").min(dim=1).values
    return (nearest < 1e-6).numpy()  # its own image: 0 here; any other: 7e-4 and more


def test_it_records_each_photos_fold_and_each_fold_model_never_saw_its_folds_photos(cross_fitted):
    from geoguess.imagesets.models import Photo

    folds = _folds(cross_fitted)
    assert set(folds) == set(Photo.objects.values_list("pk", flat=True))  # every photo of its run, once
    assert sorted(f for f in folds.values() if f is not None) == [0] * 12 + [1] * 12  # 24 trained on, in two halves
    assert sum(f is None for f in folds.values()) == 8  # the test photos: no model trained on them
    assert len(cross_fitted.fold_checkpoints) == 2 and [s.name for s in cross_fitted.image_sets.all()] == ["Small world"]
    assert cross_fitted.training["folds"] == 2 and cross_fitted.training["test_images"] == {"seen": 8, "unseen": 0, "out_of_fold": 24}
    assert "out_of_fold" in cross_fitted.metrics and "seen" in cross_fitted.metrics
    # What the records say, the models show: a model's retrieval bank holds the features of exactly its training images.
    photos = list(Photo.objects.order_by("pk"))
    fold_of = np.array([-1 if folds[p.pk] is None else folds[p.pk] for p in photos])
    for k, checkpoint in enumerate(cross_fitted.fold_checkpoints):
        in_bank = _bank_matches(checkpoint, photos)
        assert not in_bank[fold_of == k].any(), f"fold model {k} trained on a photo of its own fold"
        assert not in_bank[fold_of == -1].any(), f"fold model {k} trained on a test photo"
        assert in_bank[(fold_of >= 0) & (fold_of != k)].all(), f"fold model {k} lacks photos of the other fold"
    full = _bank_matches(cross_fitted.checkpoint, photos)
    assert full[fold_of >= 0].all() and not full[fold_of == -1].any()  # the full model: every fold, no test photo


def test_no_stored_guess_of_worldnet_comes_from_a_model_that_trained_on_its_photo(cross_fitted):
    from geoguess.game.models import Round
    from geoguess.opponent.models import Prediction, trained_on

    for seed in range(12):  # enough games to meet most of the 32 photos
        game = start(cross_fitted.image_sets.get(), owner=f"player-{seed}", seed=seed)
        for round in game.rounds.order_by("index"):
            play_round(game, round.index, 10.0, 20.0)
    folds = _folds(cross_fitted)
    rounds = list(Round.objects.filter(worldnet_version__isnull=False))
    assert len(rounds) >= 50 and {r.worldnet_version_id for r in rounds} == {cross_fitted.pk}
    met = {"out of fold": 0, "never trained on": 0}
    for round in rounds:
        prediction = Prediction.objects.get(photo_id=round.photo_id, model_version_id=round.worldnet_version_id)
        assert (round.worldnet_lat, round.worldnet_lon) == (prediction.lat, prediction.lon)  # the round stores this guess
        photo_fold = folds.get(round.photo_id)
        assert not trained_on(photo_fold, model_fold=prediction.fold), (
            f"photo {round.photo_id} (fold {photo_fold}) by model {prediction.fold}"
        )
        met["out of fold" if photo_fold is not None else "never trained on"] += 1
    assert met["out of fold"] > 0 and met["never trained on"] > 0, met  # the games met both kinds of photo


def test_a_photo_whose_every_model_trained_on_it_gets_no_guess(model_version, image_set):
    from geoguess.opponent.inference import NoModelWithoutThePhoto, predictions_compute
    from geoguess.opponent.models import Prediction, TrainingPhoto

    photo = image_set.photos.first()
    TrainingPhoto.objects.create(model_version=model_version, photo=photo, fold=1)  # in fold 1, and no fold model kept
    Prediction.objects.filter(photo=photo).delete()
    with pytest.raises(NoModelWithoutThePhoto, match=f"no model that did not train on photo {photo.pk}"):
        predictions_compute(version_id=model_version.pk, photo_ids=[photo.pk])
    assert not Prediction.objects.filter(photo=photo).exists()  # never the full model's recall instead


def test_it_refuses_to_register_folds_without_their_models(db, tmp_path, model_version, image_set):
    from geoguess.opponent.registration import model_version_register
    from worldnet_core.checkpoint import save_checkpoint
    from worldnet_core.models import create_model

    checkpoint = save_checkpoint(create_model("mean", lat=0.0, lon=0.0), tmp_path / "mean.pt")
    photo = image_set.photos.first()
    with pytest.raises(ValueError, match="has no model among the 0 fold checkpoints"):
        model_version_register(name="liar", checkpoint=checkpoint, photo_folds={photo.pk: 0})


def test_a_run_on_the_sites_photos_is_cross_fitted(image_set):
    from geoguess.opponent.training_runs import TrainingInputError, training_defaults, training_run_create

    assert training_defaults()["folds"] == 2
    with pytest.raises(TrainingInputError, match="cross-fitted"):
        training_run_create(image_sets=[image_set], arguments={"folds": 0}, activate=False)
