"""``python -m training demo-world``: write the demo world's image set (and a contact sheet)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tqdm import tqdm

from worldnet_core.demo_world import DEFAULT_PLACES, contact_sheet, generate_world, read_places


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Generate the demo world: street scenes of real cities as an image set.", add_help=add_help
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write images/, manifest.csv and unseen_places.txt into")
    parser.add_argument("--per-city", type=int, default=100, help="images per place (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives byte-identical images (default 0)")
    parser.add_argument(
        "--places", type=Path, default=None, help="CSV of name,lat,lon,country[,size] (default: the paper's 23 cities and 23 unseen ones)"
    )
    parser.add_argument("--workers", type=int, default=1, help="processes to render with (default 1; output is identical for any number)")
    parser.add_argument(
        "--contact-sheet",
        type=Path,
        nargs="?",
        const=True,
        default=None,
        metavar="PNG",
        help="also write a PNG with a row of samples per place (default path: OUT/contact_sheet.png)",
    )
    return parser


def main(args: argparse.Namespace) -> int:
    places = read_places(args.places) if args.places else list(DEFAULT_PLACES)
    total = len(places) * args.per_city
    started = time.perf_counter()
    with tqdm(total=total, unit="img", desc="demo world", disable=None) as bar:

        def progress(records):
            for record in records:
                bar.update()
                yield record

        manifest = generate_world(
            args.out, places=places, per_city=args.per_city, seed=args.seed, workers=max(1, args.workers), progress=progress
        )
    elapsed = time.perf_counter() - started
    print(f"wrote {len(manifest)} images of {len(places)} places to {args.out} in {elapsed:.1f} s ({len(manifest) / elapsed:.0f} images/s)")
    print(f"manifest: {args.out / 'manifest.csv'}; unseen places: {args.out / 'unseen_places.txt'}")
    if args.contact_sheet:
        path = args.out / "contact_sheet.png" if args.contact_sheet is True else args.contact_sheet
        path.parent.mkdir(parents=True, exist_ok=True)
        contact_sheet(places, seed=args.seed).save(path, optimize=True)
        print(f"contact sheet: {path}")
    return 0
