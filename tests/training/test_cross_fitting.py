"""``python -m training train --folds K``: the full model and one model per fold, each trained without its
fold; each image's fold; the out-of-fold figures; and the report and programs that say when a test is
too small to measure."""

from __future__ import annotations

import csv

import pytest

from tests.support.images import small_world

FAST = ["--epochs", "1", "--head-epochs", "1", "--batch-size", "8", "--image-size", "32", "48", "--device", "cpu", "--no-progress"]


def test_it_trains_a_model_per_fold_each_without_its_fold(tmp_path):
    from training.train import get_args_parser, main

    world = small_world(tmp_path / "world", per_city=6)
    output = tmp_path / "model.pt"
    lines: list[str] = []
    args = get_args_parser().parse_args(["--data", str(world), "--output", str(output), "--folds", "2", "--test-fraction", "0.25", *FAST])
    result = main(args, log=lines.append)
    folds = result["folds"]
    assert len(folds) == 24 and sum(f is None for f in folds.values()) == 8  # the test images: in no model's training
    assert sorted(f for f in folds.values() if f is not None) == [0] * 8 + [1] * 8
    assert [p.name for p in result["fold_checkpoints"]] == ["model.fold0.pt", "model.fold1.pt"]
    import torch

    for k, path in enumerate(result["fold_checkpoints"]):
        stored = torch.load(path, weights_only=True)
        assert stored["training"]["fold"] == k and stored["training"]["folds"] == 2 and stored["training"]["train_images"] == 8
    full = torch.load(output, weights_only=True)
    assert full["training"]["folds"] == 2 and full["training"]["test_images"] == {"seen": 8, "unseen": 0, "out_of_fold": 16}
    assert set(full["metrics"]) == {"seen", "out_of_fold"} and full["metrics"]["out_of_fold"]["mean_km"] >= 0
    with open(output.with_suffix(".folds.csv"), encoding="utf-8") as handle:
        written = {row["path"]: int(row["fold"]) for row in csv.DictReader(handle)}
    assert written == {path: fold for path, fold in folds.items() if fold is not None}
    assert "fold 1 of 2: training on 8 images, to guess the 8 of this fold" in lines
    assert any(line.startswith("fold 2 of 2: classifier: 1/1 epochs, loss") for line in lines), lines
    assert "seen: 8 test image(s), too few to measure (at least 30): the figures below say little" in lines


def test_without_folds_it_says_so(tmp_path):
    from training.train import get_args_parser, main

    world = small_world(tmp_path / "world", per_city=3)
    result = main(get_args_parser().parse_args(["--data", str(world), "--output", str(tmp_path / "m.pt"), *FAST]), log=lambda line: None)
    assert result["folds"] is None and result["fold_checkpoints"] == [] and not (tmp_path / "m.folds.csv").exists()


@pytest.mark.parametrize("value", ["1", "-1", "11", "two", "2.5"])
def test_it_refuses_folds_it_cannot_cross_fit(value, capsys):
    from training.train import get_args_parser

    with pytest.raises(SystemExit):
        get_args_parser().parse_args(["--folds", value])
    assert "--folds" in capsys.readouterr().err


def _report(seen: int, unseen: int) -> dict:
    from worldnet_core.metrics import METRIC_KEYS

    block = dict.fromkeys(METRIC_KEYS, 1.0)
    config = {
        "data": "photos.csv",
        "train_images": 69,
        "seen_places": 69,
        "seen_test_images": seen,
        "unseen_test_images": unseen,
        "holdout": [],
        "backbone": "compact",
        "backbone_pretrained": False,
        "image_size": [96, 128],
        "epochs": 1,
        "head_epochs": 1,
        "seed": 0,
        "device": "cpu",
        "scale_km": 14916.862,
        "seconds": 60.0,
        "min_test_images": 30,
    }
    tables = {split: {"worldnet": dict(block), "mean": dict(block)} for split in ("seen", "unseen")}
    return {**tables, "interpolation": {}, "config": config}


def test_the_report_says_a_table_over_too_few_images_is_too_small_to_measure(tmp_path):
    from training.report import write_markdown

    write_markdown(_report(seen=1, unseen=0), tmp_path / "small.md")
    small = (tmp_path / "small.md").read_text()
    assert "**Too small to measure**: 1 test image(s), fewer than 30" in small and "`train --folds 2`" in small
    assert "**Too small to measure**: 0 test image(s)" in small and "hold out more places" in small
    assert "| worldnet |" not in small and "Too few seen and unseen test images to measure" in small
    write_markdown(_report(seen=30, unseen=45), tmp_path / "big.md")
    big = (tmp_path / "big.md").read_text()
    assert "Too small" not in big and "Too few" not in big and big.count("| worldnet |") == 2


def test_the_report_takes_its_minimum_from_a_flag():
    from training.report import get_args_parser
    from worldnet_core.metrics import MIN_TEST_IMAGES

    assert get_args_parser().parse_args(["--out", "x"]).min_test_images == MIN_TEST_IMAGES == 30
    assert get_args_parser().parse_args(["--out", "x", "--min-test-images", "5"]).min_test_images == 5


def test_the_sites_minimum_is_the_programs(settings):
    from worldnet_core.metrics import MIN_TEST_IMAGES

    assert settings.WORLDNET_MIN_TEST_PHOTOS == MIN_TEST_IMAGES


def test_cross_fitting_splits_the_training_images_not_the_test_ones(tmp_path):
    from training.engine import load_data
    from training.train import cross_fit, get_args_parser, settings_from
    from worldnet_core.readers import read_imageset
    from worldnet_core.splits import assign_folds

    world = small_world(tmp_path / "world", per_city=4)
    args = get_args_parser().parse_args(["--data", str(world), "--folds", "2", *FAST])
    manifest = read_imageset(world)
    data = load_data(manifest, (32, 48), progress=False)
    folds = cross_fit(assign_folds(manifest, 2), data, args, settings_from(args), log=lambda line: None)
    assert len(folds.models) == 2 and sorted(folds.of.tolist()) == [0] * 8 + [1] * 8


def test_it_refuses_folds_too_small_to_train_before_training_anything(tmp_path):
    from training.__main__ import main
    from worldnet_core.demo_world import PAPER_CITIES, generate_world

    world = tmp_path / "world"
    generate_world(world, places=PAPER_CITIES[:2], per_city=2, seed=0)  # 4 images, 2 held out: a fold model would train on 1
    code = main(["train", "--data", str(world), "--folds", "2", "--output", str(tmp_path / "m.pt"), *FAST])
    assert code == 2 and not (tmp_path / "m.pt").exists()


def test_the_site_says_so_as_the_runs_problem(image_set):
    from geoguess.opponent.training_runs import training_defaults, training_run_create
    from geoguess.opponent.training_worker import training_run_execute

    arguments = {**training_defaults(), "test_fraction": 0.9, "epochs": 1, "head_epochs": 1, "image_size": [32, 48], "device": "cpu"}
    run = training_run_execute(run_id=training_run_create(image_sets=[image_set], arguments=arguments, activate=False).pk)
    assert run.status == "failed" and run.problems == [
        "cross-fitting 4 training images in 2 folds leaves a fold's model 2 to train on, fewer than 3: add images, "
        "or hold fewer out for testing (--test-fraction)"
    ]
