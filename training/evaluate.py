"""``python -m training evaluate``: a checkpoint on an image set → the metrics, as JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from worldnet_core.checkpoint import load_model
from worldnet_core.device import select_device
from worldnet_core.geo import scale_km
from worldnet_core.readers import read_imageset
from training.engine import TrainSettings, evaluate, load_data


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Evaluate a checkpoint on an image set: distances, accuracies, continents, points.", add_help=add_help)
    parser.add_argument("checkpoint", type=Path, help="a checkpoint written by train")
    parser.add_argument("--data", type=Path, required=True, help="image set: a manifest CSV, or a folder/zip any reader accepts")
    parser.add_argument("--places", nargs="*", default=None, help="only the images of these places (default: all)")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda (default: WORLDNET_DEVICE, else auto)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def main(args: argparse.Namespace) -> int:
    model, _ = load_model(args.checkpoint)
    manifest = read_imageset(args.data)
    if args.places:
        manifest = manifest.subset([i for i, r in enumerate(manifest) if r.place in set(args.places)])
    settings = TrainSettings(device=select_device(args.device), progress=not args.no_progress)
    data = load_data(manifest, tuple(model.preprocessing.size), progress=settings.progress)
    result = evaluate(model, data, settings, scale_km=scale_km(manifest.lats(), manifest.lons()))
    print(json.dumps({"model": model.name, "images": len(manifest), **result.metrics}, indent=2))
    return 0
