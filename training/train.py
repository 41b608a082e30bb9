"""``python -m training train``: train one model on an image set and write its checkpoint.

The same parser and ``main`` serve ``manage.py train_worldnet``. Flags can also come
from a YAML file (``--config``), whose keys are the flags' names with underscores.
Runs on one CPU, one GPU (with bfloat16 autocast), or several under
``torchrun --nproc_per_node=N -m training train ...`` (DistributedDataParallel).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

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
from worldnet_core.checkpoint import save_checkpoint
from worldnet_core.device import select_device
from worldnet_core.geo import scale_km
from worldnet_core.manifest import Manifest
from worldnet_core.metrics import MIN_TEST_IMAGES, geolocation_metrics
from worldnet_core.models import GeoModel, list_models, model_defaults
from worldnet_core.models.backbones import BACKBONES, DEFAULT_BACKBONE, DEFAULT_SIZES, default_preprocessing
from worldnet_core.models.baselines import GuessModel, MeanModel, RandomLandModel
from worldnet_core.models.clustering import make_centroids
from worldnet_core.models.knn import KNNModel
from worldnet_core.models.regression import RegressionModel
from worldnet_core.models.worldnet import INTERPOLATIONS, WorldNet
from worldnet_core.readers import read_imageset
from worldnet_core.splits import DEFAULT_TEST_FRACTION, assign_folds, cap_per_region, split_by_image, split_by_place

DEFAULT_OUTPUT = Path("var/checkpoints")
#: The flags' defaults are the model's own (a default worldNET, a default kNN) and the training loops' (``TrainSettings``).
WORLDNET = model_defaults("worldnet")
KNN = model_defaults("knn")


def at_least_one(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _distance_km(text: str, *, positive: bool) -> float:
    """A finite number of km, at least 0 (more than 0 where ``positive``), or argparse's error."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of km") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise argparse.ArgumentTypeError(f"must be a finite number of km, {'more than' if positive else 'at least'} 0, not {text}")
    return value


