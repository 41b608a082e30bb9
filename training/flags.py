"""The flags of ``python -m training train``: its parser, its YAML config, and the flags a checkpoint keeps.

The one definition of them: ``training.train`` (the program), ``training.report`` and
``manage.py train_worldnet`` parse with this parser, and the admin's training form builds its
fields from it (defaults, choices, help). So this module imports no torch: its defaults are the
models' (``worldnet_core.model_choices``) and the training loops' (``training.loop_settings``),
plain data that a web process can read without loading PyTorch.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import yaml

from training.loop_settings import LoopSettings
from worldnet_core.model_choices import (
    BACKBONE_TRAINING,
    BACKBONES,
    DEFAULT_BACKBONE,
    DEFAULT_SIZES,
    INTERPOLATIONS,
    KNN,
    MODEL_NAMES,
    PACKAGED_BACKBONES,
    WORLDNET,
)
from worldnet_core.splits import DEFAULT_TEST_FRACTION

#: The training loops' defaults, as the flags show them.
LOOP = LoopSettings()

DEFAULT_OUTPUT = Path("var/checkpoints")
#: What a place is (--place-by): the set's own place names, or each photo's country.
PLACE_BY = ("place", "country")


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
    parser.add_argument("--model", default="worldnet", choices=MODEL_NAMES, help="model to train (default worldnet)")
    parser.add_argument("--backbone", default=DEFAULT_BACKBONE, choices=BACKBONES, help=f"image backbone (default {DEFAULT_BACKBONE})")
    parser.add_argument(
        "--weights", type=Path, default=None, help="local ImageNet weights file for the backbone (default: torchvision's cache, if present)"
    )
    parser.add_argument("--no-pretrained", action="store_true", help="train the backbone from scratch even when weights are at hand")
    parser.add_argument(
        "--backbone-training",
        default=WORLDNET.backbone_training,
        choices=BACKBONE_TRAINING,
        help="how much of worldNET's pretrained backbone trains: full (every block, fine-tuning), partial (its last "
        "--trainable-blocks blocks), or frozen (none: each training photo's features are computed once and cached, and the "
        "classifier trains on them, fast on a CPU); partial and frozen need pretrained weights. The baselines are the paper's "
        "whatever this says: the regression's backbone is frozen when pretrained, kNN uses its features "
        f"(default {WORLDNET.backbone_training})",
    )
    parser.add_argument(
        "--trainable-blocks",
        type=at_least_one,
        default=WORLDNET.trainable_blocks,
        help="--backbone-training partial: how many of the backbone's last blocks train (its 1x1 head convolution counts as one; "
        f"EfficientNet-Lite0 has 18: stem, 16 blocks, head) (default {WORLDNET.trainable_blocks})",
    )
    parser.add_argument(
        "--feature-views",
        type=at_least_one,
        default=LOOP.feature_views,
        help="with a frozen or partly frozen backbone: views of each training photo whose frozen features are computed once and "
        f"trained on: the photo itself, and N - 1 copies shifted and re-exposed as in training from images (default {LOOP.feature_views})",
    )
    parser.add_argument(
        "--image-size",
        type=int,
        nargs=2,
        default=None,
        metavar=("H", "W"),
        help=f"input size (default: the backbone's; {' '.join(map(str, DEFAULT_SIZES[DEFAULT_BACKBONE]))} for {DEFAULT_BACKBONE})",
    )
    parser.add_argument("--epochs", type=int, default=LOOP.epochs, help=f"epochs of the classifier / regression (default {LOOP.epochs})")
    parser.add_argument(
        "--head-epochs",
        type=int,
        default=LOOP.head_epochs,
        help=f"epochs of worldNET's interpolation head (default {LOOP.head_epochs})",
    )
    parser.add_argument(
        "--head-members",
        type=at_least_one,
        default=WORLDNET.head_members,
        help=f"worldNET's interpolation head: MLPs trained side by side and averaged (default {WORLDNET.head_members}; 1: the paper's one)",
    )
    parser.add_argument("--batch-size", type=int, default=LOOP.batch_size, help=f"batch size per process (default {LOOP.batch_size})")
    parser.add_argument(
        "--lr",
        type=float,
        default=LOOP.lr,
        help=f"peak learning rate, AdamW with a one-cycle schedule (default {LOOP.lr:g})",
    )
    parser.add_argument(
        "--weight-decay",
        type=float,
        default=LOOP.weight_decay,
        help=f"AdamW weight decay (default {LOOP.weight_decay:g})",
    )
    parser.add_argument("--seed", type=int, default=LOOP.seed, help=f"seed of splits, initialisation and batches (default {LOOP.seed})")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda, cuda:N (default: WORLDNET_DEVICE, else auto)")
    parser.add_argument(
        "--workers",
        type=int,
        default=LOOP.workers,
        help=f"data loader processes (default {LOOP.workers}: images are already in memory)",
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
        "--place-by",
        choices=PLACE_BY,
        default="place",
        help="what a place is (worldNET's classes, the held-out places): the set's own place names, or each photo's country "
        "(its country column, else where its coordinates fall): for real photo sets whose places are single towns or streets",
    )
    parser.add_argument(
        "--max-per-place", type=int, default=None, help="de-bias: keep at most this many training images per place (default: no cap)"
    )
    parser.add_argument(
        "--interpolation",
        default=WORLDNET.interpolation,
        choices=INTERPOLATIONS,
        help="how worldNET combines centroids: mode (the heaviest shown candidate's region), or the paper's global sphere / latlon "
        f"(default {WORLDNET.interpolation})",
    )
    parser.add_argument(
        "--mode-bandwidth-km",
        type=positive_kilometres,
        default=WORLDNET.mode_bandwidth_km,
        help=f"mode interpolation: the Gaussian kernel's scale (default {WORLDNET.mode_bandwidth_km:g})",
    )
    parser.add_argument(
        "--mode-radius-km",
        type=kilometres,
        default=WORLDNET.mode_radius_km,
        help="mode interpolation: centroids farther than this from the chosen candidate are left out "
        f"(default {WORLDNET.mode_radius_km:g})",
    )
    parser.add_argument(
        "--label-smoothing-km",
        type=kilometres,
        default=LOOP.label_smoothing_km,
        help=f"haversine-smoothed classifier labels at this scale (PIGEON; default {LOOP.label_smoothing_km:g}: "
        "best on places it never saw; 0: one-hot, as the paper: best on the places it trained on)",
    )
    parser.add_argument(
        "--retrieval-weight",
        type=float,
        default=WORLDNET.retrieval_weight,
        help=f"worldNET's belief: this share from the places of its nearest training images (default {WORLDNET.retrieval_weight:g}; "
        "0: the classifier alone, as the paper)",
    )
    parser.add_argument(
        "--retrieval-k",
        type=int,
        default=WORLDNET.retrieval_k,
        help=f"nearest training images worldNET's retrieval looks at (default {WORLDNET.retrieval_k})",
    )
    parser.add_argument(
        "--retrieval-temperature",
        type=float,
        default=WORLDNET.retrieval_temperature,
        help=f"softmax temperature of the retrieval's cosine similarities (default {WORLDNET.retrieval_temperature:g})",
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
    parser.add_argument("--knn-k", type=int, default=KNN.k, help=f"neighbours of the kNN baseline (default {KNN.k})")
    parser.add_argument(
        "--knn-bandwidth-km",
        type=float,
        default=KNN.bandwidth_km,
        help=f"mean-shift bandwidth of the kNN baseline (default {KNN.bandwidth_km:g})",
    )
    parser.add_argument("--output", type=Path, default=None, help=f"checkpoint to write (default {DEFAULT_OUTPUT}/<model>.pt)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def backbone_training_problem(args: argparse.Namespace) -> str | None:
    """Why ``args``' backbone training cannot be done, in one line; None when it can.

    A frozen or partly frozen backbone keeps the weights it starts from: without pretrained ones those
    are random, and features from random weights are noise.

    >>> backbone_training_problem(get_args_parser().parse_args(["--backbone-training", "frozen"]))[:80]
    '--backbone-training frozen needs a pretrained backbone, and compact has no pretr'
    >>> backbone_training_problem(get_args_parser().parse_args(["--backbone", "efficientnet_lite0", "--backbone-training", "frozen"]))
    """
    mode = getattr(args, "backbone_training", WORLDNET.backbone_training)
    if mode == "full":
        return None
    if args.backbone == "compact":
        why = "compact has no pretrained weights"
    elif args.no_pretrained:
        why = "--no-pretrained asks for none"
    else:
        return None
    return (
        f"--backbone-training {mode} needs a pretrained backbone, and {why}: its frozen blocks would keep their random ones. "
        f"Choose a pretrained backbone ({PACKAGED_BACKBONES[0]} comes with the install) or --backbone-training full"
    )


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
