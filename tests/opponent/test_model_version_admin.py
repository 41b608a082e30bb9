"""A model version as train_worldnet registers it, and its admin page: metrics and arguments as tables."""

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
    assert arguments["epochs"] == 2 and arguments["image_size"] == [48, 64] and arguments["backbone"] == "compact"
    assert "object at 0x" not in str(version.training)
    assert "\r" not in output
    assert re.search(r"^classifier: 2/2 epochs, loss \d+\.\d{4} \(", output, re.M), output
    assert re.search(r"^loading training images: 12/12 images \(", output, re.M), output


def test_it_shows_metrics_and_arguments_as_tables(admin_client, trained_version):
    version, _ = trained_version
    page = admin_client.get(f"/admin/opponent/modelversion/{version.pk}/change/").content.decode()
    assert "object at 0x" not in page and "{&#x27;" not in page and "{'" not in page  # no dict reprs
    metrics = re.search(r'<table class="metrics">.*?</table>', page, re.S)
    assert metrics, page
    assert "<th>mean_km</th><td>mean error, km</td>" in metrics.group(0)
    assert f"<td>{version.metrics['seen']['mean_km']:,.3f}</td>" in metrics.group(0)
    assert "<th>training images</th><td>12</td>" in page
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


def test_activating_a_weaker_or_unevaluated_version_warns_and_names_the_way_back(admin_client, db):
    from geoguess.opponent.models import ModelVersion

    strong = ModelVersion.objects.create(
        name="strong", checkpoint="models/strong.pt", metrics={"seen": {"mean_km": 400.0}, "unseen": {"mean_km": 5500.0}}, is_active=True
    )
    weak = ModelVersion.objects.create(
        name="weak", checkpoint="models/weak.pt", metrics={"seen": {"mean_km": 1200.0}, "unseen": {"mean_km": 5400.0}}
    )
    blank = ModelVersion.objects.create(name="blank", checkpoint="models/blank.pt", metrics={"seen": {"mean_km": "n/a"}})

    def activate(version) -> list[tuple[str, str]]:
        response = admin_client.post("/admin/opponent/modelversion/", {"action": "activate", "_selected_action": [version.pk]}, follow=True)
        assert ModelVersion.objects.get(is_active=True) == version
        return [(m.level_tag, m.message) for m in response.context["messages"]]

    said = activate(weak)
    warnings = [text for level, text in said if level == "warning"]
    assert len(warnings) == 1 and "1,200 km against 400 km" in warnings[0] and "To go back, activate strong." in warnings[0]
    assert "unseen" not in warnings[0]  # better there: only what got worse is named
    back = [text for level, text in activate(strong) if level == "warning"]  # each is worse somewhere
    assert len(back) == 1 and "unseen places: 5,500 km against 5,400 km" in back[0] and "seen places (" not in back[0]
    ModelVersion.objects.filter(pk=weak.pk).update(metrics={"seen": {"mean_km": 300.0}})
    assert not [
        text for level, text in activate(ModelVersion.objects.get(pk=weak.pk)) if level == "warning"
    ]  # better where both were measured
    assert [text for level, text in activate(blank) if level == "warning"] == [
        "blank has no stored evaluation: nothing says how well it plays."
    ]
