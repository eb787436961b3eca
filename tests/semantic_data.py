"""Generated scenes for segmentation heads: vegetation with textured roads, buildings and water.

Classes (index order): vegetation (the background), road (curved bands 4–9 px wide), building (rotated
rectangles with a roof colour of their own) and water (smooth blobs). Each class has its own colour range
and texture, so a boundary exists to be learned even through a frozen random encoder. Everything comes from
the seed.
"""

from __future__ import annotations

import json
import math
import warnings

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


SCENE_CRS, SCENE_ORIGIN = "EPSG:32633", (400000.0, 5200000.0)


def mosaic(tiles: int, rng, tile_px: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """``tiles`` × ``tiles`` generated scenes side by side: (rgb, classes) of tiles × tile_px pixels a side."""
    rows = [[generate_scene(tile_px, rng) for _ in range(tiles)] for _ in range(tiles)]
    rgb = np.concatenate([np.concatenate([t[0] for t in row], axis=1) for row in rows], axis=0)
    return rgb, np.concatenate([np.concatenate([t[1] for t in row], axis=1) for row in rows], axis=0)


def write_scene_raster(root, tiles: int = 2, seed: int = 0, pixel_m: float = 1.0, splits=()) -> dict:
    """A mosaic of generated scenes (``mosaic``) as a 3-band uint8 GeoTIFF (UTM 33N, ``pixel_m`` pixels)
    with its classes as polygons:
    one feature per connected patch of road, building or water (vegetation is what no polygon covers), along
    pixel edges, with fields ``class`` (the name), ``code`` (CODES, integers) and ``split`` (``splits`` cycled
    over the features, when given). Written as ``classes.gpkg`` in the raster's CRS and as ``classes.geojson``
    in EPSG:4326 (vertices transformed). Returns raster, labels (suffix → path), classes (the truth), rgb,
    transform and the features' class indexes and splits."""
    import rasterio
    from affine import Affine
    from finetune_data import reproject

    root.mkdir(parents=True, exist_ok=True)
    rgb, classes = mosaic(tiles, np.random.default_rng(seed))
    size = rgb.shape[0]
    transform = Affine(pixel_m, 0.0, SCENE_ORIGIN[0], 0.0, -pixel_m, SCENE_ORIGIN[1])
    raster = root / "scene.tif"
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 3, "dtype": "uint8"}
    with rasterio.open(raster, "w", crs=SCENE_CRS, transform=transform, **profile) as ds:
        ds.write(rgb.transpose(2, 0, 1))
    geometries, kinds = class_polygons(classes, transform)
    fields = {"class": [CLASSES[k] for k in kinds], "code": np.asarray([CODES[k] for k in kinds], np.int64)}
    if splits:
        fields["split"] = [splits[i % len(splits)] for i in range(len(kinds))]
    labels = {
        ".gpkg": write_layer(root / "classes.gpkg", geometries, SCENE_CRS, fields),
        ".geojson": write_layer(
            root / "classes.geojson",
            [reproject(g, SCENE_CRS, "EPSG:4326") for g in geometries],
            "EPSG:4326",
            fields,
        ),
    }
    return {
        "raster": raster,
        "labels": labels,
        "classes": classes,
        "rgb": rgb,
        "transform": transform,
        "kinds": kinds,
        "splits": fields.get("split"),
    }


def class_polygons(classes: np.ndarray, transform) -> tuple[list, list[int]]:
    """The connected patches of each class but the first (vegetation) as polygons, and their class indexes."""
    import shapely
    from rasterio.features import shapes

    found = shapes(classes.astype(np.int32), mask=classes > 0, transform=transform)
    pairs = [(shapely.geometry.shape(geometry), int(value)) for geometry, value in found]
    return [g for g, _ in pairs], [k for _, k in pairs]


def write_layer(path, geometries, crs: str, fields: dict):
    """A polygon layer (GeoPackage or GeoJSON by suffix) whose fields keep their types (integers stay)."""
    import pyogrio
    import shapely

    driver = {".gpkg": "GPKG", ".geojson": "GeoJSON"}[path.suffix]
    pyogrio.raw.write(
        str(path),
        geometry=np.asarray(shapely.to_wkb(list(geometries)), dtype=object),
        field_data=[v if isinstance(v, np.ndarray) else np.asarray(v, dtype=object) for v in fields.values()],
        fields=list(fields),
        driver=driver,
        geometry_type="Polygon",
        crs=crs,
    )
    return path


def write_label_raster(path, codes: np.ndarray, transform, crs: str | None = SCENE_CRS, nodata=None):
    """``codes`` (uint8) as a one-band GeoTIFF (no CRS and no transform when ``crs`` is None)."""
    import rasterio

    profile = {
        "driver": "GTiff",
        "width": codes.shape[1],
        "height": codes.shape[0],
        "count": 1,
        "dtype": "uint8",
    }
    if crs is not None:
        profile.update(crs=crs, transform=transform)
    if nodata is not None:
        profile["nodata"] = nodata
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)  # wanted without a CRS
        with rasterio.open(path, "w", **profile) as ds:
            ds.write(codes.astype(np.uint8), 1)
    return path
