"""``python -m training report``: every model on the same splits, the paper's two tables side by side.

Trains mean, random, guess, regression, knn and worldnet once on the training
images of the seen places, then evaluates each on held-out images of seen places
("seen", the paper's Figure 4a) and on every image of held-out places ("unseen",
Figure 4b). Writes ``report.json``, ``report.md``, ``map.html`` (folium, Leaflet
served from ``assets/``) and ``map.png``, plus every model's checkpoint.

Without pretrained weights, knn uses the backbone that worldNET's classifier
trained (an untrained backbone's features would be noise), and the report says so.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import torch

from training import flags
from training import train as train_program
from training.engine import (
    Evaluation,
    TrainSettings,
    classifier_probs,
    evaluate,
    fit_bank,
    fit_interpolation,
    load_data,
    precision_note,
    uses_mixed_precision,
)
from training.feature_cache import FeatureCache
from worldnet_core.checkpoint import save_checkpoint
from worldnet_core.geo import haversine_km
from worldnet_core.metrics import METRIC_KEYS, MIN_TEST_IMAGES
from worldnet_core.model_choices import BACKBONE_TRAINING, BACKBONES, INTERPOLATIONS
from worldnet_core.models.worldnet import InterpolationHead, WorldNet

#: The six models of the paper's tables, in the tables' order.
REPORTED_MODELS = ("mean", "random", "guess", "regression", "knn", "worldnet")

#: The paper's mean distances in km (its Figures 4a and 4b), quoted beside ours.
PAPER = {
    "seen": {"mean": 9659.5, "guess": 10512.5, "random": 9749.2, "regression": 9175.2, "knn": 5383.5, "worldnet": 3102.5},
    "unseen": {"mean": 6520.6, "guess": 6851.2, "random": 11406.8, "regression": 6300.4, "worldnet": 5368.1},
}


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Train every model on the same splits and report seen/unseen metrics side by side.",
        parents=[flags.get_args_parser(add_help=False)],
        add_help=add_help,
        conflict_handler="resolve",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for report.json, report.md, map.html, map.png and checkpoints")
    parser.add_argument(
        "--models", nargs="+", default=list(REPORTED_MODELS), choices=REPORTED_MODELS, help="models to include (default: all six)"
    )
    parser.add_argument(
        "--min-test-images",
        type=int,
        default=MIN_TEST_IMAGES,
        help=f"a table over fewer test images says the set is too small to measure instead of its figures (default {MIN_TEST_IMAGES})",
    )
    parser.add_argument(
        "--no-ablation", dest="ablation", action="store_false", help="skip the table of each change's effect (trains two more classifiers)"
    )
    parser.add_argument(
        "--backbones",
        nargs="+",
        type=backbone_variant,
        default=[],
        metavar="BACKBONE:USE",
        help="the ablation's rows per backbone and way of using it: worldNET trained again on the same splits with each, "
        "e.g. compact:full efficientnet_lite0:frozen efficientnet_lite0:partial efficientnet_lite0:scratch "
        "(USE: full, partial, frozen, or scratch: every block from random weights); each a worldNET more to train",
    )
    return parser


#: How a backbone of the ablation's rows is used: --backbone-training's ways, and from scratch (no pretrained weights).
BACKBONE_VARIANT_USES = (*BACKBONE_TRAINING, "scratch")


def backbone_variant(text: str) -> tuple[str, str]:
    """``BACKBONE:USE`` as (backbone, use), checked: a frozen or partial backbone needs pretrained weights."""
    backbone, _, use = text.partition(":")
    use = use or "full"
    if backbone not in BACKBONES:
        raise argparse.ArgumentTypeError(f"{backbone!r} is no backbone; one of {', '.join(BACKBONES)}")
    if use not in BACKBONE_VARIANT_USES:
        raise argparse.ArgumentTypeError(f"{use!r} is no way of using a backbone; one of {', '.join(BACKBONE_VARIANT_USES)}")
    if backbone == "compact" and use not in ("full", "scratch"):
        raise argparse.ArgumentTypeError(f"compact has no pretrained weights to keep {use}: compact:full trains it from scratch")
    return backbone, use


def _fmt_km(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def metrics_table(results: Mapping[str, Mapping[str, float | None]]) -> list[str]:
    """A Markdown table of ``worldnet_core.metrics`` blocks, one row per model (the report's and ``evaluate``'s)."""
    header = "| model | mean km | median km | <1 km | <25 km | <200 km | <750 km | <1000 km | <2500 km | continent | points | incoherent |"
    lines = [header, "|" + "---|" * 12]
    for name, m in results.items():
        cells = [
            _fmt_km(m["mean_km"]),
            _fmt_km(m["median_km"]),
            *(f"{m[f'acc_{r}km']:.3f}" for r in (1, 25, 200, 750, 1000, 2500)),
            f"{m['continent_acc']:.3f}",
            f"{m['points']:,.0f}",
            _fmt_share(m.get("coherence")),
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _fmt_share(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _compact_rows(rows: dict[str, dict[str, dict]], label: str) -> list[str]:
    """One line per variant: seen and unseen mean km, points and incoherent share."""
    lines = [
        f"| {label} | seen mean km | seen points | seen incoherent | unseen mean km | unseen points | unseen incoherent |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in rows.items():
        seen, unseen = result["seen"], result["unseen"]
        lines.append(
            f"| {name} | {_fmt_km(seen['mean_km'])} | {seen['points']:,.0f} | {_fmt_share(seen.get('coherence'))} | "
            f"{_fmt_km(unseen['mean_km'])} | {unseen['points']:,.0f} | {_fmt_share(unseen.get('coherence'))} |"
        )
    return lines


#: How to measure a table whose test images are too few.
TOO_SMALL_FIX = {
    "seen": "more images of each place (a test share of 0.3 holds out 30 of 100), or `train --folds 2`, whose out-of-fold "
    "figures cover every training image, each guessed by a model that never saw it",
    "unseen": "hold out more places (`--holdout-places`), or places with more images",
}


def too_small(report: dict) -> list[str]:
    """The tables whose test images are too few to measure anything."""
    config = report["config"]
    minimum = config.get("min_test_images", MIN_TEST_IMAGES)
    return [split for split in ("seen", "unseen") if config.get(f"{split}_test_images", minimum) < minimum]


def table_or_warning(report: dict, split: str) -> list[str]:
    """The metrics table of ``split``, or, over too few test images, a line that says so and how to fix it."""
    if split not in too_small(report):
        return metrics_table(report[split])
    config = report["config"]
    return [
        f"**Too small to measure**: {config[f'{split}_test_images']} test image(s), fewer than "
        f"{config.get('min_test_images', MIN_TEST_IMAGES)}: a mean or a median over them would say little, so they are "
        f"left out. To measure it: {TOO_SMALL_FIX[split]}."
    ]


def best_of_all(report: dict) -> list[tuple[str, bool, str]]:
    """Whether worldNET has the lowest mean km and the highest points of every model, per table."""
    out = []
    for split in ("seen", "unseen"):
        table = report[split]
        if "worldnet" not in table or len(table) < 2:
            continue
        others = {name: m for name, m in table.items() if name != "worldnet"}
        closest_km = min(others, key=lambda n: others[n]["mean_km"])
        closest_points = max(others, key=lambda n: others[n]["points"])
        w = table["worldnet"]
        out.append(
            (
                f"{split}: worldNET has the lowest mean km",
                w["mean_km"] < others[closest_km]["mean_km"],
                f"{w['mean_km']:,.0f} vs {closest_km} {others[closest_km]['mean_km']:,.0f} km",
            )
        )
        out.append(
            (
                f"{split}: worldNET has the most points",
                w["points"] > others[closest_points]["points"],
                f"{w['points']:,.0f} vs {closest_points} {others[closest_points]['points']:,.0f}",
            )
        )
        coherent = w.get("coherence") is not None and w["coherence"] <= 0.03
        out.append((f"{split}: worldNET's guesses agree with its candidates (≤ 3% incoherent)", coherent, _fmt_share(w.get("coherence"))))
    return out


def claims(report: dict) -> list[tuple[str, bool, str]]:
    """The paper's claims that the issue names, each with whether it holds and the numbers."""
    seen, unseen = report["seen"], report["unseen"]
    out = []
    if {"worldnet", "regression"} <= seen.keys():
        ratio = seen["worldnet"]["mean_km"] / seen["regression"]["mean_km"]
        out.append(
            (
                "seen: worldNET mean km ≤ 0.34 × regression's",
                ratio <= 0.34,
                f"{seen['worldnet']['mean_km']:,.0f} / {seen['regression']['mean_km']:,.0f} km = {ratio:.2f}",
            )
        )
    if "worldnet" in seen:
        acc = seen["worldnet"]["acc_1000km"]
        out.append(("seen: worldNET acc_1000km ≥ 0.56", acc >= 0.56, f"{acc:.3f}"))
    if "worldnet" in unseen:
        for other in ("mean", "random", "guess", "regression"):
            if other in unseen:
                w, o = unseen["worldnet"], unseen[other]
                ahead = w["mean_km"] < o["mean_km"] and w["acc_2500km"] > o["acc_2500km"]
                out.append(
                    (
                        f"unseen: worldNET ahead of {other} on mean km and acc_2500km",
                        ahead,
                        f"{w['mean_km']:,.0f} vs {o['mean_km']:,.0f} km; {w['acc_2500km']:.3f} vs {o['acc_2500km']:.3f}",
                    )
                )
    return out


