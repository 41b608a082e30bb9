"""The tools for real photo sets: places by country (``--place-by``), the report over several seeds
(``python -m training seeds``) and the report's rows per backbone and way of using it (``--backbones``)."""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import statistics

import pytest

from tests.training.test_training_programs import FAST, run_training
from training import report as report_program
from training import train as train_program
from worldnet_core.demo_world import PAPER_CITIES, UNSEEN_CITIES, generate_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    places = [PAPER_CITIES[i] for i in (7, 17, 9, 15)] + [UNSEEN_CITIES[0], UNSEEN_CITIES[16]]  # + Nairobi, Helsinki
    generate_world(out, places=places, per_city=6, seed=0)
    return out


def test_places_by_country_take_the_country_column_else_where_the_photo_falls(world, tmp_path):
    """A set that names each photo's street: by country, London's photos are one place (GB), Paris's another."""
    rows = list(csv.DictReader((world / "manifest.csv").open()))
    shutil.copytree(world / "images", tmp_path / "images")
    manifest = tmp_path / "manifest.csv"
    with manifest.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["path", "lat", "lon", "place", "country"])
        for number, row in enumerate(rows):
            # Every photo a place of its own; half the rows without a country: found from the coordinates.
            country = "Somewhere" if row["place"] == "London" and number % 2 else ""
            country = "FR" if row["place"] == "Paris" and number % 2 else country  # a code: the same place as the land data's name
            writer.writerow([row["path"], row["lat"], row["lon"], f"street {number}", country])
    given = train_program.read_with_places(argparse.Namespace(data=manifest, place_by="place"))
    assert len(set(given.places().tolist())) == len(rows)  # one photo a place: nothing to learn a class from
    by_country = train_program.read_with_places(argparse.Namespace(data=manifest, place_by="country"))
    places = {row["place"]: set() for row in rows}
    for row, record in zip(rows, by_country, strict=True):
        places[row["place"]].add(record.place)
    assert places["Paris"] == {"France"} and places["Madrid"] == {"Spain"} and places["Nairobi"] == {"Kenya"}
    assert places["London"] == {"Somewhere", "United Kingdom"}  # the column where a row has one, the land data elsewhere
    assert [r.path for r in by_country] == [r.path for r in given] and [r.lat for r in by_country] == [r.lat for r in given]


def test_seeds_call_a_lead_clear_by_students_t():
    from training import seeds

    assert seeds.clear_at(5) == pytest.approx(2.776, abs=1e-3) and seeds.clear_at(20) == pytest.approx(2.093, abs=1e-3)
    assert seeds._verdict(2.5, 1.0, 20) == "clear lead" and seeds._verdict(2.5, 1.0, 5) == "within noise"
    assert seeds._verdict(-3.0, 1.0, 5) == "clearly behind"


def test_a_report_asking_for_one_backbone_row_twice_is_refused(tmp_path):
    result = run_training("report", "--data", str(tmp_path), "--backbones", "compact:full", "compact:scratch", "--out", str(tmp_path / "r"))
    assert result.returncode != 0 and "twice" in result.stderr and "Traceback" not in result.stderr


def test_a_report_variant_names_a_backbone_and_a_way_of_using_it():
    assert report_program.backbone_variant("efficientnet_lite0:frozen") == ("efficientnet_lite0", "frozen")
    assert report_program.backbone_variant("compact") == ("compact", "full")
    for bad, why in [
        ("resnet9000:full", "no backbone"),
        ("efficientnet_lite0:melted", "no way of using"),
        ("compact:frozen", "no pretrained weights"),
    ]:
        with pytest.raises(argparse.ArgumentTypeError, match=why):
            report_program.backbone_variant(bad)


