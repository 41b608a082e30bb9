"""The ``python -m training`` programs end to end, as a user runs them (real processes)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.processes import REPO, free_port
from worldnet_core.demo_world import PAPER_CITIES, UNSEEN_CITIES, generate_world
from worldnet_core.metrics import METRIC_KEYS

FAST = ["--epochs", "1", "--head-epochs", "2", "--batch-size", "8", "--image-size", "64", "96", "--no-progress", "--device", "cpu"]


def run_training(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "training", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    places = [PAPER_CITIES[i] for i in (7, 17, 9, 15)] + [UNSEEN_CITIES[0], UNSEEN_CITIES[16]]  # + Nairobi, Helsinki
    generate_world(out, places=places, per_city=8, seed=0)
    return out


@pytest.mark.slow
def test_it_trains_from_a_yaml_config_and_evaluates_the_checkpoint(small_world, tmp_path):
    config = tmp_path / "worldnet.yaml"
    config.write_text(
        f"data: {small_world / 'manifest.csv'}\nmodel: worldnet\nholdout_list: {small_world / 'unseen_places.txt'}\ninterpolation: latlon\n"
    )
    checkpoint = tmp_path / "w.pt"
    result = run_training("train", "--config", str(config), "--output", str(checkpoint), *FAST)
    assert result.returncode == 0, result.stderr
    assert "training on 24" in result.stdout and f"wrote {checkpoint}" in result.stdout
    assert "the compact backbone started from none: trained from scratch" in result.stdout
    evaluated = run_training(
        "evaluate",
        str(checkpoint),
        "--data",
        str(small_world / "manifest.csv"),
        "--places",
        "Nairobi",
        "Helsinki",
        "--device",
        "cpu",
        "--no-progress",
        "--json",
    )
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)
    assert metrics["model"] == "worldnet" and metrics["images"] == 16
    assert set(METRIC_KEYS) <= metrics.keys() and 0.0 <= metrics["coherence"] <= 1.0
    table = run_training(
        "evaluate", "--checkpoint", str(checkpoint), "--data", str(small_world / "manifest.csv"), "--device", "cpu", "--no-progress"
    )
    assert table.returncode == 0, table.stderr
    assert "| model | mean km |" in table.stdout and "incoherent |" in table.stdout and "| worldnet |" in table.stdout
    assert "Too few images" not in table.stdout  # 48 of them
    import torch

    stored = torch.load(checkpoint, weights_only=True)
    assert stored["config"]["interpolation"] == "latlon"
    assert stored["training"]["holdout"] == ["Helsinki", "Nairobi"]
    assert stored["training"]["backbone_weights"] == "none: trained from scratch"
    assert set(stored["metrics"]) == {"seen", "unseen"}


@pytest.mark.slow
def test_it_reports_every_model_on_seen_and_unseen_places(small_world, tmp_path):
    out = tmp_path / "report"
    result = run_training(
        "report",
        "--data",
        str(small_world / "manifest.csv"),
        "--holdout-list",
        str(small_world / "unseen_places.txt"),
        "--out",
        str(out),
        *FAST,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    models = ["mean", "random", "guess", "regression", "knn", "worldnet"]
    for split in ("seen", "unseen"):
        assert list(report[split]) == models
        assert all(list(metrics) == list(METRIC_KEYS) for metrics in report[split].values())
    assert set(report["interpolation"]) == {"mode", "sphere", "latlon"}
    for split in ("seen", "unseen"):  # only worldNET shows candidates, so only it can contradict them
        assert 0.0 <= report[split]["worldnet"]["coherence"] <= 1.0
        assert all(report[split][m]["coherence"] is None for m in models if m != "worldnet")
    assert next(iter(report["ablation"])) == "the paper's (one-hot, sphere)" and len(report["ablation"]) == 8
    assert any(name.startswith("+ interpolation head averaged over") for name in report["ablation"])
    # The default classifier is the smoothed-labels row's own: only the paper's and the held-out one train again.
    assert "+ haversine-smoothed labels (3,000 km)" in report["ablation"]
    assert result.stdout.count("== ablation:") == 2, result.stdout
    assert all("coherence" in row[s] for row in report["ablation"].values() for s in ("seen", "unseen"))
    assert report["config"]["holdout"] == ["Helsinki", "Nairobi"] and report["config"]["unseen_test_images"] == 16
    assert report["config"]["backbone_pretrained"] is False
    markdown = (out / "report.md").read_text()
    assert "## Unseen images of seen places" in markdown and "## Images of unseen places" in markdown
    # 16 unseen test images and fewer seen ones: too few to measure, and the report says so instead of the tables.
    assert markdown.count("**Too small to measure**") == 2 and "| worldnet |" not in markdown
    assert "The paper's claims on this data" in markdown and "no pretrained weights" in markdown
    assert "## What each change does" in markdown and "## Is worldNET the best of the six?" in markdown and "incoherent" in markdown
    html = (out / "map.html").read_text()
    assert "assets/leaflet.js" in html and "cdn." not in html and "https://" not in html.split("<body")[0]
    assert (out / "assets" / "leaflet.js").is_file() and (out / "map.png").stat().st_size > 10_000
    assert {p.name for p in (out / "checkpoints").iterdir()} == {f"{m}.pt" for m in models}


def test_it_says_what_is_wrong_with_bad_input_without_a_traceback(tmp_path):
    result = run_training("train", "--data", str(tmp_path / "nowhere"), "--no-progress")
    assert result.returncode == 2
    assert result.stderr.strip() == f"python -m training train: {tmp_path / 'nowhere'}: does not exist"
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    result = run_training("evaluate", str(bad), "--data", str(tmp_path))
    assert result.returncode == 2 and "is corrupt or not a torch file" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_it_trains_with_distributed_data_parallel_under_torchrun(small_world, tmp_path):
    checkpoint = tmp_path / "ddp.pt"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node=2",
            f"--master_port={free_port()}",
            "-m",
            "training",
            "train",
            "--data",
            str(small_world / "manifest.csv"),
            "--output",
            str(checkpoint),
            *FAST,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("wrote ") == 1  # only rank 0 writes and reports
    from worldnet_core.predictor import Predictor

    assert Predictor.load(checkpoint, device="cpu").model.name == "worldnet"
