"""``python -m sam_core info``: a raster described as JSON, even a broken one (the first thing to run), and/or
a checkpoint (``--checkpoint``): its architecture, and a fine-tuned decoder's threshold and learned scale;
``--device``: what runs the model here and why (with a checkpoint: the precision path chosen for it)."""

from __future__ import annotations

from .. import config
from ..errors import SamCoreError
from ..io import strict_json


def add_info_command(commands) -> None:
    info = commands.add_parser("info", help="describe a raster and/or a checkpoint as JSON")
    info.add_argument("raster", nargs="?")
    info.add_argument("--checkpoint", help="also describe this SAM checkpoint (.pth)")
    info.add_argument(
        "--device",
        nargs="?",
        const=config.DEVICE,
        choices=config.DEVICES,
        help="say which device and precision run the model here, and why (default device: auto)",
    )
    info.add_argument("--precision", default=config.PRECISION, choices=config.PRECISIONS)


def cmd_info(args) -> int:
    from ..geo.raster import RasterSource

    if args.raster is None and args.checkpoint is None and args.device is None:
        raise SamCoreError("give a raster, a --checkpoint, --device, or several")
    report: dict = {}
    if args.raster is not None:
        with RasterSource(args.raster, checked=False) as source:  # describes any raster, even a broken one
            report = source.info()
    device = args.device or config.DEVICE
    if args.checkpoint is not None:
        report["model"] = model_report(args.checkpoint, device, args.precision)
    if args.device is not None:
        report["device"] = device_report(device, report.get("model"))
    print(strict_json(report, indent=2))
    return 0


def model_report(checkpoint: str, device: str, precision: str = config.PRECISION) -> dict:
    """What the dock's model line shows (``describe``), plus the tiling a fine-tuned decoder implies and the
    path the model runs on here."""
    from ..sam.model import load_model

    model = load_model(checkpoint, device, precision)
    info, tuned = model.info, model.info.tuned
    return {
        "name": info.name,
        "describe": info.describe(),
        "arch": info.config.arch,
        "parameters": info.n_params,
        "tile_size": model.tile_size,
        "tuned": None if tuned is None else tuned.to_dict(),
        "device": str(model.device),
        "precision": model.precision,
        "runs_on": model.describe_device(),
    }


def device_report(device: str, model: dict | None) -> dict:
    """The device ``device`` resolves to, its fast kernels, and (with a model) the path chosen for it."""
    from ..sam.hardware import detect, resolve_device
    from ..sam.precision import candidates

    target, why = resolve_device(device)
    hardware = detect(target, why)
    report = {
        "device": str(target),
        "name": hardware.name,
        "threads": hardware.threads,
        "fast_paths": candidates(hardware)[:-1],
        "why": why or None,
    }
    if model is not None:
        report["precision"] = model["precision"]
        report["says"] = model["runs_on"]
    else:
        report["says"] = hardware.describe() + (
            f"; auto checks {', '.join(report['fast_paths'])} per checkpoint" if report["fast_paths"] else ""
        )
    return report
