"""``encode`` and ``segment``: tiles encoded ahead of prompting, and objects from point/box prompts or from
prompt files (``--prompts``, the batch of ``prompting.batch``)."""

from __future__ import annotations

import sys

from .. import config
from ..errors import SamCoreError
from ..io import all_or_nothing, strict_json
from .common import (
    add_cluster_options,
    add_engine_options,
    add_extent_options,
    add_model_options,
    box,
    cluster_runner,
    point,
    progress,
    tile_size_of,
)
from .options import whole


def add_segment_commands(commands) -> None:
    enc = commands.add_parser(
        "encode", help="encode the tiles of a raster (or of an extent) into --cache-dir ahead of prompting"
    )
    add_engine_options(enc)
    add_extent_options(enc)
    enc.add_argument(
        "--overlap",
        type=whole(0),
        help=f"tile overlap in pixels (default {config.OVERLAP}, a quarter of tiles under {4 * config.OVERLAP} px)",
    )
    add_cluster_options(enc)

    seg = commands.add_parser(
        "segment", help="segment one object from point and/or box prompts, or one per group in --prompts"
    )
    add_model_options(seg, "segment.gpkg")
    seg.add_argument(
        "--point",
        type=point,
        action="append",
        default=[],
        metavar="X,Y[,LABEL]",
        help="a prompt point; LABEL 1 foreground (default), 0 background; repeatable",
    )
    seg.add_argument("--box", type=box, metavar="XMIN,YMIN,XMAX,YMAX", help="a box prompt")
    seg.add_argument("--prompt-crs", help="CRS of the prompts (default: the raster's CRS)")
    seg.add_argument(
        "--preview",
        help="also write a preview (.png, or .jpg/.jpeg for JPEG) of the raster with the result drawn on it",
    )
    seg.add_argument(
        "--prompts",
        action="append",
        default=[],
        metavar="FILE[|layername=NAME]",
        help="a vector file of prompts: points, and polygons whose bounding boxes are boxes; one object per "
        "group (--group-field), per ungrouped box, and one for the ungrouped points; repeatable",
    )
    seg.add_argument("--label-field", help="field of --prompts points: 1 foreground (default), 0 background")
    seg.add_argument("--group-field", help="field of --prompts: features with the same value make one object")
    add_cluster_options(seg)  # the tiles of --prompts files; one object's prompts run here


def cmd_encode(args) -> int:
    from ..geo.crs import parse_crs
    from ..geo.raster import RasterSource
    from ..prompting.segment import prompt_overlap
    from ..sam.embeddings import EmbeddingCache
    from ..sam.model import load_model
    from ..sam.tile_job import encode_tiles

    if not args.cache_dir:
        raise SamCoreError("encode needs --cache-dir: the folder the embeddings are kept in")
    extent_crs = parse_crs(args.extent_crs) if args.extent_crs else None
    tile_size = tile_size_of(args)  # the model's learned scale unless --tile-size says otherwise
    overlap = prompt_overlap(tile_size) if args.overlap is None else args.overlap
    with RasterSource(args.raster, bands=args.bands) as source:
        grid = source.grid(tile_size, overlap)
        tiles = grid.tiles_for_extent(*args.extent, extent_crs) if args.extent else grid.tiles()
        if not tiles:
            raise SamCoreError("the extent does not overlap the raster")
        model = load_model(args.checkpoint, args.device, args.precision)
        with cluster_runner(args) as runner:
            cache = EmbeddingCache(args.cache_dir, max_items=1)
            encoded = encode_tiles(source, model, cache, tiles, progress, runner=runner)
    summary = {
        "cache_dir": str(args.cache_dir),
        "tiles": len(tiles),
        "tile_size": tile_size,
        "encoded": encoded,
        "cached": len(tiles) - encoded,
        "model": model.info.name,
    }
    print(strict_json(summary))
    return 0


