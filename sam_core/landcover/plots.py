"""PNG charts of a training run, drawn with Pillow (no plotting library needed).

``training_curves_png``: loss and accuracy per epoch, training and held-out, side by side (as the
frozen-encoder transfer-learning study plots them);
``confusion_png``: the confusion matrix, counts in the cells, shaded by the share of each true class;
``sweep_png``: held-out accuracy and macro F1 against the training fraction (the split sweep).
The panels other reports compose their figures from: ``line_panel`` (one line per series) and ``box_panel``
(one box per group: median, quartiles, whiskers at 1.5 IQR, outliers as dots; ``box_stats`` computes them).
Files are written to a temporary name and renamed, like every other output.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..io import atomic_output

TRAIN_COLOUR, HELD_OUT_COLOUR = (31, 119, 180), (255, 127, 14)
AXIS, GRID, TEXT = (60, 60, 60), (225, 225, 225), (20, 20, 20)


def load_font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow built without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def save_png(image: Image.Image, path: str | os.PathLike) -> Path:
    with atomic_output(path) as tmp:
        image.save(tmp, format="PNG")
    return Path(path)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def _label(value: float) -> str:
    return f"{value:.3g}"


def line_panel(draw, box, series, title, xlabel, ylabel, y_range=None) -> None:
    """A line chart in ``box`` (left, top, right, bottom): ``series`` is [(name, colour, xs, ys)]."""
    font, small = load_font(15), load_font(12)
    left, top, right, bottom = box
    x0, y0, x1, y1 = left + 60, top + 30, right - 10, bottom - 45
    xs_all = [x for _, _, xs, _ in series for x in xs]
    ys_all = [y for _, _, _, ys in series for y in ys if math.isfinite(y)]
    if not xs_all or not ys_all:
        return
    xmin, xmax = min(xs_all), max(xs_all)
    ymin, ymax = y_range or (min(ys_all), max(ys_all))
    if xmax <= xmin:
        xmax = xmin + 1
    if ymax <= ymin:
        ymax = ymin + 1
    pad = 0.05 * (ymax - ymin) if y_range is None else 0.0
    ymin, ymax = ymin - pad, ymax + pad

    def to_px(x, y):
        return x0 + (x - xmin) / (xmax - xmin) * (x1 - x0), y1 - (y - ymin) / (ymax - ymin) * (y1 - y0)

    for tick in _ticks(ymin, ymax):
        _, py = to_px(xmin, tick)
        draw.line([(x0, py), (x1, py)], fill=GRID)
        draw.text((x0 - 6, py), _label(tick), fill=TEXT, font=small, anchor="rm")
    for tick in _ticks(xmin, xmax):
        px, _ = to_px(tick, ymin)
        draw.line([(px, y1), (px, y1 + 4)], fill=AXIS)
        draw.text((px, y1 + 6), _label(tick), fill=TEXT, font=small, anchor="mt")
    draw.rectangle([x0, y0, x1, y1], outline=AXIS)
    draw.text(((x0 + x1) / 2, top + 6), title, fill=TEXT, font=font, anchor="mt")
    draw.text(((x0 + x1) / 2, bottom - 6), xlabel, fill=TEXT, font=small, anchor="mb")
    draw.text((left + 4, y0 - 14), ylabel, fill=TEXT, font=small, anchor="lm")
    for k, (name, colour, xs, ys) in enumerate(series):
        points = [to_px(x, y) for x, y in zip(xs, ys) if math.isfinite(y)]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        for px, py in points if len(points) <= 30 else []:
            draw.ellipse([px - 3, py - 3, px + 3, py + 3], fill=colour)
        ly = y0 + 10 + 18 * k
        draw.line([(x1 - 150, ly), (x1 - 125, ly)], fill=colour, width=3)
        draw.text((x1 - 120, ly), name, fill=TEXT, font=small, anchor="lm")


def box_stats(values: Iterable[float]) -> dict | None:
    """A box plot's figures of the finite ``values``: quartiles (``numpy.percentile``, linear), whiskers at
    the most extreme values within 1.5 IQR of the box, the values past them; None when there are none."""
    data = np.asarray([v for v in values if v is not None and math.isfinite(v)], float)
    if not data.size:
        return None
    q1, median, q3 = (float(q) for q in np.percentile(data, [25, 50, 75]))
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    inside = data[(data >= low) & (data <= high)]
    return {
        "n": int(data.size),
        "median": median,
        "q1": q1,
        "q3": q3,
        "whisker_low": float(inside.min()),
        "whisker_high": float(inside.max()),
        "outliers": sorted(float(v) for v in data[(data < low) | (data > high)]),
    }


def box_panel(draw, box, groups, title, xlabel, ylabel, y_range=None) -> None:
    """Box plots in ``box`` (left, top, right, bottom): ``groups`` is [(name, colour, values)], one box each,
    left to right, its name below it (a group without finite values gets the name and no box)."""
    font, small = load_font(15), load_font(12)
    left, top, right, bottom = box
    x0, y0, x1, y1 = left + 60, top + 30, right - 10, bottom - 45
    if not groups:
        return
    stats = [box_stats(values) for _, _, values in groups]
    ys_all = [v for s in stats if s for v in (s["whisker_low"], s["whisker_high"], *s["outliers"])]
    ymin, ymax = y_range or ((min(ys_all), max(ys_all)) if ys_all else (0.0, 1.0))
    if ymax <= ymin:
        ymin, ymax = ymin - 0.5, ymax + 0.5
    pad = 0.05 * (ymax - ymin) if y_range is None else 0.0
    ymin, ymax = ymin - pad, ymax + pad

    def to_py(y):
        return y1 - (y - ymin) / (ymax - ymin) * (y1 - y0)

    for tick in _ticks(ymin, ymax):
        draw.line([(x0, to_py(tick)), (x1, to_py(tick))], fill=GRID)
        draw.text((x0 - 6, to_py(tick)), _label(tick), fill=TEXT, font=small, anchor="rm")
    draw.rectangle([x0, y0, x1, y1], outline=AXIS)
    draw.text(((x0 + x1) / 2, top + 6), title, fill=TEXT, font=font, anchor="mt")
    draw.text(((x0 + x1) / 2, bottom - 6), xlabel, fill=TEXT, font=small, anchor="mb")
    draw.text((left + 4, y0 - 14), ylabel, fill=TEXT, font=small, anchor="lm")
    slot = (x1 - x0) / len(groups)
    for k, ((name, colour, _), s) in enumerate(zip(groups, stats)):
        cx = x0 + (k + 0.5) * slot
        draw.line([(cx, y1), (cx, y1 + 4)], fill=AXIS)
        draw.text((cx, y1 + 6), name, fill=TEXT, font=small, anchor="mt")
        if s is not None:
            _draw_box(draw, cx, min(40.0, slot * 0.3), s, colour, to_py)


def _draw_box(draw, cx, half, s, colour, to_py) -> None:
    light = tuple(round(255 - 0.35 * (255 - c)) for c in colour)
    for end, edge in ((s["whisker_low"], s["q1"]), (s["whisker_high"], s["q3"])):
        draw.line([(cx, to_py(end)), (cx, to_py(edge))], fill=colour, width=2)
        draw.line([(cx - half / 2, to_py(end)), (cx + half / 2, to_py(end))], fill=colour, width=2)
    draw.rectangle(
        [cx - half, to_py(s["q3"]), cx + half, to_py(s["q1"])], fill=light, outline=colour, width=2
    )
    draw.line([(cx - half, to_py(s["median"])), (cx + half, to_py(s["median"]))], fill=AXIS, width=3)
    for value in s["outliers"]:
        py = to_py(value)
        draw.ellipse([cx - 3, py - 3, cx + 3, py + 3], outline=colour, width=2)


def training_curves_png(path: str | os.PathLike, history: dict, title: str = "") -> Path:
    """Loss and accuracy per epoch for the training and held-out patches."""
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
            ("held out", HELD_OUT_COLOUR, epochs, history["val_loss"]),
        ],
        "loss (cross-entropy)",
        "epoch",
        "loss",
    )
    line_panel(
        draw,
        (550, 20, 1100, 460),
        [
            ("training", TRAIN_COLOUR, epochs, history["train_accuracy"]),
            ("held out", HELD_OUT_COLOUR, epochs, history["val_accuracy"]),
        ],
        "accuracy",
        "epoch",
        "accuracy",
        y_range=(0.0, 1.0),
    )
    return save_png(image, path)


def sweep_png(path: str | os.PathLike, fractions, accuracies, macro_f1) -> Path:
    """Held-out accuracy and macro F1 against the share of patches used for training."""
    image = Image.new("RGB", (600, 440), "white")
    draw = ImageDraw.Draw(image)
    line_panel(
        draw,
        (0, 0, 600, 440),
        [
            ("accuracy", TRAIN_COLOUR, list(fractions), list(accuracies)),
            ("macro F1", HELD_OUT_COLOUR, list(fractions), list(macro_f1)),
        ],
        "held-out scores by training fraction",
        "training fraction",
        "score",
        y_range=(0.0, 1.0),
    )
    return save_png(image, path)


def confusion_png(path: str | os.PathLike, matrix, class_names, title: str = "") -> Path:
    """Counts per (true, predicted) pair; each row shaded by its share of the true class."""
    names = [str(n) for n in class_names]
    n = len(names)
    font, small = load_font(14), load_font(12)
    cell = max(34, min(64, 640 // max(n, 1)))
    label_w = max(int(draw_width(name, small)) for name in names) + 16
    left, top = label_w + 30, label_w + 50
    width, height = left + n * cell + 20, top + n * cell + 20
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((width / 2, 6), title or "confusion matrix", fill=TEXT, font=font, anchor="mt")
    draw.text((left + n * cell / 2, 26), "predicted class", fill=TEXT, font=small, anchor="mt")
    for i in range(n):
        total = sum(matrix[i]) or 1
        for j in range(n):
            share = matrix[i][j] / total
            shade = tuple(round(255 - share * (255 - c)) for c in (8, 48, 107))
            box = [left + j * cell, top + i * cell, left + (j + 1) * cell, top + (i + 1) * cell]
            draw.rectangle(box, fill=shade, outline=(200, 200, 200))
            colour = "white" if share > 0.5 else TEXT
            draw.text(
                (box[0] + cell / 2, box[1] + cell / 2),
                str(matrix[i][j]),
                fill=colour,
                font=small,
                anchor="mm",
            )
        draw.text((left - 6, top + i * cell + cell / 2), names[i], fill=TEXT, font=small, anchor="rm")
    for j, name in enumerate(names):  # column labels, written vertically
        text_w = int(draw_width(name, small)) + 4
        label = Image.new("RGB", (text_w, 16), "white")
        ImageDraw.Draw(label).text((2, 8), name, fill=TEXT, font=small, anchor="lm")
        rotated = label.rotate(90, expand=True)
        image.paste(rotated, (int(left + j * cell + cell / 2 - 8), top - 6 - rotated.height))
    vertical = Image.new("RGB", (110, 16), "white")
    ImageDraw.Draw(vertical).text((55, 8), "true class", fill=TEXT, font=small, anchor="mm")
    vertical = vertical.rotate(90, expand=True)
    image.paste(vertical, (4, int(top + n * cell / 2 - vertical.height / 2)))
    return save_png(image, path)


def draw_width(text: str, font) -> float:
    return font.getlength(text) if hasattr(font, "getlength") else 7 * len(text)
