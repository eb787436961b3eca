"""The segmentation heads' report folder: ``summary.json`` (per head the test figures, the per-class table,
per-image accuracy / Dice / F1, the curves; the majority-class baseline beside them) and ``curves.png``
(training and validation loss, validation mean IoU per epoch, one line per head). Written all or nothing."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageDraw

from ..io import all_or_nothing, make_folder, strict_json, write_text
from ..landcover.plots import line_panel, save_png
from .dataset import ClassSet
from .train import HeadRun, majority_scores

#: one colour per head, in the study's order
HEAD_COLOURS = {"sam-conv": (31, 119, 180), "sam-vit": (255, 127, 14), "unet": (44, 160, 44)}


def summary(runs: list[HeadRun], data: ClassSet) -> dict:
    return {
        "data": data.summary(),
        "majority_baseline": majority_scores(data),
        "heads": [run.to_dict() for run in runs],
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
        ious.append((run.options.head, colour, epochs, run.history["val_miou"]))
    loss = "loss (cross-entropy + Dice)" if runs and runs[0].options.dice else "loss (cross-entropy)"
    line_panel(draw, (0, 0, 550, 460), losses, loss, "epoch", "loss")
    line_panel(draw, (550, 0, 1100, 460), ious, "validation mean IoU", "epoch", "IoU", y_range=(0.0, 1.0))
    return save_png(image, path)


def write_report(table: dict, runs: list[HeadRun], report_dir: str | os.PathLike) -> list[Path]:
    """``table``: ``summary(runs, data)``, computed once by the caller (it prints it too)."""
    with all_or_nothing():
        folder = make_folder(report_dir)
        return [
            write_text(folder / "summary.json", strict_json(table, indent=2) + "\n"),
            curves_png(folder / "curves.png", runs),
        ]
