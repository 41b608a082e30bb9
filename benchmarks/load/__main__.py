"""``python -m benchmarks.load``: see benchmarks/load/__init__.py."""

import sys

from benchmarks.load.run import cli

sys.exit(cli())