#: How the learned models used a pretrained backbone, by ``--backbone-training``, for the report's text.
BACKBONE_USES = {
    "full": "worldNET fine-tuned every block, the regression trained on its frozen pooled features, knn used them",
    "partial": "worldNET trained its last {blocks} blocks, the regression trained on its frozen pooled features, knn used them",
    "frozen": "every model used its frozen features, computed once per photo and cached: worldNET's classifier and the "
    "regression's head trained on them, knn indexed them",
}


def write_markdown(report: dict, path: Path) -> None:
    config = report["config"]
    weights = (
        "ImageNet-pretrained; " + BACKBONE_USES[config.get("backbone_training", "full")].format(blocks=config.get("trainable_blocks"))
        if config["backbone_pretrained"]
        else "no pretrained weights: learned models trained their backbone end to end; knn uses the backbone worldNET trained"
    )
    lines = [
        "# worldNET report",
        "",
        f"Image set `{config['data']}`: {config['train_images']} training images of {config['seen_places']} places; "
        f"{config['seen_test_images']} held-out images of those places (seen); {config['unseen_test_images']} images of "
        f"{len(config['holdout'])} held-out places (unseen): {', '.join(config['holdout']) or 'none'}.",
        f"Backbone `{config['backbone']}` ({weights}), input {config['image_size'][0]}×{config['image_size'][1]}, "
        f"{config['epochs']} epochs (interpolation head {config['head_epochs']}), seed {config['seed']}, device {config['device']}. "
        f"Points use D = {config['scale_km']:,.0f} km. All predictions are snapped to land before scoring. "
        f"Took {config['seconds'] / 60:.1f} min.",
        "",
        "## Unseen images of seen places (the paper's Figure 4a)",
        "",
        *table_or_warning(report, "seen"),
        "",
        "## Images of unseen places (Figure 4b)",
        "",
        *table_or_warning(report, "unseen"),
        "",
        *(
            [f"*Too few {' and '.join(too_small(report))} test images to measure: the tables and checks below rest on them too.*", ""]
            if too_small(report)
            else []
        ),
        "*incoherent*: the share of guesses more than 1,500 km from every candidate the player is shown "
        "(those holding at least 10% of worldNET's probability, or its top one): a pin that contradicts its bars. "
        "Only worldNET shows candidates.",
        "",
        "## How worldNET combines its candidates (same classifier, same splits)",
        "",
        "*mode* (the default) interpolates within the region of the heaviest shown candidate; *sphere* and *latlon* "
        "are the paper's global interpolation, on unit vectors or in plain degrees.",
        "",
        *_compact_rows(report.get("interpolation", {}), "interpolation"),
        "",
    ]
    if report.get("ablation"):
        lines += [
            "## What each change does (each one alone, added to the paper's worldNET)",
            "",
            "The paper's worldNET: one-hot labels, the classifier alone (no retrieval), global interpolation on the sphere, "
            "one interpolation head trained on the classifier's own training images, one view per image. "
            "Each row adds one change; the last is the default, what the tables above use.",
            "",
            *_compact_rows(report["ablation"], "worldNET"),
            "",
        ]
    if report.get("backbones"):
        lines += [
            "## worldNET by backbone and by how it is used (same splits, the rest as above)",
            "",
            "*frozen*: no block trains, each photo's features computed once and cached; *last N blocks trained*: the rest "
            "frozen and cached; *fine-tuned*: every block trains from the pretrained weights; *from scratch*: from random weights.",
            "",
            *_compact_rows(report["backbones"], "worldNET's backbone"),
            "",
        ]
    lines += ["## Is worldNET the best of the six?", "", "| check | holds | numbers |", "|---|---|---|"]
    for text, holds, numbers in best_of_all(report):
        lines.append(f"| {text} | {'yes' if holds else '**no**'} | {numbers} |")
    lines += ["", "## The paper's claims on this data", "", "| claim | holds | numbers |", "|---|---|---|"]
    for text, holds, numbers in claims(report):
        lines.append(f"| {text} | {'yes' if holds else '**no**'} | {numbers} |")
    lines += [
        "",
        "For reference, the paper's mean distances (km): seen "
        + ", ".join(f"{k} {v:,.0f}" for k, v in PAPER["seen"].items())
        + "; unseen "
        + ", ".join(f"{k} {v:,.0f}" for k, v in PAPER["unseen"].items())
        + ".",
        "",
        "Classifier accuracy of worldNET on seen test images (top-1 place): "
        f"{report['config'].get('worldnet_top1_accuracy', float('nan')):.3f}.",
        "",
        "![predictions against truth](map.png)",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_maps(out: Path, truth: dict[str, np.ndarray], predicted: dict[str, np.ndarray]) -> None:
    """worldNET's predictions against the truth: folium HTML (offline) and a PNG."""
    import folium
    import geopandas
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from worldnet_core.land import COUNTRIES_FILE
    from worldnet_core.maps import copy_leaflet_assets, offline_map

    copy_leaflet_assets(out / "assets")
    fmap = offline_map(asset_url="assets")
    colors = {"seen": "#1f77b4", "unseen": "#d62728"}
    rng = np.random.default_rng(0)
    for split, t in truth.items():
        layer = folium.FeatureGroup(name=f"{split}: truth → worldNET").add_to(fmap)
        for i in rng.permutation(len(t))[:400]:
            p = predicted[split][i]
            km = haversine_km(t[i, 0], t[i, 1], p[0], p[1])
            folium.PolyLine([tuple(t[i]), tuple(p)], color=colors[split], weight=1, opacity=0.5, tooltip=f"{km:,.0f} km").add_to(layer)
            folium.CircleMarker(tuple(t[i]), radius=2, color="#2ca02c", fill=True).add_to(layer)
    folium.LayerControl().add_to(fmap)
    fmap.save(out / "map.html")

    figure, axis = plt.subplots(figsize=(12, 6.2), dpi=110)
    geopandas.read_file(COUNTRIES_FILE).plot(ax=axis, color="#e8e4d8", edgecolor="#9a9486", linewidth=0.3)
    for split, t in truth.items():
        p = predicted[split]
        for i in rng.permutation(len(t))[:250]:
            axis.plot([t[i, 1], p[i, 1]], [t[i, 0], p[i, 0]], color=colors[split], linewidth=0.4, alpha=0.35)
        axis.scatter(p[:, 1], p[:, 0], s=5, color=colors[split], label=f"worldNET, {split}", zorder=3)
    all_truth = np.concatenate(list(truth.values()))
    axis.scatter(all_truth[:, 1], all_truth[:, 0], s=5, color="#2ca02c", label="truth", zorder=4)
    axis.set_xlim(-180, 180)
    axis.set_ylim(-60, 85)
    axis.set_facecolor("#bcd7ea")
    axis.legend(loc="lower left")
    axis.set_title("worldNET: predictions (after the land snap) against the truth")
    figure.tight_layout()
    figure.savefig(out / "map.png")
    plt.close(figure)


def with_interpolation(worldnet: WorldNet, mode: str, train_probs, train_latlon, settings, log: Callable[[str], None]) -> WorldNet:
    """A copy of ``worldnet`` combining its centroids by ``mode``, its head retrained for it (the classifier is shared)."""
    variant = copy.deepcopy(worldnet)
    variant.set_interpolation(mode)
    variant.interpolation_head = InterpolationHead(
        len(variant.centroid_names), variant.config["head_hidden"], variant.config["head_members"]
    )
    fit_interpolation(variant, train_probs, train_latlon, settings, log)
    return variant


def ablation(
    worldnet: WorldNet, train, tests: dict, args: argparse.Namespace, settings, scale_km: float, log: Callable[[str], None]
) -> dict[str, dict]:
    """The paper's worldNET, then each change alone on top of it, on the same splits.

    The paper's one-hot classifier and the one of a head trained on held-out places are
    trained here; the smoothed-labels row reuses the default's classifier (or trains its
    own where the default is one-hot, and the paper's is then the default's).
    """

    def scores(model: WorldNet) -> dict:
        return {split: evaluate(model, data, settings, scale_km=scale_km).metrics for split, data in tests.items()}

    paper_args = argparse.Namespace(
        **{
            **vars(args),
            "label_smoothing_km": 0.0,
            "interp_holdout_places": 0,
            "tta": False,
            "interpolation": "sphere",
            "retrieval_weight": 0.0,
            "head_members": 1,
        }
    )
    rows: dict[str, dict] = {}

    def alone(model: WorldNet) -> WorldNet:
        """``model``'s classifier with the rest as the paper's: no TTA, no retrieval, one head on the sphere."""
        base = copy.deepcopy(model)
        base.config.update(tta=False, retrieval_weight=0.0, head_members=1)
        return with_interpolation(base, "sphere", classifier_probs(base, train, settings), train.latlon, settings, log)

    # Where the default's classifier is one the ablation needs, it is reused: a report trains two more, not three.
    own_classifier = not args.interp_holdout_places
    if own_classifier and args.label_smoothing_km == 0:
        paper = alone(worldnet)
    else:
        log("== ablation: the paper's worldNET")
        paper = train_program.train_worldnet(train, paper_args, _settings(settings, paper_args), log)
    rows["the paper's (one-hot, sphere)"] = scores(paper)
    paper_probs = classifier_probs(paper, train, settings)
    rows[f"+ mode interpolation ({args.mode_bandwidth_km:,.0f} km kernel)"] = scores(
        with_interpolation(paper, "mode", paper_probs, train.latlon, settings, log)
    )
    members = args.head_members if args.head_members > 1 else ABLATION_HEAD_MEMBERS
    averaged = copy.deepcopy(paper)
    averaged.config["head_members"] = members
    rows[f"+ interpolation head averaged over {members} members"] = scores(
        with_interpolation(averaged, "sphere", paper_probs, train.latlon, settings, log)
    )
    weight = args.retrieval_weight or ABLATION_RETRIEVAL_WEIGHT
    retrieving = copy.deepcopy(paper)
    retrieving.config.update(retrieval_weight=weight, retrieval_k=args.retrieval_k, retrieval_temperature=args.retrieval_temperature)
    fit_bank(retrieving, train, torch.from_numpy(np.array([retrieving.centroid_names.index(p) for p in train.places])), settings)
    rows[f"+ retrieval ({weight:.0%} from the {args.retrieval_k} nearest training images)"] = scores(
        with_interpolation(retrieving, "sphere", classifier_probs(retrieving, train, settings, in_bank=True), train.latlon, settings, log)
    )
    smoothing = args.label_smoothing_km or ABLATION_SMOOTHING_KM
    if own_classifier and args.label_smoothing_km > 0:
        smoothed = alone(worldnet)
    else:
        log(f"== ablation: haversine-smoothed labels ({smoothing:,.0f} km)")  # alone: the paper's interpolation
        smoothed_args = argparse.Namespace(**{**vars(paper_args), "label_smoothing_km": smoothing})
        smoothed = train_program.train_worldnet(train, smoothed_args, _settings(settings, smoothed_args), log)
    rows[f"+ haversine-smoothed labels ({smoothing:,.0f} km)"] = scores(smoothed)
    places = len(set(train.places.tolist()))
    held = args.interp_holdout_places or max(1, min(ABLATION_HOLDOUT_PLACES, places // 4))  # the classifier keeps most places
    log(f"== ablation: interpolation head on {held} held-out places")
    held_args = argparse.Namespace(**{**vars(paper_args), "interp_holdout_places": held})
    rows[f"+ head trained on {held} held-out places"] = scores(
        train_program.train_worldnet(train, held_args, _settings(settings, held_args), log)
    )
    tta = copy.deepcopy(paper)
    tta.config["tta"] = True
    rows["+ test-time augmentation (3 shifted copies)"] = scores(
        with_interpolation(tta, "sphere", classifier_probs(tta, train, settings), train.latlon, settings, log)
    )
    return rows


def use_label(backbone: str, use: str, blocks: int) -> str:
    """How a row's backbone was used, in words."""
    if backbone == "compact" or use == "scratch":
        return f"{backbone}, from scratch"
    return {"full": f"{backbone}, pretrained, fine-tuned", "partial": f"{backbone}, pretrained, last {blocks} blocks trained"}.get(
        use, f"{backbone}, pretrained, frozen (cached features)"
    )


def by_backbone(
    variants: list[tuple[str, str]], args: argparse.Namespace, splits, settings: TrainSettings, log: Callable[[str], None]
) -> dict[str, dict]:
    """worldNET trained again with each (backbone, use), everything else as the report's, scored on the same photos.

    Each backbone takes the photos at its own input size (``--image-size`` applies to the report's own backbone only).
    """
    rows: dict[str, dict] = {}
    for backbone, use in variants:
        variant_args = argparse.Namespace(
            **{
                **vars(args),
                "backbone": backbone,
                "backbone_training": "full" if use == "scratch" else use,
                "no_pretrained": use == "scratch",
                "image_size": args.image_size if backbone == args.backbone else None,
            }
        )
        label = use_label(backbone, use, args.trainable_blocks)
        log(f"== ablation: worldNET on {label}")
        began = time.perf_counter()
        variant_settings = _settings(settings, variant_args)
        size = train_program.input_size(variant_args)
        train = load_data(splits.train, size, progress=settings.progress, desc="training images")
        model = train_program.train_model("worldnet", train, variant_args, variant_settings, log)
        rows[label] = {
            split: evaluate(model, load_data(data, size, progress=settings.progress), variant_settings, scale_km=splits.scale_km).metrics
            for split, data in (("seen", splits.seen_test), ("unseen", splits.unseen_test))
        }
        rows[label]["seconds"] = time.perf_counter() - began
        log(f"{label}: seen mean {rows[label]['seen']['mean_km']:,.0f} km, unseen mean {rows[label]['unseen']['mean_km']:,.0f} km")
    return rows


def _settings(settings: TrainSettings, args: argparse.Namespace) -> TrainSettings:
    """``args``' settings, with the run's frozen features: a variant on the same frozen backbone computes none again."""
    return dataclasses.replace(train_program.settings_from(args), features=settings.features)


#: What the ablation tries where the defaults leave a change off.
ABLATION_SMOOTHING_KM = 3000.0
ABLATION_RETRIEVAL_WEIGHT = 0.5
ABLATION_HOLDOUT_PLACES = 5
ABLATION_HEAD_MEMBERS = 5


def main(args: argparse.Namespace, log: Callable[[str], None] = lambda m: print(m, flush=True)) -> int:
    started = time.perf_counter()
    args = flags.apply_config(args)
    if args.data is None:
        raise SystemExit("report: --data is required")
    problem = flags.backbone_training_problem(args)
    if problem:
        raise SystemExit(f"report: {problem}")
    labels = [use_label(b, u, args.trainable_blocks) for b, u in args.backbones]
    own = use_label(args.backbone, "scratch" if args.no_pretrained else args.backbone_training, args.trainable_blocks)
    twice = sorted({label for label in labels if labels.count(label) > 1 or label == own})
    if twice:
        raise SystemExit(f"report: --backbones asks for {', '.join(twice)} twice (or as the report's own backbone): one row each")
    settings = train_program.settings_from(args)
    settings.features = FeatureCache(spill_dir=Path(args.out))
    manifest = train_program.read_with_places(args)
    splits = train_program.make_splits(manifest, args)
    if splits.seen_test is None or splits.unseen_test is None:
        raise SystemExit("report: needs held-out places (--holdout-places N or --holdout-list FILE) and --test-fraction > 0")
    size = train_program.input_size(args)  # the learned models' (the baselines look at no pixel)
    train = load_data(splits.train, size, progress=settings.progress, desc="training images")
    tests = {
        "seen": load_data(splits.seen_test, size, progress=settings.progress, desc="seen test images"),
        "unseen": load_data(splits.unseen_test, size, progress=settings.progress, desc="unseen test images"),
    }
    log(
        f"report: {len(train)} training images of {len(set(train.places))} places; {len(tests['seen'])} seen and "
        f"{len(tests['unseen'])} unseen test images; device {settings.device}{precision_note(settings)}"
    )

    out = Path(args.out)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    report: dict = {"seen": {}, "unseen": {}, "interpolation": {}, "config": {}}
    evaluations: dict[str, dict[str, Evaluation]] = {}
    seconds: dict[str, float] = {}
    trained: dict = {}
    order = [m for m in ("mean", "random", "guess", "worldnet", "knn", "regression") if m in args.models]
    for name in order:
        began = time.perf_counter()
        log(f"== {name}")
        model = train_program.train_model(name, train, args, settings, log, trained_worldnet=trained.get("worldnet"))
        trained[name] = model
        seconds[name] = time.perf_counter() - began
        evaluations[name] = {split: evaluate(model, data, settings, scale_km=splits.scale_km) for split, data in tests.items()}
        for split in tests:
            report[split][name] = evaluations[name][split].metrics
        log(
            f"{name}: seen mean {report['seen'][name]['mean_km']:,.0f} km, "
            f"unseen mean {report['unseen'][name]['mean_km']:,.0f} km ({seconds[name]:.0f} s)"
        )
        save_checkpoint(
            model.cpu(),
            out / "checkpoints" / f"{name}.pt",
            metrics={s: report[s][name] for s in tests},
            training={"report": str(out), "holdout": splits.holdout},
        )
        model.to(settings.device)
    # Keep the models' order stable in the files, whatever order they trained in.
    for split in tests:
        report[split] = {m: report[split][m] for m in REPORTED_MODELS if m in report[split]}

    if "worldnet" in trained:
        worldnet = trained["worldnet"]
        ours = {s: report[s]["worldnet"] for s in tests}
        # Its own training images, each left out of its retrieval, as a new photo would be.
        train_probs = classifier_probs(
            worldnet, train, settings, in_bank=bool(worldnet.config.get("n_bank")) and not args.interp_holdout_places
        )
        for mode in INTERPOLATIONS:
            if mode == worldnet.interpolation:
                report["interpolation"][mode] = ours
            else:
                variant = with_interpolation(worldnet, mode, train_probs, train.latlon, settings, log)
                report["interpolation"][mode] = {
                    split: evaluate(variant, data, settings, scale_km=splits.scale_km).metrics for split, data in tests.items()
                }
        if args.ablation:
            report["ablation"] = ablation(worldnet, train, tests, args, settings, splits.scale_km, log)
            report["ablation"]["default (the tables above)"] = ours
        if args.backbones:
            report["backbones"] = {f"{own} (the tables above)": ours, **by_backbone(args.backbones, args, splits, settings, log)}
        truth_places = tests["seen"].places
        top1 = np.array(evaluations["worldnet"]["seen"].top1)
        report["config"]["worldnet_top1_accuracy"] = float((top1 == truth_places).mean())
        write_maps(out, {s: tests[s].latlon.double().numpy() for s in tests}, {s: evaluations["worldnet"][s].predicted for s in tests})

    learned = [m for m in trained.values() if m.learns_from_images]
    pretrained = any(m.config.get("backbone_pretrained") for m in learned)
    report["config"].update(
        {
            "data": str(args.data),
            "backbone": args.backbone,
            "backbone_pretrained": pretrained,
            "backbone_training": args.backbone_training,
            "trainable_blocks": args.trainable_blocks,
            "feature_views": args.feature_views,
            # Photos (and views) the run's frozen parts computed: each once, whatever number of models used them.
            "frozen_features": dict(settings.features.computed),
            "image_size": list(size),
            "epochs": args.epochs,
            "head_epochs": args.head_epochs,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "seed": args.seed,
            "device": str(settings.device),
            "mixed_precision": uses_mixed_precision(settings),
            "test_fraction": args.test_fraction,
            "holdout": splits.holdout,
            "train_images": len(train),
            "seen_places": len(set(train.places)),
            "seen_test_images": len(tests["seen"]),
            "unseen_test_images": len(tests["unseen"]),
            "min_test_images": args.min_test_images,
            "scale_km": splits.scale_km,
            "metric_keys": list(METRIC_KEYS),
            "model_seconds": seconds,
            "seconds": time.perf_counter() - started,
            "claims": [{"claim": c, "holds": h, "numbers": n} for c, h, n in claims(report)],
            "best_of_all": [{"check": c, "holds": h, "numbers": n} for c, h, n in best_of_all(report)],
        }
    )
    (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    write_markdown(report, out / "report.md")
    log(f"wrote {out / 'report.md'} in {report['config']['seconds'] / 60:.1f} min")
    for claim in report["config"]["claims"]:
        log(f"  {'holds' if claim['holds'] else 'DOES NOT HOLD'}: {claim['claim']} ({claim['numbers']})")
    for check in report["config"]["best_of_all"]:
        log(f"  {'holds' if check['holds'] else 'DOES NOT HOLD'}: {check['check']} ({check['numbers']})")
    return 0
