"""``python -m training COMMAND [ARGS]``: one module per command, each with
``get_args_parser()`` and ``main(args)`` (the torchvision references' shape)."""

from __future__ import annotations

import argparse
import importlib
import sys

#: command -> module under training/ holding its parser and main
COMMANDS = {
    "train": "training.train",
    "evaluate": "training.evaluate",
    "fetch-weights": "training.fetch_weights",
    "report": "training.report",
    "seeds": "training.seeds",
    "bench": "training.bench",
    "demo-world": "training.demo_world",
    "make-land-data": "training.make_land_data",
    "make-basemap-data": "training.basemap_data",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        parent = module.get_args_parser(add_help=False)
        commands.add_parser(
            name,
            parents=[parent],
            help=parent.description,
            description=parent.description,
            formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command])
    from worldnet_core.checkpoint import CheckpointError
    from worldnet_core.manifest import ImageSetError
    from worldnet_core.models.backbones import PretrainedWeightsMissing
    from worldnet_core.splits import SplitError

    try:
        result = module.main(args)
    except (ImageSetError, CheckpointError, PretrainedWeightsMissing, SplitError) as error:
        # Bad input is the user's to fix: say what and where, without a traceback.
        print(f"python -m training {args.command}: {error}", file=sys.stderr)
        return 2
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
