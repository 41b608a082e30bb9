"""Regenerates ``worldnet_core/data/ne_110m_countries.geojson`` from Natural Earth.

See ``worldnet_core/data/README.md`` for where the source file comes from.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from worldnet_core.land import COUNTRIES_FILE


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Rebuild the shipped land/country data from a Natural Earth 110m countries file.", add_help=add_help
    )
    parser.add_argument("source", type=Path, help="naturalearth_lowres.shp (or any file with name, iso_a3, continent)")
    parser.add_argument("--out", type=Path, default=COUNTRIES_FILE, help="GeoJSON to write (default: the shipped file)")
    return parser


def main(args: argparse.Namespace) -> int:
    import geopandas
    import shapely

    world = geopandas.read_file(args.source)
    world.loc[world["iso_a3"] == "-99", "iso_a3"] = "XKX"  # Kosovo has no ISO code in the source
    world.loc[world["continent"] == "Seven seas (open ocean)", "continent"] = "Antarctica"
    world = world[["name", "iso_a3", "continent", "geometry"]].sort_values("name").reset_index(drop=True)
    world["geometry"] = shapely.make_valid(shapely.set_precision(world.geometry.values, 1e-4))
    world.to_file(args.out, driver="GeoJSON", COORDINATE_PRECISION=4)
    print(f"wrote {len(world)} countries to {args.out}")
    return 0
