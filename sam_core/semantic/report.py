"""The segmentation heads' report folder, written all or nothing:

- ``summary.json``: per head the test figures, the per-class table, per-image accuracy / Dice / F1 and their
  box-plot figures (``per_image_summary``: median, quartiles, whiskers, outliers), the curves; the
  majority-class baseline beside them;
- ``curves.png``: training and validation loss, training and validation mean IoU per epoch (training: the
  batches as predicted while learning), two lines per head;
- ``boxplots.png``: the per-image accuracy, Dice and F1 of the test images, one box per head (median,
  quartiles, whiskers at 1.5 IQR, outliers as dots; the study's distribution figure);
- ``examples.png``: one row per kept test patch (``HeadRun.examples``: the first patch of each of the first
  four test images): RGB, ground truth (unlabelled pixels grey), then each head's prediction, in the
  heads' class colours.

Both figures put the heads in the study's order (UNet, SAM-ViT, SAM-CONV; ``in_study_order``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageColor, ImageDraw

from ..io import all_or_nothing, make_folder, strict_json, write_text
from ..landcover.head import class_colours
from ..landcover.plots import TEXT, box_panel, box_stats, line_panel, load_font, save_png
from .dataset import ClassSet
from .train import HeadRun, majority_scores

#: one colour per head, in the study's order
HEAD_COLOURS = {"sam-conv": (31, 119, 180), "sam-vit": (255, 127, 14), "unet": (44, 160, 44)}
#: the example grid's column order and titles (the study's figure: RGB, GT, UNet, SAM-ViT, SAM-CONV)
HEAD_TITLES = {"unet": "UNet", "sam-vit": "SAM-ViT", "sam-conv": "SAM-CONV"}
METRICS = (("accuracy", "accuracy"), ("dice", "Dice"), ("f1", "F1"))  # per-image key, title
UNLABELLED = (128, 128, 128)
CELL, GAP, TOP = 160, 10, 52  # example grid: px per tile, between tiles, above the first row


def in_study_order(runs: list[HeadRun]) -> list[HeadRun]:
    """UNet, SAM-ViT, SAM-CONV (whichever were trained), other kinds after them."""
    order = list(HEAD_TITLES)
    return sorted(
        runs, key=lambda run: order.index(run.options.head) if run.options.head in order else len(order)
    )


def per_image_summary(run: HeadRun) -> dict:
    """``box_stats`` of the test images' accuracy, Dice and F1 (None for a metric with no finite value)."""
    return {key: box_stats(image[key] for image in run.per_image) for key, _ in METRICS}


def summary(runs: list[HeadRun], data: ClassSet) -> dict:
    return {
        "data": data.summary(),
        "majority_baseline": majority_scores(data),
        "heads": [{**run.to_dict(), "per_image_summary": per_image_summary(run)} for run in runs],
        "table": [
            {
                "head": run.options.head,
                "mean_iou": run.test["mean_iou"],
                "accuracy": run.test["accuracy"],
                "macro_f1": run.test["macro_f1"],
                "best_epoch": run.best_epoch,
                "encoder_calls": run.encoder_calls,
            }
            for run in runs
        ],
    }


