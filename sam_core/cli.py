"""``python -m sam_core``: the core on a server, no QGIS needed.

Every user mistake (bad file, CRS, prompt, checkpoint) ends with exit code 2 and one ``error: ...`` line
on stderr, no traceback, and no output file left behind; an existing output file is replaced only after
success.
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import SamCoreError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes in the same one-line form as every other error."""

    def error(self, message: str) -> None:
        raise SamCoreError(message)


def _point(text: str) -> tuple[float, float, int]:
    parts = text.split(",")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        x, y = float(parts[0]), float(parts[1])
        label = int(parts[2]) if len(parts) == 3 else 1
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a point is X,Y or X,Y,LABEL (LABEL 1 or 0), not {text!r}"
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
    if not (values[0] < values[2] and values[1] < values[3]):
        raise argparse.ArgumentTypeError(f"a box needs XMIN < XMAX and YMIN < YMAX: {text!r}")
    return values


def _bands(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"bands are 1 or 3 band numbers like 4,3,2, not {text!r}") from None


def _add_model_options(command: argparse.ArgumentParser, out_default: str) -> None:
    """Raster, checkpoint and run options every segmenting command takes."""
    command.add_argument("raster")
    command.add_argument(
        "--checkpoint", required=True, help="SAM checkpoint (.pth), e.g. sam_vit_b_01ec64.pth"
    )
    command.add_argument(
        "--out", default=out_default, help=f"output .gpkg or .geojson (default {out_default})"
    )
    command.add_argument("--bands", type=_bands, help="1 or 3 band numbers (default: RGB / first three)")
    command.add_argument("--cache-dir", help="keep image embeddings here so later runs skip the encoder")
    command.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    command.add_argument("--tile-size", type=int, default=1024)
    command.add_argument("--min-area-m2", type=float, default=0.0, help="drop parts smaller than this")
    command.add_argument("--min-hole-m2", type=float, default=0.0, help="fill holes smaller than this")
    command.add_argument("--simplify-px", type=float, default=0.0, help="simplification tolerance in pixels")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m sam_core", description="TerraSAM core: Segment Anything on GeoTIFFs.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    info = commands.add_parser("info", help="describe a raster as JSON")
    info.add_argument("raster")

    seg = commands.add_parser("segment", help="segment one object from point and/or box prompts")
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
    seg.add_argument("--preview", help="also write a PNG of the raster with the result drawn on it")

    every = commands.add_parser("everything", help="segment every object over an extent (automatic mode)")
    _add_model_options(every, "everything.gpkg")
    every.add_argument("--extent", type=_box, metavar="XMIN,YMIN,XMAX,YMAX", help="default: the whole raster")
    every.add_argument("--extent-crs", help="CRS of --extent (default: the raster's CRS)")
    every.add_argument("--overlap", type=int, default=256, help="tile overlap in pixels (default 256)")
    every.add_argument("--points-per-side", type=int, default=32, help="SAM's prompt grid per tile")
    every.add_argument("--pred-iou-thresh", type=float, default=0.86)
    every.add_argument("--stability-thresh", type=float, default=0.92)
    every.add_argument("--crop-n-layers", type=int, default=0)
    every.add_argument(
        "--min-region-px", type=int, default=16, help="islands/holes below this many pixels go"
    )
    every.add_argument("--largest-part-only", action="store_true")
    return parser


def cmd_everything(args) -> int:
    from .crs import parse_crs
    from .embeddings import EmbeddingCache
    from .everything import EverythingOptions, segment_everything
    from .model import load_model
    from .output import EVERYTHING_FIELDS, check_writable, write_polygons
    from .raster import RasterSource

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

        def progress(fraction: float) -> None:
            print(f"progress: {fraction:.0%}", file=sys.stderr, flush=True)

        result = segment_everything(
            source, model, EmbeddingCache(args.cache_dir), args.extent, extent_crs, options, progress=progress
        )
        for record in result.objects:
            record["model"] = model.info.name
        write_polygons(args.out, result.objects, source.crs, EVERYTHING_FIELDS)
    total = sum(r["area_m2"] for r in result.objects)
    print(
        json.dumps(
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
    from .raster import RasterSource

    with RasterSource(args.raster) as source:
        print(json.dumps(source.info(), indent=2))
    return 0


def cmd_segment(args) -> int:
    from .output import PROMPT_FIELDS, check_writable, write_polygons
    from .prompts import Point, Prompts
    from .vectorize import PostProcess

    if not args.point and args.box is None:
        raise SamCoreError("give at least one --point or a --box")
    check_writable(args.out)
    crs = None
    if args.prompt_crs:
        from .crs import parse_crs

        crs = parse_crs(args.prompt_crs)
    prompts = Prompts(points=tuple(Point(*p) for p in args.point), box=args.box, crs=crs)
    with _open_segmenter(args) as segmenter:
        result = segmenter.segment(prompts, PostProcess(args.min_area_m2, args.min_hole_m2, args.simplify_px))
        records = [] if result.geometry.is_empty else [result.record(1)]
        write_polygons(args.out, records, segmenter.source.crs, PROMPT_FIELDS)
        if args.preview:
            from .preview import render_preview

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
    print(json.dumps(summary))
    if not records:
        print(
            "warning: the model found no object at these prompts; the output layer is empty", file=sys.stderr
        )
    return 0


class _open_segmenter:
    """Raster + model + cache for one CLI run (closes the raster whatever happens)."""

    def __init__(self, args) -> None:
        self.args = args

    def __enter__(self):
        from .embeddings import EmbeddingCache
        from .model import load_model
        from .raster import RasterSource
        from .segment import Segmenter

        self.source = RasterSource(self.args.raster, bands=self.args.bands)
        try:
            model = load_model(self.args.checkpoint, self.args.device)
            return Segmenter(
                self.source, model, EmbeddingCache(self.args.cache_dir), tile_size=self.args.tile_size
            )
        except BaseException:
            self.source.close()
            raise

    def __exit__(self, *exc) -> None:
        self.source.close()


COMMANDS = {"info": cmd_info, "segment": cmd_segment, "everything": cmd_everything}

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
    try:
        args = build_parser().parse_args(_join_negative_values(sys.argv[1:] if argv is None else argv))
        return COMMANDS[args.command](args)
    except SamCoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except ImportError as exc:
        print(f"error: a required package is missing ({exc.name}); install requirements.txt", file=sys.stderr)
        return EXIT_USAGE


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