def cmd_segment(args) -> int:
    from ..geo.output import PROMPT_FIELDS, check_writable, write_polygons
    from ..geo.vectorize import PostProcess
    from ..prompting.prompts import Point, Prompts

    if args.prompts:
        return _segment_prompt_files(args)
    if args.label_field or args.group_field:
        raise SamCoreError("--label-field and --group-field apply to --prompts files")
    if args.workers or args.scheduler:
        raise SamCoreError("--workers and --scheduler apply to --prompts files")
    if not args.point and args.box is None:
        raise SamCoreError("give at least one --point or a --box, or --prompts")
    check_writable(args.out)
    crs = None
    if args.prompt_crs:
        from ..geo.crs import parse_crs

        crs = parse_crs(args.prompt_crs)
    prompts = Prompts(points=tuple(Point(*p) for p in args.point), box=args.box, crs=crs)
    with _open_segmenter(args) as segmenter:
        result = segmenter.segment(prompts, PostProcess(args.min_area_m2, args.min_hole_m2, args.simplify_px))
        records = [] if result.geometry.is_empty else [result.record(1)]
        with all_or_nothing():
            write_polygons(args.out, records, segmenter.source.crs, PROMPT_FIELDS)
            if args.preview:
                from ..geo.preview import render_preview

                render_preview(segmenter.source, [r["geometry"] for r in records], args.preview)
    summary = {
        "out": str(args.out),
        "objects": len(records),
        "score": round(result.score, 4),
        "area_m2": round(result.area_m2, 2),
        "perimeter_m": round(result.perimeter_m, 2),
        "tile": [result.tile.col, result.tile.row],
        "tile_size": result.tile.size,
        "model": result.model,
    }
    print(strict_json(summary))
    if not records:
        print(
            "warning: the model found no object at these prompts; the output layer is empty", file=sys.stderr
        )
    return 0


def _segment_prompt_files(args) -> int:
    """``segment --prompts``: every object of the prompt files in one run, with their source attributes."""
    from ..geo.output import PROMPT_FIELDS, check_writable, write_polygons
    from ..geo.vectorize import PostProcess
    from ..prompting.batch import PromptBatch

    if args.point or args.box is not None or args.prompt_crs:
        raise SamCoreError("give --prompts, or --point/--box (with --prompt-crs), not both")
    check_writable(args.out)
    batch = PromptBatch.read(args.prompts, args.label_field, args.group_field)
    post = PostProcess(args.min_area_m2, args.min_hole_m2, args.simplify_px)
    # located before the model loads: a bad prompt fails at once
    with _open_segmenter(args, check=batch.locate) as segmenter:
        with cluster_runner(args) as runner:
            result = batch.run(segmenter, post, progress=progress, runner=runner)
        with all_or_nothing():
            crs = segmenter.source.crs
            write_polygons(args.out, result.records, crs, PROMPT_FIELDS, columns=result.columns)
            if args.preview:
                from ..geo.preview import render_preview

                render_preview(segmenter.source, [r["geometry"] for r in result.records], args.preview)
    print(strict_json({"out": str(args.out), **result.summary(), "tile_size": segmenter.grid.tile_size}))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


class _open_segmenter:
    """Raster + model + cache for one CLI run (closes the raster whatever happens)."""

    def __init__(self, args, check=None) -> None:
        self.args, self.check = args, check  # check(grid): runs before the model is loaded

    def __enter__(self):
        from ..geo.raster import RasterSource
        from ..prompting.segment import Segmenter, prompt_overlap
        from ..sam.embeddings import EmbeddingCache
        from ..sam.model import load_model

        self.source = RasterSource(self.args.raster, bands=self.args.bands)
        try:
            tile_size = tile_size_of(self.args)  # the model's learned scale unless --tile-size says otherwise
            if self.check is not None:
                self.check(self.source.grid(tile_size, prompt_overlap(tile_size)))
            model = load_model(self.args.checkpoint, self.args.device, self.args.precision)
            return Segmenter(self.source, model, EmbeddingCache(self.args.cache_dir), tile_size=tile_size)
        except BaseException:
            self.source.close()
            raise

    def __exit__(self, *exc) -> None:
        self.source.close()
