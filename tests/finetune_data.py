"""Generated data for decoder fine-tuning: textured backgrounds with objects whose box is a poor mask.

Shapes are L-shapes, rings, rotated rectangles, ellipses and irregular polygons of 24–140 px, drawn in a
colour and texture of their own over a textured background, so a boundary exists to be learned even through a
frozen random encoder. Everything comes from the seed. ``write_folder`` writes the folder form
(``images/``, ``masks/``, optional ``split.csv``).
"""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SHAPES = ("l_shape", "ring", "rotated_rectangle", "ellipse", "polygon")


def _rotate(points: np.ndarray, angle: float, centre: tuple[float, float]) -> list[tuple[float, float]]:
    c, s = math.cos(angle), math.sin(angle)
    x, y = points[:, 0], points[:, 1]
    return list(zip(centre[0] + c * x - s * y, centre[1] + s * x + c * y))


def shape_mask(kind: str, size: int, centre: tuple[float, float], extent: float, rng) -> np.ndarray:
    """A (size, size) bool mask of one shape about ``extent`` px across, centred at ``centre``."""
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    h = extent / 2
    angle = float(rng.uniform(0, math.pi))
    if kind == "l_shape":
        t = extent * float(rng.uniform(0.3, 0.4))
        pts = np.array([[-h, -h], [-h + t, -h], [-h + t, h - t], [h, h - t], [h, h], [-h, h]], float)
        draw.polygon(_rotate(pts, angle, centre), fill=1)
    elif kind == "ring":
        cx, cy = centre
        draw.ellipse([cx - h, cy - h, cx + h, cy + h], fill=1)
        inner = h * float(rng.uniform(0.45, 0.6))
        draw.ellipse([cx - inner, cy - inner, cx + inner, cy + inner], fill=0)
    elif kind == "rotated_rectangle":
        w = h * float(rng.uniform(0.25, 0.45))
        pts = np.array([[-h, -w], [h, -w], [h, w], [-h, w]], float)
        draw.polygon(_rotate(pts, angle + math.pi / 4, centre), fill=1)
    elif kind == "ellipse":
        cx, cy = centre
        k = float(rng.uniform(0.4, 0.7))
        draw.ellipse([cx - h, cy - h * k, cx + h, cy + h * k], fill=1)
    else:  # irregular star-like polygon
        n = int(rng.integers(5, 9))
        angles = np.sort(rng.uniform(0, 2 * math.pi, n))
        radii = h * rng.uniform(0.35, 1.0, n)
        pts = np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
        draw.polygon(_rotate(pts, 0.0, centre), fill=1)
    return np.asarray(canvas, bool)


