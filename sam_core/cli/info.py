"""``python -m sam_core info``: a raster described as JSON, even a broken one (the first thing to run), and/or
a checkpoint (``--checkpoint``): its architecture, and a fine-tuned decoder's threshold and learned scale."""

from __future__ import annotations

from .. import config
from ..errors import SamCoreError
from ..io import strict_json


def add_info_command(commands) -> None:
    info = commands.add_parser("info", help="describe a raster and/or a checkpoint as JSON")
    info.add_argument("raster", nargs="?")
    info.add_argument("--checkpoint", help="also describe this SAM checkpoint (.pth)")
    info.add_argument("--device", default=config.DEVICE, choices=config.DEVICES)


def cmd_info(args) -> int:
    from ..geo.raster import RasterSource

    if args.raster is None and args.checkpoint is None:
        raise SamCoreError("give a raster, a --checkpoint, or both")
    report: dict = {}
    if args.raster is not None:
        with RasterSource(args.raster, checked=False) as source:  # describes any raster, even a broken one
            report = source.info()
    if args.checkpoint is not None:
        report["model"] = model_report(args.checkpoint, args.device)
    print(strict_json(report, indent=2))
    return 0


def model_report(checkpoint: str, device: str) -> dict:
    """What the dock's model line shows (``describe``), plus the tiling a fine-tuned decoder implies."""
    from ..sam.model import load_model

    model = load_model(checkpoint, device)
    info, tuned = model.info, model.info.tuned
    return {
        "name": info.name,
        "describe": info.describe(),
        "arch": info.config.arch,
        "parameters": info.n_params,
        "tile_size": model.tile_size,
        "tuned": None if tuned is None else tuned.to_dict(),
    }
