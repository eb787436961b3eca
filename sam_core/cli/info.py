"""``python -m sam_core info``: a raster described as JSON, even a broken one (the first thing to run)."""

from __future__ import annotations

from ..io import strict_json


def add_info_command(commands) -> None:
    info = commands.add_parser("info", help="describe a raster as JSON")
    info.add_argument("raster")


def cmd_info(args) -> int:
    from ..geo.raster import RasterSource

    with RasterSource(args.raster, checked=False) as source:  # describes any raster, even a broken one
        print(strict_json(source.info(), indent=2))
    return 0