def textured(size: int, base: tuple[int, int, int], rng, grain: float = 18.0) -> np.ndarray:
    """(size, size, 3) float: ``base`` colour with smooth blotches and pixel noise."""
    coarse = rng.normal(0, grain, (size // 16 + 2, size // 16 + 2, 3))
    smooth = np.asarray(
        Image.fromarray(coarse.astype(np.float32)[..., 0]).resize((size, size), Image.BILINEAR)
    )[..., None]
    noise = rng.normal(0, grain / 2, (size, size, 3))
    return np.asarray(base, float) + smooth + noise


def generate_image(size: int, n_objects: int, rng, min_px: int = 24, max_px: int = 140):
    """(rgb uint8 (size, size, 3), objects int32 (size, size)): ``n_objects`` non-overlapping shapes."""
    background = textured(size, tuple(int(v) for v in rng.integers(60, 120, 3)), rng)
    rgb = background.copy()
    objects = np.zeros((size, size), np.int32)
    placed = 0
    for _ in range(n_objects * 20):
        if placed == n_objects:
            break
        extent = float(rng.uniform(min_px, min(max_px, size * 0.6)))
        margin = extent / 2 + 2
        centre = (float(rng.uniform(margin, size - margin)), float(rng.uniform(margin, size - margin)))
        mask = shape_mask(SHAPES[int(rng.integers(len(SHAPES)))], size, centre, extent, rng)
        if not mask.any() or (objects[mask] > 0).any():
            continue
        placed += 1
        colour = tuple(int(v) for v in rng.integers(150, 240, 3))
        rgb[mask] = textured(size, colour, rng, grain=8.0)[mask]
        objects[mask] = placed
    return np.clip(rgb, 0, 255).astype(np.uint8), objects


def generate_set(n_images: int, size: int = 256, seed: int = 0, objects=(1, 3), empty: int = 0):
    """``n_images`` (rgb, objects) pairs, the last ``empty`` of them without objects."""
    rng = np.random.default_rng(seed)
    pairs = []
    for index in range(n_images):
        n = 0 if index >= n_images - empty else int(rng.integers(objects[0], objects[1] + 1))
        pairs.append(generate_image(size, n, rng))
    return pairs


def write_folder(root: Path, pairs, splits: list[str] | None = None, suffix: str = ".png", ids: bool = True) -> Path:
    """The folder form: ``images/<stem><suffix>``, ``masks/<stem>.png`` (object ids, or 255 = object when
    ``ids`` is False) and, with ``splits``, ``split.csv`` (stem, split)."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    for index, (rgb, objects) in enumerate(pairs):
        stem = f"img_{index:03d}"
        Image.fromarray(rgb).save(root / "images" / f"{stem}{suffix}")
        mask = objects.astype(np.uint8) if ids else np.where(objects > 0, 255, 0).astype(np.uint8)
        Image.fromarray(mask).save(root / "masks" / f"{stem}.png")
    if splits is not None:
        with open(root / "split.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["image", "split"])
            for index, split in enumerate(splits):
                writer.writerow([f"img_{index:03d}", split])
    return root


# -- the GIS form: a georeferenced raster and its objects as polygons -----------------------------------------
def write_polygons(path: Path, geometries, crs: str | None, fields: dict | None = None) -> Path:
    """A polygon layer (GeoPackage, GeoJSON or Shapefile by suffix) with optional string fields; ``crs`` None
    writes a layer without a CRS."""
    import pyogrio
    import shapely

    drivers = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile"}
    fields = fields or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio's "'crs' was not provided": wanted with None
        pyogrio.raw.write(
            str(path),
            geometry=np.asarray(shapely.to_wkb(list(geometries)), dtype=object),
            field_data=[np.asarray(values, dtype=object) for values in fields.values()],
            fields=list(fields),
            driver=drivers[path.suffix.lower()],
            geometry_type="MultiPolygon",
            crs=crs,
        )
    return path


def id_polygons(objects: np.ndarray, transform) -> dict:
    """object id → its pixels as one (multi)polygon along pixel edges, in the transform's coordinates."""
    import shapely
    from rasterio.features import shapes

    parts: dict[int, list] = {}
    for geometry, value in shapes(objects.astype(np.int32), mask=objects > 0, transform=transform):
        parts.setdefault(int(value), []).append(shapely.geometry.shape(geometry))
    return {fid: shapely.MultiPolygon(polys) for fid, polys in sorted(parts.items())}


def reproject(geometry, src: str, dst: str):
    """``geometry`` with its vertices transformed (no densification) from ``src`` to ``dst``."""
    import shapely
    from pyproj import Transformer

    transformer = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geometry, lambda x, y: transformer.transform(x, y), interleaved=False)


def pixel_box(transform, col0: float, row0: float, col1: float, row1: float):
    """A rectangle along pixel edges: columns [col0, col1), rows [row0, row1) of a north-up raster."""
    import shapely

    x0, y0 = transform @ (col0, row0)
    x1, y1 = transform @ (col1, row1)
    return shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def write_raster_with_labels(
    root: Path,
    size: int = 1024,
    n_objects: int = 14,
    seed: int = 0,
    crs: str = "EPSG:32633",
    pixel_m: float = 10.0,
    origin: tuple[float, float] = (400000.0, 5200000.0),
    label_crs: str = "EPSG:4326",
    suffixes=(".geojson", ".gpkg"),
    fields: dict | None = None,
    omit=(),
    shift_m: tuple[float, float] = (0.0, 0.0),
    nodata_rows: int = 0,
) -> dict:
    """A generated 3-band uint8 GeoTIFF (``crs``, ``pixel_m`` pixels, upper-left corner at ``origin``) and its
    objects as polygons in ``label_crs``, one feature per object id in id order (``fields``: name → one value
    per object id); ids in ``omit`` are left out of the labels (unlabelled objects); ``shift_m`` moves the
    polygons (in ``crs`` units) before reprojection; the first ``nodata_rows`` rows are nodata (0).
    Returns raster, labels (suffix → path), objects (the id mask), feature_ids, rgb, transform and crs."""
    import rasterio
    from affine import Affine

    root.mkdir(parents=True, exist_ok=True)
    rgb, objects = generate_image(size, n_objects, np.random.default_rng(seed))
    transform = Affine(pixel_m, 0.0, origin[0], 0.0, -pixel_m, origin[1])
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 3, "dtype": "uint8", "crs": crs}
    if nodata_rows:
        rgb = np.maximum(rgb, 1)
        rgb[:nodata_rows] = 0
        profile["nodata"] = 0
    raster = root / "raster.tif"
    with rasterio.open(raster, "w", transform=transform, **profile) as ds:
        ds.write(rgb.transpose(2, 0, 1))
    polygons = id_polygons(objects, transform)
    keep = [fid for fid in polygons if fid not in set(omit)]
    moved = [reproject(_shifted(polygons[fid], shift_m), crs, label_crs) for fid in keep]
    chosen = {name: [values[fid - 1] for fid in keep] for name, values in (fields or {}).items()}
    labels = {
        suffix: write_polygons(root / f"labels{suffix}", moved, label_crs, chosen) for suffix in suffixes
    }
    return {
        "raster": raster,
        "labels": labels,
        "objects": objects,
        "feature_ids": keep,  # the generated id of each feature, in order (a feature's id is its position + 1)
        "rgb": rgb,
        "transform": transform,
        "crs": crs,
    }


def _shifted(geometry, shift: tuple[float, float]):
    import shapely

    return shapely.transform(geometry, lambda xy: xy + np.asarray(shift, float))
