"""``map``: a raster → a styled class GeoTIFF with a segmentation head (+ polygons, + the area per class);
``label-objects``: a class, its probability and the runner-up on every polygon of a layer."""

from __future__ import annotations

import sys

from ..io import all_or_nothing, strict_json
from .common import (
    add_cluster_options,
    add_device_options,
    add_engine_options,
    add_extent_options,
    cluster_runner,
    progress,
)
from .options import real


def add_mapping_commands(commands) -> None:
    add_map_command(commands)
    add_label_command(commands)


def add_map_command(commands) -> None:
    mapping = commands.add_parser(
        "map", help="map classes with a segmentation head: a styled class GeoTIFF, polygons, areas"
    )
    add_engine_options(mapping)
    mapping.add_argument("--head", required=True, help="the segmentation head file (train-segmenter)")
    add_extent_options(mapping)
    mapping.add_argument("--out", default="classes.tif", help="the class GeoTIFF (default classes.tif)")
    mapping.add_argument("--polygons", help="also polygons per class (.gpkg or .geojson) with geodesic areas")
    mapping.add_argument(
        "--dissolve", action="store_true", help="one polygon per class instead of one per connected region"
    )
    mapping.add_argument("--summary", help="area per class (ha, %%, road length) as .csv or .json")
    mapping.add_argument(
        "--overlap",
        type=real(0),
        default=0.25,
        help="tile overlap: below 1 a fraction of the tile, else pixels",
    )
    mapping.add_argument("--min-area-m2", type=real(0), default=0.0, help="polygons: drop smaller parts")
    mapping.add_argument("--min-hole-m2", type=real(0), default=0.0, help="polygons: fill smaller holes")
    mapping.add_argument("--simplify-px", type=real(0), default=0.0, help="polygons: tolerance in pixels")
    add_cluster_options(mapping)


def cmd_map(args) -> int:
    from ..geo.crs import parse_crs
    from ..geo.output import write_area_table, write_polygons
    from ..sam.embeddings import EmbeddingCache
    from ..sam.model import load_model
    from ..schema import MAP_CSV_COLUMNS, MAP_FIELDS
    from ..semantic.head_file import load_segmentation_head
    from ..semantic.mapping import MapOptions, map_classes

    options = MapOptions(
        tile_size=args.tile_size,
        overlap=args.overlap,
        bands=args.bands,
        polygons=("dissolved" if args.dissolve else "regions") if args.polygons else None,
        min_area_m2=args.min_area_m2,
        min_hole_m2=args.min_hole_m2,
        simplify_px=args.simplify_px,
    )
    options.validate()
    head = load_segmentation_head(args.head)
    model = load_model(args.checkpoint, args.device, args.precision)
    extent_crs = parse_crs(args.extent_crs) if args.extent_crs else None
    with all_or_nothing():
        with cluster_runner(args) as runner:
            result = map_classes(
                args.raster,
                model,
                head,
                args.out,
                args.extent,
                extent_crs,
                options,
                EmbeddingCache(args.cache_dir),
                progress,
                runner=runner,
                head_file=args.head,
            )
        if args.polygons:
            write_polygons(
                args.polygons,
                result.polygons,
                result.crs,
                MAP_FIELDS,
                layer="classes",
                columns=[length_column(result.polygons)],
            )
        if args.summary:
            write_area_table(args.summary, result.summary(), result.class_areas(), MAP_CSV_COLUMNS)
    print(strict_json({**result.summary(), "polygons_out": args.polygons, "summary_out": args.summary}))
    return 0


def length_column(records: list[dict]):
    """``length_m`` as an extra column: empty (null) where the class is not linear."""
    import numpy as np

    from ..schema import MAP_LENGTH_FIELD

    values = np.asarray([r["length_m"] or 0.0 for r in records], float)
    return MAP_LENGTH_FIELD, values, np.asarray([r["length_m"] is None for r in records], bool)


def add_label_command(commands) -> None:
    label = commands.add_parser(
        "label-objects",
        help="a class (and the runner-up) for every polygon of a layer, from a segmentation head",
    )
    label.add_argument("raster")
    label.add_argument(
        "objects", help="the polygon layer (e.g. segment/everything/detect output; LAYER: path|layername=...)"
    )
    label.add_argument("--checkpoint", required=True, help="the SAM checkpoint the head was trained with")
    label.add_argument(
        "--head",
        required=True,
        help="a segmentation head (train-segmenter: majority of the pixels) or a land-cover head "
        "(train-classifier: the encoder cells under the object, pooled)",
    )
    label.add_argument(
        "--out", default="labelled.gpkg", help="output .gpkg or .geojson (default labelled.gpkg)"
    )
    label.add_argument("--overlap", type=real(0), default=0.25, help="tile overlap, as for map")
    label.add_argument("--cache-dir", help="keep image embeddings here so later runs skip the encoder")
    add_device_options(label)
    add_cluster_options(label)


def cmd_label_objects(args) -> int:
    import numpy as np

    from ..geo.output import write_polygons
    from ..landcover.head import ClassifierHead
    from ..prompting.prompt_files import source_columns
    from ..sam.embeddings import EmbeddingCache
    from ..sam.model import load_model
    from ..schema import LABEL_FIELDS
    from ..semantic.label_objects import label_objects, load_object_head

    model = load_model(args.checkpoint, args.device, args.precision)
    head = load_object_head(args.head, model)
    if isinstance(head, ClassifierHead) and (args.workers or args.scheduler):
        print("dask: a land-cover head labels objects here; the cluster is not used", file=sys.stderr)
        args.workers = args.scheduler = None
    with cluster_runner(args) as runner:
        result = label_objects(
            args.raster,
            args.objects,
            model,
            head,
            args.overlap,
            EmbeddingCache(args.cache_dir),
            progress,
            runner=runner,
            head_file=args.head,
        )
    kept = [k for k, label in enumerate(result.labels) if label is not None]
    records = [{"geometry": result.geometries[k]} for k in kept]
    originals = source_columns([result.layer], [(0, k) for k in kept], LABEL_FIELDS)
    labels = [
        (name, np.asarray([result.labels[k][name] for k in kept], object if kind is str else float), None)
        for name, kind in LABEL_FIELDS.items()
    ]
    with all_or_nothing():
        write_polygons(args.out, records, result.crs, {}, layer="labelled", columns=originals + labels)
    classes = [result.labels[k]["class"] for k in kept]
    print(
        strict_json(
            {
                "out": str(args.out),
                "objects": len(kept),
                "outside_raster": len(result.labels) - len(kept),
                "classes": {name: classes.count(name) for name in head.class_names},
                "class_colours": [
                    {"class": name, "colour": colour} for name, colour in zip(head.class_names, head.colours)
                ],
                "encoder_calls": result.encoder_calls,
            }
        )
    )
    return 0