@pytest.mark.slow
def test_seeds_reports_each_seed_and_worldnets_paired_lead_with_its_standard_error(world, tmp_path):
    common = ["--data", str(world / "manifest.csv"), "--holdout-list", str(world / "unseen_places.txt"), "--no-ablation", *FAST]
    common += ["--min-test-images", "4", "--models", "mean", "knn", "worldnet"]
    first = run_training("seeds", *common, "--seeds", "0", "1", "--out", str(tmp_path / "first"))
    assert first.returncode == 0, first.stderr
    second = run_training(
        "seeds",
        *common,
        "--seeds",
        "0",
        "1",
        "--label-smoothing-km",
        "0",
        "--out",
        str(tmp_path / "second"),
        "--against",
        str(tmp_path / "first"),
    )
    assert second.returncode == 0, second.stderr

    reports = {seed: json.loads((tmp_path / "second" / f"seed-{seed}" / "report.json").read_text()) for seed in (0, 1)}
    earlier = {seed: json.loads((tmp_path / "first" / f"seed-{seed}" / "report.json").read_text()) for seed in (0, 1)}
    assert reports[0]["config"]["seed"] == 0 and reports[1]["config"]["seed"] == 1
    summary = json.loads((tmp_path / "second" / "seeds.json").read_text())["summary"]
    for split in ("seen", "unseen"):
        ours = [reports[s][split]["worldnet"]["points"] for s in (0, 1)]
        for name, theirs in [("knn", [reports[s][split]["knn"]["points"] for s in (0, 1)]), ("worldnet (against)", None)]:
            theirs = theirs or [earlier[s][split]["worldnet"]["points"] for s in (0, 1)]
            leads = [o - t for o, t in zip(ours, theirs, strict=True)]
            mean, se = summary[split][name]["lead_points"]
            assert mean == pytest.approx(statistics.fmean(leads))
            assert se == pytest.approx(statistics.stdev(leads) / math.sqrt(2))
            assert summary[split][name]["ahead_in"] == sum(lead > 0 for lead in leads)
        assert summary[split]["worldnet"]["points"][0] == pytest.approx(statistics.fmean(ours))
    markdown = (tmp_path / "second" / "seeds.md").read_text()
    assert "| worldnet (against) |" in markdown and "seeds 0, 1 (2 reports)" in markdown

    # Other flags into the same folder are refused, not mixed in with its reports.
    other = run_training("seeds", *common, "--seeds", "0", "--epochs", "2", "--out", str(tmp_path / "second"))
    assert other.returncode != 0 and "holds reports made with other flags (epochs, label_smoothing_km)" in other.stderr, other.stderr
    # A seed already run is read, not run again: an interrupted run resumes where it stopped.
    (tmp_path / "second" / "seed-0" / "report.json").write_text(json.dumps({**reports[0], "config": {**reports[0]["config"], "seed": 0}}))
    again = run_training("seeds", *common, "--seeds", "0", "--label-smoothing-km", "0", "--out", str(tmp_path / "second"))
    assert again.returncode == 0 and "seed 0: read from" in again.stdout


@pytest.mark.slow
def test_the_report_adds_a_row_per_backbone_and_way_of_using_it(world, tmp_path):
    """worldNET again on the packaged EfficientNet-Lite0, frozen, beside the report's compact one: the same test photos."""
    out = tmp_path / "report"
    result = run_training(
        "report",
        "--data",
        str(world / "manifest.csv"),
        "--holdout-list",
        str(world / "unseen_places.txt"),
        "--no-ablation",
        "--models",
        "mean",
        "worldnet",
        "--backbones",
        "efficientnet_lite0:frozen",
        "--out",
        str(out),
        *FAST,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    rows = report["backbones"]
    assert list(rows) == ["compact, from scratch (the tables above)", "efficientnet_lite0, pretrained, frozen (cached features)"]
    assert rows["compact, from scratch (the tables above)"]["seen"] == report["seen"]["worldnet"]
    assert rows["efficientnet_lite0, pretrained, frozen (cached features)"]["seen"] != report["seen"]["worldnet"]
    assert "## worldNET by backbone and by how it is used" in (out / "report.md").read_text()
