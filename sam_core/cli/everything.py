"""``everything``: every object over an extent, SAM's automatic mode tile by tile (``prompting.everything``)."""

from __future__ import annotations

from .. import config
from ..errors import SamCoreError
from ..io import strict_json
from .common import add_cluster_options, add_extent_options, add_model_options, cluster_runner, progress
from .options import real, whole


def add_everything_command(commands) -> None:
    every = commands.add_parser("everything", help="segment every object over an extent (automatic mode)")
    add_model_options(every, "everything.gpkg")
    add_extent_options(every)
    every.add_argument(
        "--overlap",
        type=whole(0),
        help=f"tile overlap in pixels (default {config.OVERLAP}, a quarter of tiles under {4 * config.OVERLAP} px)",
    )
    every.add_argument(
        "--points-per-side", type=whole(1), default=config.POINTS_PER_SIDE, help="SAM's prompt grid per tile"
    )
    every.add_argument("--pred-iou-thresh", type=real(0, 1), default=config.PRED_IOU_THRESH)
    every.add_argument("--stability-thresh", type=real(0, 1), default=config.STABILITY_THRESH)
    every.add_argument("--crop-n-layers", type=whole(0), default=0)
    every.add_argument(
        "--min-region-px",
        type=whole(0),
        default=config.MIN_REGION_PX,
        help="islands/holes below this many pixels go",
    )
    every.add_argument("--largest-part-only", action="store_true")
    add_cluster_options(every)


def cmd_everything(args) -> int:
    from ..geo.crs import parse_crs
    from ..geo.output import EVERYTHING_FIELDS, check_writable, write_polygons
    from ..geo.raster import RasterSource
    from ..prompting.everything import EverythingOptions, segment_everything
    from ..sam.embeddings import EmbeddingCache
    from ..sam.model import load_model

    check_writable(args.out)
    if args.points_per_side < 1 or args.crop_n_layers < 0 or args.min_region_px < 0:
        raise SamCoreError(
            "--points-per-side must be at least 1; --crop-n-layers and --min-region-px at least 0"
        )
    extent_crs = parse_crs(args.extent_crs) if args.extent_crs else None
    options = EverythingOptions(
        points_per_side=args.points_per_side,
        pred_iou_thresh=args.pred_iou_thresh,
        stability_score_thresh=args.stability_thresh,
        crop_n_layers=args.crop_n_layers,
        min_region_px=args.min_region_px,
        tile_size=args.tile_size,
        overlap=args.overlap,
        min_area_m2=args.min_area_m2,
        min_hole_m2=args.min_hole_m2,
        simplify_px=args.simplify_px,
        largest_part_only=args.largest_part_only,
    )
    with RasterSource(args.raster, bands=args.bands) as source:
        model = load_model(args.checkpoint, args.device, args.precision)
        with cluster_runner(args) as runner:
            result = segment_everything(
                source,
                model,
                EmbeddingCache(args.cache_dir),
                args.extent,
                extent_crs,
                options,
                progress=progress,
                runner=runner,
            )
        for record in result.objects:
            record["model"] = model.info.name
        write_polygons(args.out, result.objects, source.crs, EVERYTHING_FIELDS)
    total = sum(r["area_m2"] for r in result.objects)
    print(
        strict_json(
            {
                "out": str(args.out),
                "objects": len(result.objects),
                "tiles": result.tiles,
                "tile_size": result.tile_size,
                "area_m2": round(total, 2),
            }
        )
    )
    return 0
