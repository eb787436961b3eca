"""``evaluate``: predictions against references, per image and overall, as JSON (``evaluation.evaluate``)."""

from __future__ import annotations

import sys

from ..errors import SamCoreError
from ..io import strict_json
from .common import progress
from .options import real


def add_evaluate_command(commands) -> None:
    ev = commands.add_parser(
        "evaluate",
        help="compare a segmentation with a reference (IoU, Dice, accuracy, precision, recall, FPR, hit rate)",
        description=(
            "Each PRED REF pair is a prediction and its reference: polygon files (.gpkg, .geojson) or mask "
            "rasters (non-zero = object), compared on the grid of --raster (default: the reference raster's). "
            "Several pairs with one --raster share it; one pair with several --raster is evaluated on each; "
            "otherwise give one --raster per pair. Prints the result as JSON."
        ),
    )
    ev.add_argument("inputs", nargs="+", metavar="PRED REF", help="prediction and reference, in pairs")
    ev.add_argument("--raster", action="append", default=[], help="the grid to compare on; repeatable")
    ev.add_argument("--out", help="also write the result to this .json file")
    ev.add_argument("--pred-layer", help="layer of the prediction files (default: the first)")
    ev.add_argument("--ref-layer", help="layer of the reference files (default: the first)")
    ev.add_argument(
        "--include-nodata", action="store_true", help="also count pixels that are nodata in --raster"
    )
    ev.add_argument("--connectivity", type=int, choices=[4, 8], default=8, help="of a mask's objects")
    ev.add_argument(
        "--iou-threshold", type=real(0, 1), default=0.5, help="an object or image is hit above it"
    )


def evaluation_images(inputs: list[str], rasters: list[str]) -> list[tuple]:
    """PRED REF pairs and --raster options → (pred, ref, raster) per image."""
    if len(inputs) % 2:
        raise SamCoreError(
            f"give predictions and references in pairs (PRED REF ...), not {len(inputs)} paths"
        )
    pairs = list(zip(inputs[0::2], inputs[1::2]))
    if not rasters:
        return [(p, r, None) for p, r in pairs]
    if len(rasters) == 1:
        return [(p, r, rasters[0]) for p, r in pairs]
    if len(pairs) == 1:
        return [(*pairs[0], raster) for raster in rasters]
    if len(rasters) == len(pairs):
        return [(p, r, raster) for (p, r), raster in zip(pairs, rasters)]
    raise SamCoreError(f"{len(pairs)} PRED REF pairs need 0, 1 or {len(pairs)} --raster, not {len(rasters)}")


def cmd_evaluate(args) -> int:
    from ..evaluation.evaluate import EvaluateOptions, evaluate
    from ..geo.output import check_json_writable, write_json

    if args.out:
        check_json_writable(args.out)
    options = EvaluateOptions(
        pred_layer=args.pred_layer,
        ref_layer=args.ref_layer,
        include_nodata=args.include_nodata,
        connectivity=args.connectivity,
        threshold=args.iou_threshold,
    )
    result = evaluate(evaluation_images(args.inputs, args.raster), options, progress=progress)
    if args.out:
        write_json(args.out, result)
    print(strict_json(result, indent=2))
    for warning in result["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