def curves_png(path: str | os.PathLike, runs: list[HeadRun]) -> Path:
    image = Image.new("RGB", (1100, 460), "white")
    draw = ImageDraw.Draw(image)
    losses, ious = [], []
    for run in runs:
        colour, epochs = (
            HEAD_COLOURS.get(run.options.head, (0, 0, 0)),
            list(range(1, len(run.epoch_seconds) + 1)),
        )
        losses.append((f"{run.options.head} training", colour, epochs, run.history["train_loss"]))
        losses.append(
            (f"{run.options.head} validation", tuple(c // 2 for c in colour), epochs, run.history["val_loss"])
        )
        ious.append((f"{run.options.head} training", colour, epochs, run.history["train_miou"]))
        ious.append(
            (f"{run.options.head} validation", tuple(c // 2 for c in colour), epochs, run.history["val_miou"])
        )
    loss = "loss (cross-entropy + Dice)" if runs and runs[0].options.dice else "loss (cross-entropy)"
    line_panel(draw, (0, 0, 550, 460), losses, loss, "epoch", "loss")
    line_panel(
        draw, (550, 0, 1100, 460), ious, "mean IoU (training, validation)", "epoch", "IoU", y_range=(0.0, 1.0)
    )
    return save_png(image, path)


def boxplots_png(path: str | os.PathLike, runs: list[HeadRun]) -> Path:
    """Per-image accuracy, Dice and F1 of the test images: three panels, one box per head."""
    image = Image.new("RGB", (1260, 460), "white")
    draw = ImageDraw.Draw(image)
    runs = in_study_order(runs)
    for k, (key, title) in enumerate(METRICS):
        groups = [
            (
                HEAD_TITLES.get(run.options.head, run.options.head),
                HEAD_COLOURS.get(run.options.head, (0, 0, 0)),
                [row[key] for row in run.per_image],
            )
            for run in runs
        ]
        box = (420 * k, 0, 420 * (k + 1), 460)
        box_panel(draw, box, groups, f"test {title} per image", "head", title, y_range=(0.0, 1.0))
    return save_png(image, path)


def example_cell(row: int, column: int) -> tuple[int, int]:
    """The top-left pixel of one tile of the example grid."""
    return GAP + column * (CELL + GAP), TOP + row * (CELL + GAP)


def class_lookup(run: HeadRun) -> np.ndarray:
    """(K + 1, 3) uint8: the head's class colours ("#rrggbb"; the palette's where it has none), then grey,
    so that index -1 (unlabelled) draws grey. A run without its head: one palette colour per class seen."""
    head, examples = run.head, run.examples
    seen = int(max(examples.predicted.max(initial=0), examples.truth.max(initial=0))) + 1
    names = head.class_names if head else tuple(str(k) for k in range(seen))
    colours = head.colours if head and len(head.colours) == len(names) else class_colours(names)
    return np.asarray([ImageColor.getrgb(c)[:3] for c in colours] + [UNLABELLED], np.uint8)


def _tile(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(pixels)).resize((CELL, CELL), Image.NEAREST)


def examples_png(path: str | os.PathLike, runs: list[HeadRun]) -> Path:
    """One row per kept test patch: RGB, ground truth, each head's prediction (``in_study_order``)."""
    runs = [run for run in in_study_order(runs) if run.examples is not None]
    shown = runs[0].examples if runs else None
    titles = ["RGB", "ground truth", *(HEAD_TITLES.get(r.options.head, r.options.head) for r in runs)]
    rows = min((len(run.examples.predicted) for run in runs), default=0)
    width, height = example_cell(max(1, rows), len(titles))
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((width / 2, 6), "test examples", fill=TEXT, font=load_font(16), anchor="mt")
    for c, title in enumerate(titles):
        x, _ = example_cell(0, c)
        draw.text((x + CELL / 2, TOP - 18), title, fill=TEXT, font=load_font(13), anchor="mt")
    truth_colours = class_lookup(runs[0]) if runs else None
    for r in range(rows):
        tiles = [shown.rgb[r], truth_colours[shown.truth[r]]]  # -1 picks the grey last row
        tiles += [class_lookup(run)[run.examples.predicted[r]] for run in runs]
        for c, pixels in enumerate(tiles):
            image.paste(_tile(pixels), example_cell(r, c))
    return save_png(image, path)


def write_report(table: dict, runs: list[HeadRun], report_dir: str | os.PathLike) -> list[Path]:
    """``table``: ``summary(runs, data)``, computed once by the caller (it prints it too)."""
    with all_or_nothing():
        folder = make_folder(report_dir)
        return [
            write_text(folder / "summary.json", strict_json(table, indent=2) + "\n"),
            curves_png(folder / "curves.png", runs),
            boxplots_png(folder / "boxplots.png", runs),
            examples_png(folder / "examples.png", runs),
        ]
