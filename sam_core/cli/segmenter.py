"""``train-segmenter``: pixel-level segmentation heads on the frozen SAM encoder (SAM-CONV, SAM-ViT) and the
UNet baseline, trained on a folder of images and class masks or on a raster with class labels (polygons with a
class field, or a label raster); a head file and a report folder come out."""

from __future__ import annotations

import argparse

from ..io import all_or_nothing, strict_json
from .common import add_device_options, bands, progress, user_cache
from .options import SEED_MAX, real, whole

HEADS = ("sam-conv", "sam-vit", "unet")


def _heads(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in HEADS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"heads are some of {', '.join(HEADS)}, not {text!r}")
    return names


def add_segmenter_command(commands) -> None:
    train = commands.add_parser(
        "train-segmenter",
        help="train a pixel-level segmentation head on the frozen SAM encoder (a raster + class labels, or "
        "images/ + class masks/)",
    )
    train.add_argument(
        "data",
        help="a raster (with --labels), or a folder holding images/ and masks/ (class codes) with the same file "
        "names; optional split.csv (image,split) and classes.json (code, name, colour; ignore code)",
    )
    train.add_argument("--checkpoint", required=True, help="the SAM checkpoint whose encoder is used (.pth)")
    train.add_argument("--out", required=True, help="the head file to write (.pt)")
    train.add_argument(
        "--labels",
        help="the raster's classes: a polygon layer (.gpkg, .geojson, .shp; any CRS) with --class-field, or a "
        "label raster of class codes (resampled onto the raster; its nodata is unlabelled; a classes.json "
        "beside it names the codes)",
    )
    train.add_argument(
        "--class-field",
        help="field of the --labels polygons holding each one's class (names or integer codes)",
    )
    train.add_argument(
        "--region",
        help="polygon layer where labelling is complete (outside it only labelled pixels count; default: the "
        "labels' bounding box, or every pixel of a label raster)",
    )
    train.add_argument(
        "--split-field",
        help="field of the --labels polygons with train/val/test (default: a seeded split by area)",
    )
    train.add_argument(
        "--chip-px",
        type=whole(64, 8192),
        help="raster images cut from the raster, pixels a side (default: twice the checkpoint's input size)",
    )
    train.add_argument(
        "--bands", type=bands, help="raster bands as red,green,blue (default: RGB / first three)"
    )
    train.add_argument("--head", choices=HEADS, default="sam-conv", help="the head saved to --out")
    train.add_argument(
        "--compare",
        type=_heads,
        default=(),
        metavar="HEAD[,HEAD]",
        help="other heads trained on the same split for the report (e.g. sam-vit,unet)",
    )
    train.add_argument(
        "--heads",
        type=_heads,
        metavar="HEAD,HEAD[,HEAD]",
        help="several heads on the same split in one run, e.g. sam-conv,sam-vit,unet: the first is saved to "
        "--out (instead of --head/--compare)",
    )
    train.add_argument("--epochs", type=whole(1, 10000), default=25)
    train.add_argument("--lr", type=real(0, 1, above=True), default=3e-4, help="learning rate of Adam")
    train.add_argument("--batch-size", type=whole(1, 4096), default=4)
    train.add_argument("--seed", type=whole(0, SEED_MAX), default=0)
    train.add_argument("--dice", action="store_true", help="add a Dice term to the cross-entropy")
    train.add_argument(
        "--skip", action="store_true", help="feed SAM-CONV/SAM-ViT a downsampled RGB copy (sharper edges)"
    )
    train.add_argument("--report-dir", help="metrics and plots (default: next to --out, named <out>_report)")
    train.add_argument("--cache-dir", help="embedding cache (default: ~/.cache/terrasam/segmenter)")
    add_device_options(train)


def cmd_train_segmenter(args) -> int:
    from pathlib import Path

    from ..io import check_output_folder

    out = Path(args.out)
    report_dir = Path(args.report_dir) if args.report_dir else out.with_name(f"{out.stem}_report")
    check_output_folder(report_dir, "the report folder")
    cache_dir = Path(args.cache_dir) if args.cache_dir else user_cache() / "segmenter"
    check_output_folder(cache_dir, "the embedding cache")
    raster = _data_form(args)
    # bad data fails before the model is loaded, but for a raster's default chip size, which is the model's
    data = None if raster and args.chip_px is None else _open_data(args, raster, args.chip_px)

    from ..sam.embeddings import EmbeddingCache
    from ..sam.model import load_model
    from ..semantic.head_file import save_segmentation_head
    from ..semantic.report import summary, write_report
    from ..semantic.train import HeadOptions, train_head

    first = args.heads[0] if args.heads else args.head
    heads = tuple(dict.fromkeys((first, *(args.heads or args.compare))))
    options = [
        HeadOptions(h, args.epochs, args.lr, args.batch_size, args.seed, args.dice, args.skip) for h in heads
    ]
    for option in options:
        option.validate()
    model = load_model(args.checkpoint, args.device, args.precision)
    if data is None:  # twice the encoder's input: a chip is 2×2 patches, none of them mostly padding
        data = _open_data(args, raster, 2 * model.img_size)
    cache = EmbeddingCache(cache_dir, max_items=4096)
    runs = []
    share = 1.0 / len(options)
    for k, option in enumerate(options):
        runs.append(train_head(data, model, option, cache, lambda f, k=k: progress((k + f) * share)))
    head = runs[0].head
    head.training = {"data": data.summary(), "test": runs[0].test}
    table = summary(runs, data)
    with all_or_nothing():
        write_report(table, runs, report_dir)
        save_segmentation_head(head, out)
    print(
        strict_json(
            {
                "out": str(out),
                "report_dir": str(report_dir),
                "table": table["table"],
                "majority_mean_iou": table["majority_baseline"]["mean_iou"],
            }
        )
    )
    return 0


def _data_form(args) -> bool:
    """Whether the data is a raster with labels (else a folder); the wrong combinations fail here."""
    from pathlib import Path

    from ..errors import SamCoreError

    data = Path(args.data)
    gis = (args.labels, args.class_field, args.region, args.split_field, args.chip_px, args.bands)
    if data.is_dir():
        if any(option is not None for option in gis):
            raise SamCoreError(
                "--labels, --class-field, --region, --split-field, --chip-px and --bands go with a raster, not "
                "with a folder of images"
            )
        return False
    if not data.exists():
        raise SamCoreError(f"training data not found: {data}")
    if not args.labels:
        raise SamCoreError(
            f"{data.name} is not a folder: give --labels (polygons with --class-field, or a label raster) for a "
            "raster, or a folder of images/ and masks/"
        )
    return True


def _open_data(args, raster: bool, chip_px: int):
    """The training data as a ``ClassSet``; its warnings are printed (a layer without a CRS...)."""
    import sys

    if not raster:
        from ..semantic.folder import open_class_folder

        return open_class_folder(args.data, seed=args.seed)
    from ..semantic.gis_form import open_raster_classes

    notes: list[str] = []
    data = open_raster_classes(
        args.data,
        args.labels,
        args.class_field,
        region=args.region,
        split_field=args.split_field,
        seed=args.seed,
        chip_px=chip_px,
        bands=args.bands,
        warnings=notes,
    )
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    return data
