"""``python -m training evaluate --data SET --checkpoint CK``: a checkpoint on any image set.

Prints the report's table (with the *incoherent* column) for the whole set, or ``--json``.
Works on real photos as on the demo world: ``--data`` is anything the readers accept.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.engine import TrainSettings, evaluate, load_data
from training.report import metrics_table
from worldnet_core.checkpoint import load_model
from worldnet_core.device import select_device
from worldnet_core.geo import scale_km
from worldnet_core.metrics import MIN_TEST_IMAGES
from worldnet_core.readers import read_imageset


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Evaluate a checkpoint on an image set: distances, accuracies, continents, points, coherence.", add_help=add_help
    )
    parser.add_argument(
        "checkpoint_path", type=Path, nargs="?", default=None, metavar="CHECKPOINT", help="a checkpoint written by train (or --checkpoint)"
    )
    parser.add_argument("--checkpoint", type=Path, default=None, help="a checkpoint written by train")
    parser.add_argument("--data", type=Path, required=True, help="image set: a manifest CSV, or a folder/zip any reader accepts")
    parser.add_argument("--places", nargs="*", default=None, help="only the images of these places (default: all)")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda (default: WORLDNET_DEVICE, else auto)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON instead of a table")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def main(args: argparse.Namespace) -> int:
    checkpoint = args.checkpoint or args.checkpoint_path
    if checkpoint is None:
        raise SystemExit("evaluate: which checkpoint? --checkpoint FILE")
    model, _ = load_model(checkpoint)
    manifest = read_imageset(args.data)
    if args.places:
        manifest = manifest.subset([i for i, r in enumerate(manifest) if r.place in set(args.places)])
    settings = TrainSettings(device=select_device(args.device), progress=not args.no_progress)
    data = load_data(manifest, model.preprocessing.size, progress=settings.progress)
    scale = scale_km(manifest.lats(), manifest.lons())
    result = evaluate(model, data, settings, scale_km=scale)
    if args.json:
        print(json.dumps({"model": model.name, "images": len(manifest), "scale_km": scale, **result.metrics}, indent=2))
        return 0
    print(f"{checkpoint.name} on {args.data} ({len(manifest)} images, D = {scale:,.0f} km; predictions snapped to land):\n")
    if len(manifest) < MIN_TEST_IMAGES:
        print(f"Too few images to measure ({len(manifest)}, fewer than {MIN_TEST_IMAGES}): the figures below say little.\n")
    print("\n".join(metrics_table({model.name: result.metrics})))
    return 0
