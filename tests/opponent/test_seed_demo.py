"""``manage.py seed_demo``: the demo world the game shows, and a demo worldNET trained on another draw of the
same cities, so that none of the photos it plays was among its training images."""

from __future__ import annotations

import io

import pytest


@pytest.fixture
def seeded(db, settings):
    from django.core.management import call_command

    output = io.StringIO()
    call_command("seed_demo", per_city=2, training_per_city=3, epochs=1, head_epochs=1, workers=1, stdout=output)
    return output.getvalue()


def test_the_demo_worldnet_trains_on_another_draw_of_the_same_cities(seeded):
    from geoguess.imagesets.models import ImageSet, Photo
    from geoguess.opponent.models import ModelVersion, TrainingPhoto, TrainingRun
    from geoguess.opponent.selectors import active_version, active_version_for
    from worldnet_core.demo_world import DEFAULT_PLACES, image_location

    demo = ImageSet.objects.get(name="Demo world")
    version = ModelVersion.objects.get(name="demo worldnet")
    assert demo.photos.count() == 2 * len(DEFAULT_PLACES)
    assert active_version_for(image_set=demo) == version and active_version() == version  # its set's, and the default on a fresh site
    assert list(version.image_sets.all()) == [demo] and not TrainingPhoto.objects.exists()  # trained for it, on none of its photos
    assert version.training["trained_on"] == (
        f"another draw of the demo world's {len(DEFAULT_PLACES)} cities (seed 1, 3 images a city): none of the site's photos"
    )
    assert version.training["args"]["label_smoothing_km"] == 0 and version.training["test_images"]["seen"] > 0
    run = TrainingRun.objects.get()
    assert run.source == "shell" and run.status == "succeeded" and run.data_note.startswith("another draw") and run.arguments["folds"] == 0
    # Its draw is not the game's: every image of it was taken somewhere no photo of the game was.
    shown = set(Photo.objects.values_list("lat", "lon"))
    trained = {image_location(place, seed=1, index=i) for place in DEFAULT_PLACES for i in range(3)}
    assert len(trained) == 3 * len(DEFAULT_PLACES) and not {(round(a, 9), round(b, 9)) for a, b in trained} & {
        (round(a, 9), round(b, 9)) for a, b in shown
    }
    assert "drawing the demo worldNET's own images: another draw" in seeded and "is the site-wide default" in seeded


def test_its_guesses_all_come_from_its_one_model_on_photos_it_never_saw(seeded):
    from geoguess.imagesets.models import Photo
    from geoguess.opponent.inference import predictions_compute
    from geoguess.opponent.models import ModelVersion, Prediction
    from geoguess.opponent.strength import version_in_play

    version = ModelVersion.objects.get(name="demo worldnet")
    predictions_compute(version_id=version.pk, photo_ids=list(Photo.objects.values_list("pk", flat=True)))
    assert Prediction.objects.filter(model_version=version, fold=None).count() == Photo.objects.count()
    (in_play,) = version_in_play(version=version)
    assert in_play.photos == Photo.objects.count() and in_play.out_of_fold == 0 and in_play.seen_in_training == 0


def test_it_trains_nothing_when_a_version_exists(seeded):
    from django.core.management import call_command

    from geoguess.opponent.models import ModelVersion, TrainingRun

    output = io.StringIO()
    call_command("seed_demo", per_city=2, training_per_city=3, epochs=1, head_epochs=1, workers=1, stdout=output)
    assert "'Demo world' exists already" in output.getvalue()
    assert ModelVersion.objects.count() == 1 and TrainingRun.objects.count() == 1
