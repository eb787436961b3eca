"""Generated scenes for segmentation heads: vegetation with textured roads, buildings and water.

Classes (index order): vegetation (the background), road (curved bands 4–9 px wide), building (rotated
rectangles with a roof colour of their own) and water (smooth blobs). Each class has its own colour range
and texture, so a boundary exists to be learned even through a frozen random encoder. Everything comes from
the seed.
"""

from __future__ import annotations

import json
import math

import numpy as np
from finetune_data import textured
from PIL import Image, ImageDraw

CLASSES = ("vegetation", "road", "building", "water")


def _road(draw: ImageDraw.ImageDraw, size: int, rng) -> None:
    """A smooth curve across the image, drawn as a thick line."""
    x0, y0 = (0.0, rng.uniform(0, size)) if rng.random() < 0.5 else (rng.uniform(0, size), 0.0)
    angle = math.atan2(size / 2 - y0, size / 2 - x0) + rng.uniform(-0.4, 0.4)
    points, x, y = [(x0, y0)], x0, y0
    for _ in range(40):
        angle += rng.normal(0, 0.12)
        x, y = x + 10 * math.cos(angle), y + 10 * math.sin(angle)
        points.append((x, y))
    draw.line(points, fill=1, width=int(rng.integers(4, 10)), joint="curve")


def generate_scene(size: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """(rgb uint8 (size, size, 3), classes int64 (size, size))."""
    layers = {name: Image.new("L", (size, size), 0) for name in CLASSES[1:]}
    water = ImageDraw.Draw(layers["water"])
    for _ in range(int(rng.integers(1, 3))):
        cx, cy, r = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(15, 45)
        water.ellipse([cx - r, cy - r * 0.7, cx + r, cy + r * 0.7], fill=1)
    building = ImageDraw.Draw(layers["building"])
    for _ in range(int(rng.integers(2, 7))):
        cx, cy = rng.uniform(10, size - 10), rng.uniform(10, size - 10)
        w, h, a = rng.uniform(8, 26), rng.uniform(8, 26), rng.uniform(0, math.pi)
        corners = [(-w, -h), (w, -h), (w, h), (-w, h)]
        building.polygon(
            [
                (cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a))
                for x, y in corners
            ],
            fill=1,
        )
    road = ImageDraw.Draw(layers["road"])
    for _ in range(int(rng.integers(1, 3))):
        _road(road, size, rng)
    classes = np.zeros((size, size), np.int64)
    for index, name in enumerate(CLASSES[1:], start=1):  # later classes on top: roads cross everything
        classes[np.asarray(layers[name], bool)] = index
    colours = {
        0: (rng.integers(40, 70), rng.integers(90, 130), rng.integers(30, 60)),
        1: (rng.integers(95, 120),) * 3,
        2: (rng.integers(150, 210), rng.integers(60, 110), rng.integers(50, 90)),
        3: (rng.integers(20, 50), rng.integers(60, 90), rng.integers(120, 170)),
    }
    grains = {0: 20.0, 1: 5.0, 2: 10.0, 3: 3.0}
    rgb = np.zeros((size, size, 3))
    for index, colour in colours.items():
        rgb[classes == index] = textured(size, tuple(int(c) for c in colour), rng, grains[index])[
            classes == index
        ]
    return np.clip(rgb, 0, 255).astype(np.uint8), classes


def class_set(train: int = 12, val: int = 3, test: int = 4, size: int = 256, seed: int = 0):
    """A ClassSet of generated scenes, each split from its own seed."""
    from sam_core.semantic.dataset import ClassImage, ClassSet

    images = []
    for k, (split, n) in enumerate((("train", train), ("val", val), ("test", test))):
        rng = np.random.default_rng(seed + k)
        for i in range(n):
            rgb, classes = generate_scene(size, rng)
            images.append(ClassImage(f"{split}_{i:03d}", rgb, classes, split))
    return ClassSet("generated", "folder", CLASSES, tuple(images))


CODES = (0, 10, 20, 30)  # the codes written for vegetation, road, building, water


def write_class_folder(root, data, codes=CODES, classes_json=True, ignore_box=False):
    """``data``'s images as PNGs, masks of ``codes`` (255 in a corner box with ``ignore_box``), a split.csv."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    rows = ["image,split"]
    for image in data.images:
        Image.fromarray(image.rgb).save(root / "images" / f"{image.name}.png")
        mask = np.asarray(codes, np.uint8)[image.classes]
        if ignore_box:
            mask[:10, :10] = 255
        Image.fromarray(mask).save(root / "masks" / f"{image.name}.png")
        rows.append(f"{image.name},{image.split}")
    (root / "split.csv").write_text("\n".join(rows) + "\n")
    if classes_json:
        spec = {"classes": [{"code": c, "name": n} for c, n in zip(codes, CLASSES)], "ignore": 255}
        spec["classes"][1]["colour"] = "#303030"
        (root / "classes.json").write_text(json.dumps(spec))
    return root
