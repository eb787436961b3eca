"""``detect``: objects over an extent with a fine-tuned decoder (``finetune.detect``), or a plain SAM's
whole-patch masks (threshold 0.5, 256 px tiles) when the checkpoint has no sidecar."""

from __future__ import annotations

from .. import config
from ..io import all_or_nothing, strict_json
from .common import add_cluster_options, add_extent_options, add_model_options, cluster_runner, progress
from .options import real, whole


def add_detect_command(commands) -> None:
    detect = commands.add_parser(
        "detect", help="detect objects with a fine-tuned decoder (blended 256 px patches → polygons)"
    )
    add_model_options(detect, "detect.gpkg")
    add_extent_options(detect)
    detect.add_argument(
        "--size",
        type=whole(16),
        help="the recipe's resize size: the extent's longer side is seen as this many pixels "
        "(default: tiles of the model's learned scale)",
    )
    detect.add_argument(
        "--overlap",
        type=real(0),
        default=0.25,
        help="tile overlap: below 1 a fraction of the tile, else pixels (default 0.25)",
    )
    detect.add_argument(
        "--threshold",
        type=real(0, 1, above=True),
        help="probability threshold (default: the model's, else 0.5)",
    )
    detect.add_argument(
        "--min-region-px",
        type=whole(0),
        default=config.MIN_REGION_PX,
        help="islands/holes below this many pixels go",
    )
    add_cluster_options(detect)


def cmd_detect(args) -> int:
    from ..finetune.detect import DetectOptions, detect_objects
    from ..geo.crs import parse_crs
    from ..geo.output import check_writable, write_polygons
    from ..geo.raster import RasterSource
    from ..sam.embeddings import EmbeddingCache
    from ..sam.model import load_model
    from ..schema import DETECT_FIELDS

    check_writable(args.out)
    extent_crs = parse_crs(args.extent_crs) if args.extent_crs else None
    options = DetectOptions(
        size=args.size,
        tile_size=args.tile_size,
        overlap=args.overlap,
        threshold=args.threshold,
        min_region_px=args.min_region_px,
        min_area_m2=args.min_area_m2,
        min_hole_m2=args.min_hole_m2,
        simplify_px=args.simplify_px,
    )
    with RasterSource(args.raster, bands=args.bands) as source:
        model = load_model(args.checkpoint, args.device, args.precision)
        cache = EmbeddingCache(args.cache_dir)
        with cluster_runner(args) as runner:
            result = detect_objects(
                source, model, args.extent, extent_crs, options, cache, progress, runner=runner
            )
        with all_or_nothing():
            write_polygons(args.out, result.objects, source.crs, DETECT_FIELDS)
    summary = {
        "out": str(args.out),
        "objects": len(result.objects),
        "tiles": result.tiles,
        "tile_px": result.tile_px,
        "overlap_px": result.overlap_px,
        "threshold": result.threshold,
        "area_m2": round(sum(r["area_m2"] for r in result.objects), 2),
        "model": model.info.name,
        "tuned": model.info.tuned is not None,
    }
    print(strict_json(summary))
    return 0
