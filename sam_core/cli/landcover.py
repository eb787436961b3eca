"""``train-classifier`` and ``classify``: the frozen-encoder land-cover classifier, trained on a folder of
labelled patches and applied to a raster's cells (``landcover``)."""

from __future__ import annotations

import argparse

from .. import config
from ..io import all_or_nothing, strict_json
from .common import (
    add_cluster_options,
    add_device_options,
    add_extent_options,
    bands,
    cluster_runner,
    progress,
    user_cache,
)
from .options import SEED_MAX, real, whole


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


def add_landcover_commands(commands) -> None:
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
        "--bands", type=bands, help="bands of multi-band .tif images (default: B4,B3,B2 / RGB)"
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
    add_device_options(train)

    cls = commands.add_parser("classify", help="classify a raster into land-cover cells with a trained head")
    cls.add_argument("raster")
    cls.add_argument("--checkpoint", required=True, help="the SAM checkpoint the head was trained with")
    cls.add_argument("--head", required=True, help="head file from train-classifier")
    add_extent_options(cls)
    cls.add_argument(
        "--cell-size-m",
        type=real(0, above=True),
        help="cell side (default: the head's patch size, e.g. 640 m)",
    )
    cls.add_argument("--dissolve", action="store_true", help="one polygon per class instead of one per cell")
    cls.add_argument("--out", default="classes.gpkg", help="output .gpkg or .geojson (default classes.gpkg)")
    cls.add_argument("--summary", help="area per class as .json or .csv")
    cls.add_argument("--bands", type=bands, help="1 or 3 band numbers (default: the head's / RGB)")
    cls.add_argument("--stretch", choices=config.STRETCHES, default=config.STRETCH)
    cls.add_argument(
        "--overlap",
        type=whole(0),
        default=config.CLASSIFY_OVERLAP,
        help=f"tile overlap in pixels (default {config.CLASSIFY_OVERLAP})",
    )
    cls.add_argument("--cache-dir", help="keep tile embeddings here so later runs skip the encoder")
    add_device_options(cls)
    cls.add_argument(
        "--allow-upsample",
        type=real(1),
        default=2.0,
        metavar="N",
        help="classify a raster up to N times coarser than the head's pixel size (default 2); upsampling "
        "adds no detail and multiplies the tiles by N²",
    )
    add_cluster_options(cls)


def cmd_train_classifier(args) -> int:
    from pathlib import Path

    from ..io import check_output_folder
    from ..landcover.patches import open_patch_set

    out = Path(args.out)
    report_dir = Path(args.report_dir) if args.report_dir else out.with_name(f"{out.stem}_report")
    check_output_folder(report_dir, "the report folder")
    cache_dir = Path(args.cache_dir) if args.cache_dir else user_cache() / "features"
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
    model = load_model(args.checkpoint, args.device, args.precision)
    result = train_classifier(patches, model, options, EmbeddingCache(cache_dir), progress=progress)
    with all_or_nothing():
        write_report(result, report_dir)
        result.head.save(out)
    print(strict_json({"out": str(out), "report_dir": str(report_dir), **result.summary()}))
    return 0


def cmd_classify(args) -> int:
    from ..geo.crs import parse_crs
    from ..geo.output import check_writable, write_polygons
    from ..landcover.classify import (
        ClassifyOptions,
        check_resolution,
        check_summary_writable,
        classify_raster,
        write_summary,
    )
    from ..landcover.head import load_head
    from ..sam.embeddings import EmbeddingCache
    from ..sam.model import load_model
    from ..schema import CELL_FIELDS, CLASS_FIELDS

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
    model = load_model(args.checkpoint, args.device, args.precision)
    with cluster_runner(args) as runner:
        result = classify_raster(
            args.raster,
            model,
            head,
            args.extent,
            extent_crs,
            options,
            EmbeddingCache(args.cache_dir),
            progress=progress,
            runner=runner,
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
