"""The fine-tuning report's charts, drawn with Pillow like the land-cover report's (no plotting library).

``curves_png``: training and validation loss, and validation mean IoU, per epoch; ``threshold_png``:
validation accuracy and mean IoU against the probability threshold, the chosen one marked;
``examples_png``: a few test images beside their ground truth, the base model's mask and the tuned one.
Every file is written atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..landcover.plots import HELD_OUT_COLOUR, TEXT, TRAIN_COLOUR, line_panel, load_font, save_png

MARK = (214, 39, 40)
CELL = 200  # px per example image


def curves_png(path: str | os.PathLike, history: dict, title: str = "") -> Path:
    image = Image.new("RGB", (1100, 460), "white")
    draw = ImageDraw.Draw(image)
    epochs = history["epoch"]
    if title:
        draw.text((550, 4), title, fill=TEXT, font=load_font(16), anchor="mt")
    line_panel(
        draw,
        (0, 20, 550, 460),
        [
            ("training", TRAIN_COLOUR, epochs, history["train_loss"]),
            ("validation", HELD_OUT_COLOUR, epochs, history["val_loss"]),
        ],
        "loss (Dice + cross-entropy)",
        "epoch",
        "loss",
    )
    line_panel(
        draw,
        (550, 20, 1100, 460),
        [("validation", HELD_OUT_COLOUR, epochs, history["val_mean_iou"])],
        "validation mean IoU (threshold 0.5)",
        "epoch",
        "IoU",
        y_range=(0.0, 1.0),
    )
    return save_png(image, path)


def threshold_png(path: str | os.PathLike, sweep: list[dict], chosen: float, title: str = "") -> Path:
    image = Image.new("RGB", (640, 460), "white")
    draw = ImageDraw.Draw(image)
    xs = [row["threshold"] for row in sweep]
    line_panel(
        draw,
        (0, 0, 640, 460),
        [
            ("accuracy", TRAIN_COLOUR, xs, [row["accuracy"] for row in sweep]),
            ("mean IoU", HELD_OUT_COLOUR, xs, [row["mean_iou"] for row in sweep]),
        ],
        title or "validation scores by probability threshold",
        "probability threshold",
        "score",
        y_range=(0.0, 1.0),
    )
    x0, x1, y0, y1 = 60, 630, 30, 415  # line_panel's plot area inside (0, 0, 640, 460)
    low, high = (min(xs), max(xs)) if xs and max(xs) > min(xs) else (0.0, 1.0)
    px = x0 + (chosen - low) / (high - low) * (x1 - x0)
    draw.line([(px, y0), (px, y1)], fill=MARK, width=2)
    draw.text((px + 4, y1 - 14), f"chosen {chosen:.2f}", fill=MARK, font=load_font(12), anchor="lm")
    return save_png(image, path)


def _tile(rgb: np.ndarray, mask: np.ndarray | None) -> Image.Image:
    """The image (or, with ``mask``, the image dimmed and the mask drawn over it), fit to a cell."""
    base = Image.fromarray(np.asarray(rgb, np.uint8))
    if mask is not None:
        pixels = np.asarray(base, float) * 0.45
        pixels[np.asarray(mask, bool)] = (255, 220, 0)
        base = Image.fromarray(pixels.astype(np.uint8))
    base.thumbnail((CELL, CELL), Image.NEAREST)
    return base


def examples_png(path: str | os.PathLike, examples: list[dict], title: str = "") -> Path:
    columns = ("image", "ground truth", "base model", "fine-tuned")
    top = 50
    image = Image.new(
        "RGB", (len(columns) * (CELL + 10) + 10, top + max(1, len(examples)) * (CELL + 24)), "white"
    )
    draw = ImageDraw.Draw(image)
    draw.text((image.width / 2, 4), title or "test examples", fill=TEXT, font=load_font(16), anchor="mt")
    for c, name in enumerate(columns):
        draw.text((10 + c * (CELL + 10) + CELL / 2, 30), name, fill=TEXT, font=load_font(13), anchor="mt")
    for r, example in enumerate(examples):
        y = top + r * (CELL + 24)
        masks = (None, example["truth"], example["base"], example["tuned"])
        for c, mask in enumerate(masks):
            image.paste(_tile(example["rgb"], mask), (10 + c * (CELL + 10), y))
        draw.text((10, y + CELL + 4), example["name"], fill=TEXT, font=load_font(12), anchor="lt")
    return save_png(image, path)
