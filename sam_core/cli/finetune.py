"""``finetune``: SAM's mask decoder trained on the user's labels (``finetune``), from a raster with a polygon
layer of objects or from a folder of images and masks; a checkpoint plus its sidecar and a report come out."""

from __future__ import annotations

import argparse

from ..io import all_or_nothing, strict_json
from .common import add_device_options, bands, progress, user_cache
from .options import SEED_MAX, real, whole

PROMPTS = ("box", "point", "patch")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if not values or not all(64 <= v <= 8192 for v in values):
        raise argparse.ArgumentTypeError(
            f"sizes are whole numbers of pixels between 64 and 8192 like 512,1024,2048, not {text!r}"
        )
    return tuple(sorted(set(values)))


def add_finetune_command(commands) -> None:
    tune = commands.add_parser(
        "finetune",
        help="fine-tune SAM's mask decoder on your labels (a raster + polygon layer, or images/ + masks/)",
    )
    tune.add_argument(
        "data",
        help="a raster (with --labels) or a folder holding images/ and masks/ with the same file names "
        "(optional split.csv: image,split)",
    )
    tune.add_argument("--checkpoint", required=True, help="the base SAM checkpoint (.pth)")
    tune.add_argument(
        "--out", required=True, help="the fine-tuned checkpoint to write (.pth; a .pth.json beside it)"
    )
    tune.add_argument(
        "--labels", help="polygon layer of labelled objects over the raster (.gpkg, .geojson, .shp)"
    )
    tune.add_argument(
        "--split-field", help="field of --labels with train/val/test (default: a seeded split by area)"
    )
    tune.add_argument(
        "--region", help="polygon layer where labelling is complete (outside it, pixels are not background)"
    )
    tune.add_argument(
        "--chip-px",
        type=whole(64, 8192),
        default=512,
        help="raster images cut from the raster, pixels a side (default 512)",
    )
    tune.add_argument(
        "--sizes",
        type=_sizes,
        default=(512,),
        metavar="S[,S...]",
        help="images are resized to S×S before 256 px patches are cut; several sizes train one model each and "
        "the one best on validation is saved (default 512)",
    )
    tune.add_argument(
        "--prompt", choices=PROMPTS, default="box", help="prompts during training (default box)"
    )
    tune.add_argument("--epochs", type=whole(1, 10000), default=25)
    tune.add_argument(
        "--lr",
        type=real(0, 1, above=True),
        default=1e-5,
        help="learning rate of Adam (default 1e-5, the recipe's for pretrained checkpoints)",
    )
    tune.add_argument("--batch-size", type=whole(1, 4096), default=8)
    tune.add_argument("--seed", type=whole(0, SEED_MAX), default=0)
    tune.add_argument(
        "--bands", type=bands, help="raster bands as red,green,blue (default: RGB / first three)"
    )
    tune.add_argument("--report-dir", help="metrics and plots (default: next to --out, named <out>_report)")
    tune.add_argument("--cache-dir", help="embedding cache (default: ~/.cache/terrasam/finetune)")
    add_device_options(tune)


def open_data(args):
    """The training data as a ``TuningSet``: a folder, or a raster with ``--labels``; every bad set fails here,
    before the model is loaded."""
    from pathlib import Path

    from ..errors import SamCoreError

    data = Path(args.data)
    if data.is_dir():
        if args.labels or args.region or args.split_field:
            raise SamCoreError(
                "--labels, --region and --split-field go with a raster, not with a folder of images"
            )
        from ..finetune.folder import open_folder

        tuning = open_folder(data, seed=args.seed)
    else:
        if not args.labels:
            if not data.exists():
                raise SamCoreError(f"training data not found: {data}")
            raise SamCoreError(
                f"{data.name} is a file: give --labels (a polygon layer of its objects), or a folder"
            )
        from ..finetune.labels import open_raster_labels

        tuning = open_raster_labels(
            data,
            args.labels,
            split_field=args.split_field,
            region=args.region,
            seed=args.seed,
            chip_px=args.chip_px,
            bands=args.bands,
        )
    tuning.check()
    return tuning


def cmd_finetune(args) -> int:
    from pathlib import Path

    from ..io import check_output_folder

    out = Path(args.out)
    report_dir = Path(args.report_dir) if args.report_dir else out.with_name(f"{out.stem}_report")
    check_output_folder(report_dir, "the report folder")
    cache_dir = Path(args.cache_dir) if args.cache_dir else user_cache() / "finetune"
    check_output_folder(cache_dir, "the embedding cache")
    tuning = open_data(args)

    from ..finetune.report import save_tuned, write_report
    from ..finetune.train import FinetuneOptions, finetune_decoder
    from ..sam.embeddings import EmbeddingCache
    from ..sam.model import load_model

    options = FinetuneOptions(
        sizes=args.sizes,
        prompt=args.prompt,
        epochs=args.epochs,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    options.validate()
    model = load_model(args.checkpoint, args.device, args.precision)
    result = finetune_decoder(
        tuning, model, options, EmbeddingCache(cache_dir, max_items=4096), progress=progress
    )
    with all_or_nothing():
        write_report(result, report_dir)
        save_tuned(result, model, out)
    print(strict_json({"out": str(out), "report_dir": str(report_dir), **result.summary()}))
    return 0
