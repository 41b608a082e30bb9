"""``python -m training train``: train one model on an image set and write its checkpoint.

The same parser (``training.flags``, which imports no torch) and ``main`` serve ``manage.py
train_worldnet``. Flags can also come from a YAML file (``--config``), whose keys are the flags'
names with underscores.
Runs on one CPU, one GPU (with bfloat16 autocast), or several under
``torchrun --nproc_per_node=N -m training train ...`` (DistributedDataParallel).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from training.engine import (
    ImageData,
    ProgressHook,
    TrainSettings,
    evaluate,
    finish_distributed,
    fit_knn,
    fit_regression,
    fit_worldnet,
    init_distributed,
    is_main_process,
    load_data,
    precision_note,
    uses_mixed_precision,
)
from training.feature_cache import FeatureCache
from training.flags import DEFAULT_OUTPUT, apply_config, backbone_training_problem, stored_args
from training.flags import get_args_parser as get_args_parser  # the program's parser (``python -m training``)
from worldnet_core.checkpoint import save_checkpoint
from worldnet_core.device import select_device
from worldnet_core.geo import scale_km
from worldnet_core.manifest import Manifest
from worldnet_core.metrics import MIN_TEST_IMAGES, geolocation_metrics
from worldnet_core.models import GeoModel
from worldnet_core.models.backbones import default_preprocessing
from worldnet_core.models.baselines import GuessModel, MeanModel, RandomLandModel
from worldnet_core.models.clustering import make_centroids
from worldnet_core.models.knn import KNNModel
from worldnet_core.models.regression import RegressionModel
from worldnet_core.models.worldnet import WorldNet
from worldnet_core.readers import read_imageset
from worldnet_core.splits import assign_folds, cap_per_region, split_by_image, split_by_place

# --- data ----------------------------------------------------------------------------


@dataclass
class Splits:
    train: Manifest
    seen_test: Manifest | None
    unseen_test: Manifest | None
    scale_km: float
    holdout: list[str]


def read_holdout_list(path: Path) -> list[str]:
    return [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def read_with_places(args: argparse.Namespace) -> Manifest:
    """The image set of ``--data``, its places as ``--place-by`` says: the set's own names, or each photo's country.

    Real photo sets often name a photo's town or street: a place of one photo, which worldNET cannot learn as a
    class nor the report hold out as a seen place. By country: the country column where the row has one, else
    the country its coordinates fall in, or the nearest (the shipped land data); either way as its full English
    name, so that a column's code ("IT"), a map's name ("Italy") and the land data's agree on one place.
    """
    manifest = read_imageset(args.data)
    if getattr(args, "place_by", "place") != "country":
        return manifest
    from worldnet_core.land import country_name, country_of

    missing = [i for i, r in enumerate(manifest) if not r.country.strip()]
    # margin_km=None: the nearest country, for a photo on a pier or a ferry too (no place of one photo).
    found: list[object] = list(country_of(manifest.lats()[missing], manifest.lons()[missing], margin_km=None)) if missing else []
    located = dict(zip(missing, found, strict=True))
    records = [
        dataclasses.replace(r, place=country_name(r.country.strip() or str(located.get(i) or r.place)))
        for i, r in enumerate(manifest.records)
    ]
    return Manifest(manifest.root, records, list(manifest.notes))


def make_splits(manifest: Manifest, args: argparse.Namespace) -> Splits:
    """Held-out places (unseen) first, then held-out images of the remaining places (seen)."""
    holdout: list[str] = []
    unseen = None
    rest = manifest
    if args.holdout_list or args.holdout_places:
        names = read_holdout_list(args.holdout_list) if args.holdout_list else None
        split = split_by_place(manifest, holdout=names, n_holdout=None if names else args.holdout_places, seed=args.seed)
        rest, unseen = split.train, split.test
        holdout = sorted(set(unseen.places().tolist()))
    seen_test = None
    train = rest
    if args.test_fraction > 0:
        split = split_by_image(rest, test_fraction=args.test_fraction, seed=args.seed)
        train, seen_test = split.train, split.test
    if args.max_per_place:
        train = cap_per_region(train, args.max_per_place, seed=args.seed)
    return Splits(train, seen_test, unseen, scale_km(manifest.lats(), manifest.lons()), holdout)


# --- models --------------------------------------------------------------------------


def settings_from(args: argparse.Namespace) -> TrainSettings:
    return TrainSettings(
        epochs=args.epochs,
        head_epochs=args.head_epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        workers=args.workers,
        seed=args.seed,
        device=select_device(args.device),
        amp=not args.no_amp,
        cpu_bf16=args.cpu_bf16,
        progress=not args.no_progress,
        label_smoothing_km=args.label_smoothing_km,
        feature_views=getattr(args, "feature_views", 1),
    )


def backbone_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "backbone": args.backbone,
        "pretrained": not args.no_pretrained,
        "weights_path": str(args.weights) if args.weights else None,
        "image_size": args.image_size,
    }


def input_size(args: argparse.Namespace) -> tuple[int, int]:
    """The size the learned models of ``args`` take their images at (as they compute it themselves)."""
    return default_preprocessing(args.backbone, args.image_size).size


def build_worldnet(train: ImageData, args: argparse.Namespace, *, exclude: Collection[str] = ()) -> tuple[WorldNet, torch.Tensor]:
    """A worldNET with centroids from ``train`` (minus ``exclude``d places) and its class labels."""
    keep = ~np.isin(train.places, list(exclude))
    latlon = train.latlon.double().numpy()[keep]
    centroids = make_centroids(latlon[:, 0], latlon[:, 1], train.places[keep], seed=args.seed)
    model = WorldNet(
        centroids=centroids.latlon.tolist(),
        centroid_names=centroids.names,
        interpolation=args.interpolation,
        mode_bandwidth_km=args.mode_bandwidth_km,
        mode_radius_km=args.mode_radius_km,
        tta=args.tta,
        head_members=args.head_members,
        retrieval_weight=args.retrieval_weight,
        retrieval_k=args.retrieval_k,
        retrieval_temperature=args.retrieval_temperature,
        backbone_training=args.backbone_training,
        trainable_blocks=args.trainable_blocks,
        **backbone_kwargs(args),
    )
    return model, torch.from_numpy(centroids.labels)


def train_model(
    name: str,
    train: ImageData,
    args: argparse.Namespace,
    settings: TrainSettings,
    log: Callable[[str], None] = print,
    *,
    trained_worldnet: WorldNet | None = None,
) -> GeoModel:
    """Builds and trains model ``name`` on ``train``."""
    torch.manual_seed(args.seed)
    lat, lon = train.latlon.double().numpy().T
    if name == "mean":
        return MeanModel.fit(lat, lon)
    if name == "random":
        return RandomLandModel.fit(lat, lon, seed=args.seed)
    if name == "guess":
        return GuessModel.fit(lat, lon, seed=args.seed)
    if name == "regression":
        regression = RegressionModel(**backbone_kwargs(args))
        fit_regression(regression, train, settings, log)
        return regression
    if name == "knn":
        knn = KNNModel(k=args.knn_k, bandwidth_km=args.knn_bandwidth_km, **backbone_kwargs(args))
        source = None
        if not knn.config["backbone_pretrained"]:
            # Untrained features would be noise: use (or train) a worldNET classifier's backbone.
            if trained_worldnet is None:
                log("knn: no pretrained backbone; training a worldNET classifier for its features")
                trained_worldnet = train_worldnet(train, args, settings, log)
            source = trained_worldnet.backbone
        fit_knn(knn, train, settings, trained_backbone=source, log=log)
        return knn
    if name == "worldnet":
        return train_worldnet(train, args, settings, log)
    raise ValueError(f"unknown model {name!r}")


def train_worldnet(train: ImageData, args: argparse.Namespace, settings: TrainSettings, log: Callable[[str], None] = print) -> WorldNet:
    held: set[str] = set()
    if args.interp_holdout_places:
        places = sorted(set(train.places.tolist()))
        held = set(np.random.default_rng(args.seed).permutation(places)[: args.interp_holdout_places].tolist())
        log(f"worldnet: interpolation head also learns from {len(held)} places its classifier never sees: {', '.join(sorted(held))}")
    model, labels = build_worldnet(train, args, exclude=held)
    classifier_data = train.subset(~np.isin(train.places, list(held)))
    fit_worldnet(model, classifier_data, labels, settings, head_data=train if held else None, log=log)
    return model


def training_note(model: GeoModel) -> str:
    """How much of the backbone trained, for the log line that says where it started from."""
    split = model.split
    if split is None or not model.learns_from_images:
        return ""
    if split.all_frozen:
        return "; frozen (its features computed once per photo and cached)"
    if split.any_frozen:
        return f"; its last {len(split.trainable_blocks)} of {len(split.blocks)} blocks trained, the others frozen"
    return "; every block trained"


@dataclass
class Folds:
    """A cross-fitting: each training image's fold (in the training manifest's order), and for each fold
    the model trained on every other fold, which never saw that fold's images and guesses them."""

    of: np.ndarray
    models: list[GeoModel]

    def out_of_fold_metrics(self, train: ImageData, settings: TrainSettings, scale_km: float) -> dict[str, float | None]:
        """Every training image guessed by the fold model that never saw it: the errors players meet on these images."""
        truth = train.latlon.double().numpy()
        predicted = np.zeros_like(truth)
        for k, model in enumerate(self.models):
            held = self.of == k
            predicted[held] = evaluate(model, train.subset(held), settings, scale_km=scale_km).predicted
        return geolocation_metrics(truth[:, 0], truth[:, 1], predicted[:, 0], predicted[:, 1], scale_km=scale_km)

    def fold_of(self, manifest: Manifest, train: Manifest) -> dict[str, int | None]:
        """Each image of ``manifest`` by path: its fold, or None where it is not among the training images ``train``."""
        folds = {record.path: int(fold) for record, fold in zip(train.records, self.of)}
        return {record.path: folds.get(record.path) for record in manifest}

    def save(self, output: Path, train: Manifest, args: argparse.Namespace) -> list[Path]:
        """``<output>.fold<k>.pt`` for each fold model, and ``<output>.folds.csv``: each training image's fold."""
        paths = []
        for k, model in enumerate(self.models):
            training = {"args": stored_args(args), "fold": k, "folds": len(self.models), "train_images": int((self.of != k).sum())}
            paths.append(save_checkpoint(model.cpu(), fold_checkpoint_path(output, k), training=training))
        with open(output.with_suffix(".folds.csv"), "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["path", "fold"])
            writer.writerows((record.path, int(fold)) for record, fold in zip(train.records, self.of))
        return paths


def fold_checkpoint_path(output: Path, fold: int) -> Path:
    """Where the model trained without fold ``fold`` (0-based) is written, beside ``output``."""
    return output.with_name(f"{output.stem}.fold{fold}{output.suffix}")


def cross_fit(of: np.ndarray, train: ImageData, args: argparse.Namespace, settings: TrainSettings, log: Callable[[str], None]) -> Folds:
    """Trains a model per fold of ``of`` (each training image's fold: ``assign_folds``), each on the training
    images outside its fold.

    With 2 folds each model trains on half the images: the two cost about one training on all of them.
    """
    models = []
    folds = int(of.max()) + 1
    for k in range(folds):
        prefix = f"fold {k + 1} of {folds}: "
        keep = of != k
        log(f"{prefix}training on {int(keep.sum())} images, to guess the {int((~keep).sum())} of this fold")
        models.append(train_model(args.model, train.subset(keep), args, dataclasses.replace(settings, stage_prefix=prefix), log))
    return Folds(of, models)


def main(args: argparse.Namespace, log: Callable[[str], None] | None = None, hook: ProgressHook | None = None) -> dict[str, Any]:
    """Trains ``args.model``; returns ``{"checkpoint": path, "metrics": {...}, "training": {...}, "fold_checkpoints": [paths],
    "folds": {path: fold} or None}``. ``hook``: see ``training.engine.ProgressHook``."""
    args = apply_config(args)
    if args.data is None:
        raise SystemExit("train: --data is required (a manifest CSV, or a folder/zip of images)")
    problem = backbone_training_problem(args)
    if problem:
        raise SystemExit(f"train: {problem}")
    log = log or (lambda message: print(message, flush=True) if is_main_process() else None)
    settings = settings_from(args)
    settings.hook = hook
    output = args.output or DEFAULT_OUTPUT / f"{args.model}.pt"
    # Frozen features beyond what memory holds go to an unnamed file beside the checkpoint, gone when the run ends.
    settings.features = FeatureCache(spill_dir=Path(output).parent)
    init_distributed(settings.device)
    started = time.perf_counter()
    manifest = read_with_places(args)
    splits = make_splits(manifest, args)
    fold_of = assign_folds(splits.train, args.folds, seed=args.seed) if args.folds else None  # refuses folds too small, before any training
    log(
        f"{len(manifest)} images; training on {len(splits.train)}, testing on {len(splits.seen_test or [])} seen and "
        f"{len(splits.unseen_test or [])} unseen; device {settings.device}{precision_note(settings)}"
    )
    for note in splits.train.notes:
        log(note)
    train = load_data(splits.train, input_size(args), progress=settings.progress, desc="training images", log=log, hook=hook)
    model = train_model(args.model, train, args, settings, log)
    folds = cross_fit(fold_of, train, args, settings, log) if fold_of is not None else None
    # Training is the only collective part: the other ranks leave now rather than wait at a
    # barrier while rank 0 evaluates and saves (a long evaluation would outlast its timeout).
    main_process = is_main_process()
    finish_distributed()
    if not main_process:
        return {"checkpoint": output, "metrics": {}, "model": model, "training": {}, "fold_checkpoints": [], "folds": None}
    started_from = model.config.get("backbone_weights")
    if started_from:
        log(f"{args.model}: the {args.backbone} backbone started from {started_from}{training_note(model)}")
    metrics = {}
    test_images = {"seen": len(splits.seen_test or []), "unseen": len(splits.unseen_test or [])}
    for label, part in (("seen", splits.seen_test), ("unseen", splits.unseen_test)):
        if part is not None and len(part):
            if len(part) < MIN_TEST_IMAGES:
                log(f"{label}: {len(part)} test image(s), too few to measure (at least {MIN_TEST_IMAGES}): the figures below say little")
            metrics[label] = evaluate(
                model,
                # At the model's own input size, as its checkpoint keeps it and the site feeds it.
                load_data(part, model.preprocessing.size, progress=settings.progress, desc=f"{label} test images", log=log, hook=hook),
                settings,
                scale_km=splits.scale_km,
            ).metrics
            log(f"{label}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in metrics[label].items()))
    fold_checkpoints: list[Path] = []
    if folds is not None:
        metrics["out_of_fold"] = folds.out_of_fold_metrics(train, settings, splits.scale_km)
        test_images["out_of_fold"] = len(train)
        log("out_of_fold: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics["out_of_fold"].items() if isinstance(v, (int, float))))
        fold_checkpoints = folds.save(output, splits.train, args)
    training = {
        "args": stored_args(args),
        "backbone_weights": started_from,
        "backbone_training": model.config.get("backbone_training"),
        "frozen_features": dict(settings.features.computed),
        "mixed_precision": uses_mixed_precision(settings),
        "holdout": splits.holdout,
        "seconds": time.perf_counter() - started,
        "train_images": len(splits.train),
        "test_images": test_images,
        "folds": args.folds,
        "scale_km": splits.scale_km,
    }
    save_checkpoint(model.cpu(), output, metrics=metrics, training=training)
    log(f"wrote {output} in {time.perf_counter() - started:.0f} s")
    return {
        "checkpoint": output,
        "metrics": metrics,
        "model": model,
        "training": training,
        "fold_checkpoints": fold_checkpoints,
        # Cross-fitted: every image's fold, None for an image no model trained on (a test image). Else None.
        "folds": folds.fold_of(manifest, splits.train) if folds is not None else None,
    }
