"""``python -m sam_core``: the core on a server, no QGIS needed.

Every user mistake (bad file, CRS, prompt, checkpoint) ends with exit code 2 and one ``error: ...`` line
on stderr, no traceback, and no output file left behind; an existing output file is replaced only after
success.
"""

from __future__ import annotations

import argparse
import math
import sys

from .. import config
from ..errors import SamCoreError
from ..io import all_or_nothing, strict_json
from .fetch import add_fetch_command, cmd_fetch_checkpoint
from .options import SEED_MAX, boundary_message, check_args, finite, real, whole

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes in the same one-line form as every other error."""

    def error(self, message: str) -> None:
        raise SamCoreError(message)


def _point(text: str) -> tuple[float, float, int]:
    parts = text.split(",")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        x, y = finite(parts[0]), finite(parts[1])
        label = int(parts[2]) if len(parts) == 3 else 1
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a point is X,Y or X,Y,LABEL (LABEL 1 or 0) of finite numbers, not {text!r}"
        ) from None
    if label not in (0, 1):
        raise argparse.ArgumentTypeError(f"a point's LABEL is 1 (foreground) or 0 (background), not {label}")
    return x, y, label


def _box(text: str) -> tuple[float, float, float, float]:
    try:
        values = tuple(float(v) for v in text.split(","))
        if len(values) != 4:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"a box is XMIN,YMIN,XMAX,YMAX, not {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"a box is four finite numbers, not {text!r}")
    if not (values[0] < values[2] and values[1] < values[3]):
        raise argparse.ArgumentTypeError(f"a box needs XMIN < XMAX and YMIN < YMAX: {text!r}")
    return values


def _bands(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"bands are 1 or 3 band numbers like 4,3,2, not {text!r}") from None


def _add_engine_options(command: argparse.ArgumentParser) -> None:
    """Raster, checkpoint, bands, cache, device and tile size: what every encoding command takes."""
    command.add_argument("raster")
    command.add_argument(
        "--checkpoint", required=True, help="SAM checkpoint (.pth), e.g. sam_vit_b_01ec64.pth"
    )
    command.add_argument("--bands", type=_bands, help="1 or 3 band numbers (default: RGB / first three)")
    command.add_argument("--cache-dir", help="keep image embeddings here so later runs skip the encoder")
    command.add_argument("--device", default=config.DEVICE, choices=config.DEVICES)
    command.add_argument("--tile-size", type=whole(16), default=config.TILE_SIZE)


def _add_extent_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--extent", type=_box, metavar="XMIN,YMIN,XMAX,YMAX", help="default: the whole raster"
    )
    command.add_argument("--extent-crs", help="CRS of --extent (default: the raster's CRS)")


def _add_model_options(command: argparse.ArgumentParser, out_default: str) -> None:
    """The engine options plus output and post-processing: what every segmenting command takes."""
    _add_engine_options(command)
    command.add_argument(
        "--out", default=out_default, help=f"output .gpkg or .geojson (default {out_default})"
    )
    command.add_argument("--min-area-m2", type=real(0), default=0.0, help="drop parts smaller than this")
    command.add_argument("--min-hole-m2", type=real(0), default=0.0, help="fill holes smaller than this")
    command.add_argument(
        "--simplify-px", type=real(0), default=0.0, help="simplification tolerance in pixels"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m sam_core", description="TerraSAM core: Segment Anything on GeoTIFFs.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    info = commands.add_parser("info", help="describe a raster as JSON")
    info.add_argument("raster")

    enc = commands.add_parser(
        "encode", help="encode the tiles of a raster (or of an extent) into --cache-dir ahead of prompting"
    )
    _add_engine_options(enc)
    _add_extent_options(enc)
    enc.add_argument(
        "--overlap",
        type=whole(0),
        default=config.OVERLAP,
        help=f"tile overlap in pixels (default {config.OVERLAP})",
    )

    seg = commands.add_parser(
        "segment", help="segment one object from point and/or box prompts, or one per group in --prompts"
    )
    _add_model_options(seg, "segment.gpkg")
    seg.add_argument(
        "--point",
        type=_point,
        action="append",
        default=[],
        metavar="X,Y[,LABEL]",
        help="a prompt point; LABEL 1 foreground (default), 0 background; repeatable",
    )
    seg.add_argument("--box", type=_box, metavar="XMIN,YMIN,XMAX,YMAX", help="a box prompt")
    seg.add_argument("--prompt-crs", help="CRS of the prompts (default: the raster's CRS)")
    seg.add_argument("--preview", help="also write a preview (.png, or .jpg/.jpeg for JPEG) of the raster with the result drawn on it")
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

    every = commands.add_parser("everything", help="segment every object over an extent (automatic mode)")
    _add_model_options(every, "everything.gpkg")
    _add_extent_options(every)
    every.add_argument(
        "--overlap",
        type=whole(0),
        default=config.OVERLAP,
        help=f"tile overlap in pixels (default {config.OVERLAP})",
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
    _add_evaluate_command(commands)
    _add_classify_commands(commands)
    add_fetch_command(commands)
    return parser


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
        model = load_model(args.checkpoint, args.device)
        result = segment_everything(
            source,
            model,
            EmbeddingCache(args.cache_dir),
            args.extent,
            extent_crs,
            options,
            progress=_progress,
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
                "area_m2": round(total, 2),
            }
        )
    )
    return 0


def cmd_info(args) -> int:
    from ..geo.raster import RasterSource

    with RasterSource(args.raster, checked=False) as source:  # describes any raster, even a broken one
        print(strict_json(source.info(), indent=2))
    return 0


def cmd_encode(args) -> int:
    from ..geo.crs import parse_crs
    from ..geo.raster import RasterSource
    from ..sam.embeddings import EmbeddingCache, TileEncoder
    from ..sam.model import load_model

    if not args.cache_dir:
        raise SamCoreError("encode needs --cache-dir: the folder the embeddings are kept in")
    extent_crs = parse_crs(args.extent_crs) if args.extent_crs else None
    with RasterSource(args.raster, bands=args.bands) as source:
        grid = source.grid(args.tile_size, args.overlap)
        tiles = grid.tiles_for_extent(*args.extent, extent_crs) if args.extent else grid.tiles()
        if not tiles:
            raise SamCoreError("the extent does not overlap the raster")
        model = load_model(args.checkpoint, args.device)
        encoder = TileEncoder(model, source, EmbeddingCache(args.cache_dir, max_items=1))
        encoded = encoder.encode_all(tiles, progress=_progress)
    summary = {
        "cache_dir": str(args.cache_dir),
        "tiles": len(tiles),
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
    from ..prompting.prompt_files import prompt_objects, read_prompt_file, source_columns
    from ..prompting.prompts import locate

    if args.point or args.box is not None or args.prompt_crs:
        raise SamCoreError("give --prompts, or --point/--box (with --prompt-crs), not both")
    check_writable(args.out)
    files = [read_prompt_file(path) for path in args.prompts]
    objects, warnings = prompt_objects(files, args.label_field, args.group_field)
    post = PostProcess(args.min_area_m2, args.min_hole_m2, args.simplify_px)
    records: list[dict | None] = [None] * len(objects)
    prompts, tiles = [], []

    def locate_all(grid) -> None:  # before the model loads: a bad prompt fails at once
        for obj in objects:
            try:
                prompts.append(obj.prompts())
                tiles.append(locate(prompts[-1], grid).tile)
            except SamCoreError as exc:
                raise SamCoreError(f"{obj.label}: {exc}") from None

    with _open_segmenter(args, check=locate_all) as segmenter:
        # tile by tile, so that each tile is encoded once however the objects are ordered
        order = sorted(range(len(objects)), key=lambda k: (tiles[k].row, tiles[k].col))
        for done, k in enumerate(order, start=1):
            result = segmenter.segment(prompts[k], post)
            if result.geometry.is_empty:
                warnings.append(f"the model found no object for {objects[k].label}; it was left out")
            else:
                records[k] = result.record(k + 1)
            _progress(done / len(order))
        kept = [k for k, record in enumerate(records) if record is not None]
        written = [records[k] for k in kept]
        columns = source_columns(files, [objects[k].source for k in kept], PROMPT_FIELDS)
        with all_or_nothing():
            write_polygons(args.out, written, segmenter.source.crs, PROMPT_FIELDS, columns=columns)
            if args.preview:
                from ..geo.preview import render_preview

                render_preview(segmenter.source, [r["geometry"] for r in written], args.preview)
        encoder_calls = segmenter.encoder.encoder_calls
    summary = {
        "out": str(args.out),
        "objects": len(written),
        "prompt_objects": len(objects),
        "tiles": len({(t.col, t.row) for t in tiles}),
        "encoder_calls": encoder_calls,
        "area_m2": round(sum(r["area_m2"] for r in written), 2),
    }
    print(strict_json(summary))
    for warning in warnings:
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
            if self.check is not None:
                self.check(self.source.grid(self.args.tile_size, prompt_overlap(self.args.tile_size)))
            model = load_model(self.args.checkpoint, self.args.device)
            return Segmenter(
                self.source, model, EmbeddingCache(self.args.cache_dir), tile_size=self.args.tile_size
            )
        except BaseException:
            self.source.close()
            raise

    def __exit__(self, *exc) -> None:
        self.source.close()


def _add_evaluate_command(commands) -> None:
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


def _evaluation_images(inputs: list[str], rasters: list[str]) -> list[tuple]:
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
    from ..evaluation.evaluate import evaluate
    from ..geo.output import check_json_writable, write_json

    if args.out:
        check_json_writable(args.out)
    result = evaluate(
        _evaluation_images(args.inputs, args.raster),
        pred_layer=args.pred_layer,
        ref_layer=args.ref_layer,
        include_nodata=args.include_nodata,
        connectivity=args.connectivity,
        threshold=args.iou_threshold,
        progress=_progress,
    )
    if args.out:
        write_json(args.out, result)
    print(strict_json(result, indent=2))
    for warning in result["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _fractions(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if not values or not all(0.0 < v < 1.0 for v in values):
        raise argparse.ArgumentTypeError(
            f"training fractions are numbers between 0 and 1 (exclusive) like 0.2,0.5,0.8, not {text!r}"
        )
    return values


def _add_classify_commands(commands) -> None:
    train = commands.add_parser(
        "train-classifier",
        help="train a land-cover classifier head on a frozen SAM encoder (EuroSAT folder layout)",
    )
    train.add_argument("data_dir", help="one sub-folder of images (.jpg/.png or .tif) per class")
    train.add_argument(
        "--checkpoint", required=True, help="SAM checkpoint (.pth) whose encoder gives features"
    )
    train.add_argument("--out", required=True, help="head file to write (e.g. eurosat_head.pt)")
    train.add_argument("--head", choices=["linear", "mlp"], default="linear")
    train.add_argument(
        "--train-fraction",
        type=_fractions,
        default=(0.8,),
        metavar="F[,F...]",
        help="share of each class used for training, the rest held out; several values run a sweep, the "
        "head of the largest is saved (default 0.8)",
    )
    train.add_argument("--mode", choices=["packed", "per-patch"], default="packed", help="feature extraction")
    train.add_argument(
        "--bands", type=_bands, help="bands of multi-band .tif images (default: B4,B3,B2 / RGB)"
    )
    train.add_argument("--epochs", type=whole(1), default=50)
    train.add_argument("--seed", type=whole(0, SEED_MAX), default=0)
    train.add_argument(
        "--gsd-m",
        type=real(0, above=True),
        help="ground size of an image pixel (default: GeoTIFF, else 10 m)",
    )
    train.add_argument("--report-dir", help="metrics and plots (default: next to --out, named <out>_report)")
    train.add_argument("--cache-dir", help="feature cache (default: ~/.cache/terrasam/features)")
    train.add_argument("--device", default=config.DEVICE, choices=config.DEVICES)

    cls = commands.add_parser("classify", help="classify a raster into land-cover cells with a trained head")
    cls.add_argument("raster")
    cls.add_argument("--checkpoint", required=True, help="the SAM checkpoint the head was trained with")
    cls.add_argument("--head", required=True, help="head file from train-classifier")
    _add_extent_options(cls)
    cls.add_argument(
        "--cell-size-m",
        type=real(0, above=True),
        help="cell side (default: the head's patch size, e.g. 640 m)",
    )
    cls.add_argument("--dissolve", action="store_true", help="one polygon per class instead of one per cell")
    cls.add_argument("--out", default="classes.gpkg", help="output .gpkg or .geojson (default classes.gpkg)")
    cls.add_argument("--summary", help="area per class as .json or .csv")
    cls.add_argument("--bands", type=_bands, help="1 or 3 band numbers (default: the head's / RGB)")
    cls.add_argument("--stretch", choices=config.STRETCHES, default=config.STRETCH)
    cls.add_argument(
        "--overlap",
        type=whole(0),
        default=config.CLASSIFY_OVERLAP,
        help=f"tile overlap in pixels (default {config.CLASSIFY_OVERLAP})",
    )
    cls.add_argument("--cache-dir", help="keep tile embeddings here so later runs skip the encoder")
    cls.add_argument("--device", default=config.DEVICE, choices=config.DEVICES)
    cls.add_argument(
        "--allow-upsample",
        type=real(1),
        default=2.0,
        metavar="N",
        help="classify a raster up to N times coarser than the head's pixel size (default 2); upsampling "
        "adds no detail and multiplies the tiles by N²",
    )


_last_progress: list = [None]


def _progress(fraction: float) -> None:
    """``progress: 37% tile 2 of 4, about 3 min left`` (percent rounded down: 100% only when done); a line
    only when the percent or the tile changes."""
    percent, tile = int(fraction * 100 + 1e-9), getattr(fraction, "tile", None)
    if _last_progress[0] == (percent, tile):
        return
    _last_progress[0] = (percent, tile)
    detail = fraction.describe() if hasattr(fraction, "describe") else ""
    line = f"progress: {percent}%"
    print(f"{line} {detail}" if detail else line, file=sys.stderr, flush=True)


def cmd_train_classifier(args) -> int:
    from pathlib import Path

    from ..io import check_output_folder
    from ..landcover.patches import open_patch_set

    out = Path(args.out)
    report_dir = Path(args.report_dir) if args.report_dir else out.with_name(f"{out.stem}_report")
    check_output_folder(report_dir, "the report folder")
    cache_dir = Path(args.cache_dir) if args.cache_dir else _user_cache() / "features"
    check_output_folder(cache_dir, "the feature cache")  # creates nothing: the cache makes it when it writes
    patches = open_patch_set(args.data_dir, args.bands, args.gsd_m)  # a bad data set fails here, before torch

    from ..landcover.train import TrainOptions, train_classifier, write_report
    from ..sam.embeddings import EmbeddingCache
    from ..sam.model import load_model

    options = TrainOptions(
        head=args.head,
        mode=args.mode,
        train_fractions=args.train_fraction,
        epochs=args.epochs,
        seed=args.seed,
        bands=args.bands,
        gsd_m=args.gsd_m,
    )
    options.validate()
    model = load_model(args.checkpoint, args.device)
    result = train_classifier(patches, model, options, EmbeddingCache(cache_dir), progress=_progress)
    with all_or_nothing():
        write_report(result, report_dir)
        result.head.save(out)
    print(strict_json({"out": str(out), "report_dir": str(report_dir), **result.summary()}))
    return 0


def _user_cache():
    from ..sam.checkpoints import user_cache

    return user_cache()


def cmd_classify(args) -> int:
    from ..geo.crs import parse_crs
    from ..geo.output import check_writable, write_polygons
    from ..landcover.classify import (
        CELL_FIELDS,
        CLASS_FIELDS,
        ClassifyOptions,
        check_resolution,
        check_summary_writable,
        classify_raster,
        write_summary,
    )
    from ..landcover.head import load_head
    from ..sam.embeddings import EmbeddingCache
    from ..sam.model import load_model

    check_writable(args.out)
    if args.summary:
        check_summary_writable(args.summary)
    extent_crs = parse_crs(args.extent_crs) if args.extent_crs else None
    options = ClassifyOptions(
        cell_size_m=args.cell_size_m,
        overlap=args.overlap,
        bands=args.bands,
        stretch=args.stretch,
        allow_upsample=args.allow_upsample,
    )
    options.validate()
    head = load_head(args.head)
    check_resolution(args.raster, head, options)  # a too-coarse raster is refused before the model loads
    model = load_model(args.checkpoint, args.device)
    result = classify_raster(
        args.raster,
        model,
        head,
        args.extent,
        extent_crs,
        options,
        EmbeddingCache(args.cache_dir),
        progress=_progress,
    )
    with all_or_nothing():
        if args.dissolve:
            write_polygons(args.out, result.dissolved(), result.crs, CLASS_FIELDS, layer="classes")
        else:
            write_polygons(args.out, result.cells, result.crs, CELL_FIELDS, layer="cells")
        if args.summary:
            write_summary(args.summary, result)
    print(strict_json({"out": str(args.out), **result.summary()}))
    return 0


COMMANDS = {
    "info": cmd_info,
    "encode": cmd_encode,
    "segment": cmd_segment,
    "everything": cmd_everything,
    "evaluate": cmd_evaluate,
    "train-classifier": cmd_train_classifier,
    "classify": cmd_classify,
    "fetch-checkpoint": cmd_fetch_checkpoint,
}

VALUE_OPTIONS = ("--point", "--box", "--extent")


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--point -75.5,24.5`` → ``--point=-75.5,24.5``: argparse would take the value for an option."""
    out: list[str] = []
    for token in argv:
        if (
            out
            and out[-1] in VALUE_OPTIONS
            and token[:1] == "-"
            and token[1:2].isdigit() | (token[1:2] == ".")
        ):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def main(argv: list[str] | None = None) -> int:
    _last_progress[0] = None
    try:
        args = build_parser().parse_args(_join_negative_values(sys.argv[1:] if argv is None else argv))
        check_args(args)
        return COMMANDS[args.command](args)
    except SamCoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ImportError as exc:
        print(f"error: a required package is missing ({exc.name}); install requirements.txt", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # the last line of defence; the checks above come first
        message = boundary_message(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USAGE


def _exit_now(code: int) -> None:
    """End the process at once: a cancel must land within a second or two, and the interpreter's own
    shutdown with torch loaded takes seconds more. Outputs are renamed into place only on success and their
    temporary files are gone by now, so nothing is cut short."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run() -> None:
    code = main()
    if code == EXIT_INTERRUPTED:
        _exit_now(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
