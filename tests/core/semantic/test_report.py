"""The segmentation heads' report folder: box-plot figures worked by hand, a box drawn where its figures say,
and the four files written from a real (tiny) training of the three heads: the per-image summary, the box
plots' size, the example grid's rows × columns, its truth tile in the data's class colours (grey where
unlabelled) and its prediction columns in the study's order (UNet, SAM-ViT, SAM-CONV).

Set-up: the tiny random-weight SAM at a 128 px input, generated 128 px scenes (one patch each), 3 training,
1 validation and 5 test images (the grid keeps the first 4), 2 epochs per head, embeddings cached after the
first head."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw
from semantic_data import class_set

from sam_core.landcover.plots import AXIS, box_panel, box_stats
from sam_core.sam.embeddings import EmbeddingCache
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config
from sam_core.semantic import report
from sam_core.semantic.dataset import ClassImage
from sam_core.semantic.train import EXAMPLES, HeadOptions, train_head

SIZE = 128
COLOURS = ("#00ff00", "#303030", "#ff0000", "#0000ff")  # vegetation, road, building, water


def test_box_statistics_by_hand():
    values = [0.5, 0.1, 0.9, 0.3, 5.0, 0.7, 0.2, 0.8, 0.4, 0.6, math.nan, None]  # NaN and None are dropped
    stats = box_stats(values)
    # ten values, linear percentiles at (n − 1)·p: q1 at 2.25 → 0.325, median at 4.5 → 0.55, q3 at 6.75 → 0.775
    assert stats["n"] == 10
    assert stats["q1"] == pytest.approx(0.325) and stats["median"] == pytest.approx(0.55)
    assert stats["q3"] == pytest.approx(0.775)
    finite = [v for v in values if v is not None and math.isfinite(v)]
    assert [stats["q1"], stats["median"], stats["q3"]] == pytest.approx(np.percentile(finite, [25, 50, 75]))
    # IQR 0.45: fences at −0.35 and 1.45; 5.0 lies past the upper one
    assert (stats["whisker_low"], stats["whisker_high"], stats["outliers"]) == (0.1, 0.9, [5.0])
    assert box_stats([0.4]) == {
        "n": 1,
        "median": 0.4,
        "q1": 0.4,
        "q3": 0.4,
        "whisker_low": 0.4,
        "whisker_high": 0.4,
        "outliers": [],
    }
    assert box_stats([]) is None and box_stats([math.nan]) is None


def test_a_box_is_drawn_where_its_figures_say():
    image = Image.new("RGB", (400, 400), "white")
    colour = (200, 0, 0)
    box_panel(
        ImageDraw.Draw(image), (0, 0, 400, 400), [("a", colour, [0.2, 0.4, 0.6])], "t", "x", "y", (0, 1)
    )
    # plot area x 60..390, y 30..355: the one box centred at x 225; the median 0.4 at y 355 − 0.4·325 = 225
    assert image.getpixel((225, 225)) == AXIS
    inside = image.getpixel((225, round(355 - 0.45 * 325)))  # between the median and q3 (0.5): the fill
    assert inside != (255, 255, 255) and inside[0] > inside[1] == inside[2]
    assert image.getpixel((225, round(355 - 0.8 * 325))) != colour  # above the top whisker (0.6): nothing


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("semantic_report")
    save_random_checkpoint(folder / "tiny_128.pth", tiny_config(img_size=SIZE), seed=0)
    model = load_model(folder / "tiny_128.pth", "cpu")
    data = class_set(train=3, val=1, test=5, size=SIZE, seed=3)
    first = data.part("test")[0]
    known = np.ones(first.classes.shape, bool)
    known[:20, :20] = False  # an unlabelled corner in the first test image
    images = tuple(
        ClassImage(i.name, i.rgb, i.classes, i.split, known) if i is first else i for i in data.images
    )
    data = dataclasses.replace(data, images=images, colours=COLOURS)
    cache = EmbeddingCache(folder / "cache")
    heads = ("sam-conv", "unet", "sam-vit")  # not the study's order: the grid sorts them
    runs = [train_head(data, model, HeadOptions(head=h, epochs=2, batch_size=2), cache) for h in heads]
    table = report.summary(runs, data)
    files = report.write_report(table, runs, folder / "report")
    return data, runs, files


def test_the_report_writes_summary_curves_boxplots_and_examples(trained):
    data, runs, files = trained
    assert [f.name for f in files] == ["summary.json", "curves.png", "boxplots.png", "examples.png"]
    assert all(f.is_file() for f in files)
    written = json.loads(files[0].read_text())
    for head, run in zip(written["heads"], runs):
        assert "examples" not in head
        for key in ("accuracy", "dice", "f1"):
            values = [image[key] for image in run.per_image]
            figures = head["per_image_summary"][key]
            assert figures["n"] == len(data.part("test")) == 5
            assert figures["median"] == pytest.approx(float(np.median(values)))
            assert [figures["q1"], figures["q3"]] == pytest.approx(np.percentile(values, [25, 75]))
    with Image.open(files[2]) as boxplots:
        assert boxplots.size == (1260, 460)


def test_the_example_grid_shows_truth_in_class_colours_and_heads_in_the_study_order(trained):
    data, runs, files = trained
    with Image.open(files[3]) as png:
        grid = np.asarray(png.convert("RGB"))
    rows, columns = EXAMPLES, 2 + len(runs)  # five test images, four kept; RGB, truth, three heads
    assert grid.shape[:2] == (
        report.TOP + rows * (report.CELL + report.GAP),
        report.GAP + columns * (report.CELL + report.GAP),
    )
    scale = report.CELL / SIZE
    by_head, checked = {run.options.head: run for run in runs}, 0
    assert all(len(run.examples.predicted) == rows for run in runs)
    for row, image in enumerate(data.part("test")[:rows]):
        classes = image.classes
        # a pixel in the middle of a 7×7 block of one class, labelled (the first image's corner is not)
        y, x = next(
            (y, x)
            for y in range(24, SIZE - 3)
            for x in range(24, SIZE - 3)
            if (classes[y - 3 : y + 4, x - 3 : x + 4] == classes[y, x]).all()
        )
        gx, gy = (int(v + (p + 0.5) * scale) for v, p in zip(report.example_cell(row, 1), (x, y)))
        expected = tuple(int(COLOURS[classes[y, x]][k : k + 2], 16) for k in (1, 3, 5))
        assert tuple(grid[gy, gx]) == expected
        rx, ry = (int(v + (p + 0.5) * scale) for v, p in zip(report.example_cell(row, 0), (x, y)))
        assert tuple(grid[ry, rx]) == tuple(image.rgb[y, x])  # the RGB column: the patch's own pixels
        for column, head in enumerate(("unet", "sam-vit", "sam-conv"), start=2):
            px, py = (int(v + (p + 0.5) * scale) for v, p in zip(report.example_cell(row, column), (x, y)))
            predicted = by_head[head].examples.predicted[row]
            if (predicted[y - 3 : y + 4, x - 3 : x + 4] == predicted[y, x]).all():
                hex_colour = COLOURS[predicted[y, x]]
                assert tuple(grid[py, px]) == tuple(int(hex_colour[k : k + 2], 16) for k in (1, 3, 5))
                checked += 1
    assert checked >= rows  # most predictions are uniform there too: the columns were compared
    cx, cy = report.example_cell(0, 1)
    assert tuple(grid[cy + 5, cx + 5]) == report.UNLABELLED  # the first image's unlabelled corner