def fold_count(text: str) -> int:
    """An argparse type: 0 (no cross-fitting) or a number of folds from 2 to ``MAX_FOLDS``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value != 0 and not 2 <= value <= MAX_FOLDS:
        raise argparse.ArgumentTypeError(f"must be 0 (off) or from 2 to {MAX_FOLDS}, not {value}")
    return value


#: Most folds a cross-fitting may have: each fold costs a model's training on (k - 1) / k of the images.
MAX_FOLDS = 10


def kilometres(text: str) -> float:
    """An argparse type: a finite distance of at least 0 km."""
    return _distance_km(text, positive=False)


def positive_kilometres(text: str) -> float:
    """An argparse type: a finite distance of more than 0 km (a kernel's scale divides by it)."""
    return _distance_km(text, positive=True)


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Train one model (worldNET or a baseline) and write its checkpoint.", add_help=add_help)
    parser.add_argument("--config", type=Path, default=None, help="YAML file of flag values (flags given on the command line win)")
    parser.add_argument("--data", type=Path, default=None, help="image set: a manifest CSV, or a folder/zip any reader accepts (required)")
    parser.add_argument("--model", default="worldnet", choices=list_models(), help="model to train (default worldnet)")
    parser.add_argument("--backbone", default=DEFAULT_BACKBONE, choices=BACKBONES, help=f"image backbone (default {DEFAULT_BACKBONE})")
    parser.add_argument(
        "--weights", type=Path, default=None, help="local ImageNet weights file for the backbone (default: torchvision's cache, if present)"
    )
    parser.add_argument("--no-pretrained", action="store_true", help="train the backbone from scratch even when weights are at hand")
    parser.add_argument(
        "--image-size",
        type=int,
        nargs=2,
        default=None,
        metavar=("H", "W"),
        help=f"input size (default: the backbone's; {' '.join(map(str, DEFAULT_SIZES[DEFAULT_BACKBONE]))} for {DEFAULT_BACKBONE})",
    )
    parser.add_argument(
        "--epochs", type=int, default=TrainSettings.epochs, help=f"epochs of the classifier / regression (default {TrainSettings.epochs})"
    )
    parser.add_argument(
        "--head-epochs",
        type=int,
        default=TrainSettings.head_epochs,
        help=f"epochs of worldNET's interpolation head (default {TrainSettings.head_epochs})",
    )
    parser.add_argument(
        "--head-members",
        type=at_least_one,
        default=WORLDNET["head_members"],
        help="worldNET's interpolation head: MLPs trained side by side and averaged "
        f"(default {WORLDNET['head_members']}; 1: the paper's one)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=TrainSettings.batch_size, help=f"batch size per process (default {TrainSettings.batch_size})"
    )
    parser.add_argument(
        "--lr",
        type=float,
        default=TrainSettings.lr,
        help=f"peak learning rate, AdamW with a one-cycle schedule (default {TrainSettings.lr:g})",
    )
    parser.add_argument(
        "--weight-decay",
        type=float,
        default=TrainSettings.weight_decay,
        help=f"AdamW weight decay (default {TrainSettings.weight_decay:g})",
    )
    parser.add_argument(
        "--seed", type=int, default=TrainSettings.seed, help=f"seed of splits, initialisation and batches (default {TrainSettings.seed})"
    )
    parser.add_argument("--device", default=None, help="auto, cpu, cuda, cuda:N (default: WORLDNET_DEVICE, else auto)")
    parser.add_argument(
        "--workers",
        type=int,
        default=TrainSettings.workers,
        help=f"data loader processes (default {TrainSettings.workers}: images are already in memory)",
    )
    parser.add_argument("--no-amp", action="store_true", help="no bf16 mixed precision on a GPU")
    parser.add_argument(
        "--cpu-bf16",
        action="store_true",
        help="bf16 mixed precision on a CPU that computes bf16 natively (AVX-512 BF16, AMX): "
        "about 2x faster there, less accurate on the demo world",
    )
    parser.add_argument(
        "--test-fraction",
        type=float,
        default=DEFAULT_TEST_FRACTION,
        help=f"share of each seen place's images held out for testing (default {DEFAULT_TEST_FRACTION})",
    )
    parser.add_argument(
        "--folds",
        type=fold_count,
        default=0,
        help="cross-fitting: also train this many fold models, each without one fold of the training images, and guess each fold's "
        "images with the model that never saw them (out-of-fold; the site's runs use 2; default 0: off)",
    )
    parser.add_argument(
        "--holdout-places", type=int, default=None, help="hold out this many whole places, drawn by seed (the unseen-city test)"
    )
    parser.add_argument(
        "--holdout-list",
        type=Path,
        default=None,
        help="file naming the places to hold out, one per line (e.g. a demo world's unseen_places.txt)",
    )
    parser.add_argument(
        "--max-per-place", type=int, default=None, help="de-bias: keep at most this many training images per place (default: no cap)"
    )
    parser.add_argument(
        "--interpolation",
        default=WORLDNET["interpolation"],
        choices=list(INTERPOLATIONS),
        help="how worldNET combines centroids: mode (the heaviest shown candidate's region), or the paper's global sphere / latlon "
        f"(default {WORLDNET['interpolation']})",
    )
    parser.add_argument(
        "--mode-bandwidth-km",
        type=positive_kilometres,
        default=WORLDNET["mode_bandwidth_km"],
        help=f"mode interpolation: the Gaussian kernel's scale (default {WORLDNET['mode_bandwidth_km']:g})",
    )
    parser.add_argument(
        "--mode-radius-km",
        type=kilometres,
        default=WORLDNET["mode_radius_km"],
        help="mode interpolation: centroids farther than this from the chosen candidate are left out "
        f"(default {WORLDNET['mode_radius_km']:g})",
    )
    parser.add_argument(
        "--label-smoothing-km",
        type=kilometres,
        default=TrainSettings.label_smoothing_km,
        help=f"haversine-smoothed classifier labels at this scale (PIGEON; default {TrainSettings.label_smoothing_km:g}: "
        "best on places it never saw; 0: one-hot, as the paper: best on the places it trained on)",
    )
    parser.add_argument(
        "--retrieval-weight",
        type=float,
        default=WORLDNET["retrieval_weight"],
        help=f"worldNET's belief: this share from the places of its nearest training images (default {WORLDNET['retrieval_weight']:g}; "
        "0: the classifier alone, as the paper)",
    )
    parser.add_argument(
        "--retrieval-k",
        type=int,
        default=WORLDNET["retrieval_k"],
        help=f"nearest training images worldNET's retrieval looks at (default {WORLDNET['retrieval_k']})",
    )
    parser.add_argument(
        "--retrieval-temperature",
        type=float,
        default=WORLDNET["retrieval_temperature"],
        help=f"softmax temperature of the retrieval's cosine similarities (default {WORLDNET['retrieval_temperature']:g})",
    )
    parser.add_argument(
        "--tta", action="store_true", help="worldNET averages its classifier over the image and three shifted copies (no mirror flips)"
    )
    parser.add_argument(
        "--interp-holdout-places",
        type=int,
        default=0,
        help="future work of the paper: train worldNET's interpolation head on this many training places held out from its classifier "
        "(default 0: off)",
    )
    parser.add_argument("--knn-k", type=int, default=KNN["k"], help=f"neighbours of the kNN baseline (default {KNN['k']})")
    parser.add_argument(
        "--knn-bandwidth-km",
        type=float,
        default=KNN["bandwidth_km"],
        help=f"mean-shift bandwidth of the kNN baseline (default {KNN['bandwidth_km']:g})",
    )
    parser.add_argument("--output", type=Path, default=None, help=f"checkpoint to write (default {DEFAULT_OUTPUT}/<model>.pt)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def apply_config(args: argparse.Namespace) -> argparse.Namespace:
    """Fills in values from ``args.config`` (YAML) wherever the command line left the default."""
    if not getattr(args, "config", None):
        return args
    values = yaml.safe_load(Path(args.config).read_text()) or {}
    parser = get_args_parser()
    actions = {action.dest: action for action in parser._actions}
    unknown = sorted(set(values) - set(actions) - {"help"})
    if unknown:
        raise SystemExit(f"{args.config}: unknown setting(s) {', '.join(unknown)}; settings are the flags' names with underscores")
    defaults = vars(parser.parse_args([]))
    for key, value in values.items():
        convert = actions[key].type
        # Every scalar goes through the flag's own check, as on the command line: YAML's -5 or .nan is a number already.
        if callable(convert) and value is not None and not isinstance(value, (bool, list, dict)):
            try:
                value = convert(str(value))
            except (argparse.ArgumentTypeError, ValueError) as error:
                raise SystemExit(f"{args.config}: {key}: {error}") from None
        if getattr(args, key) == defaults[key]:
            setattr(args, key, value)
    return args


def stored_args(args: argparse.Namespace) -> dict[str, object]:
    """The training flags as the checkpoint keeps them: this parser's flags only, as JSON values.

    Callers may hand in a namespace with more in it (``manage.py train_worldnet`` gets
    Django's ``stdout``...); anything that is not a flag, or not plain data, would end up
    in the checkpoint and on the admin's page as ``<... object at 0x...>``.
    """
    flags = {action.dest for action in get_args_parser(add_help=False)._actions}
    stored: dict[str, object] = {}
    for key, value in sorted(vars(args).items()):
        if key not in flags:
            continue
        if isinstance(value, Path):
            value = str(value)
        elif isinstance(value, tuple):
            value = list(value)
        if (
            value is None
            or isinstance(value, (bool, int, float, str))
            or (isinstance(value, list) and all(isinstance(v, (bool, int, float, str)) for v in value))
        ):
            stored[key] = value
        else:
            stored[key] = str(value)
    return stored


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
        fit_knn(knn, train, settings, trained_backbone=source)
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
    log = log or (lambda message: print(message, flush=True) if is_main_process() else None)
    settings = settings_from(args)
    settings.hook = hook
    init_distributed(settings.device)
    started = time.perf_counter()
    manifest = read_imageset(args.data)
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
    output = args.output or DEFAULT_OUTPUT / f"{args.model}.pt"
    # Training is the only collective part: the other ranks leave now rather than wait at a
    # barrier while rank 0 evaluates and saves (a long evaluation would outlast its timeout).
    main_process = is_main_process()
    finish_distributed()
    if not main_process:
        return {"checkpoint": output, "metrics": {}, "model": model, "training": {}, "fold_checkpoints": [], "folds": None}
    started_from = model.config.get("backbone_weights")
    if started_from:
        log(f"{args.model}: the {args.backbone} backbone started from {started_from}")
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
