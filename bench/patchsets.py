"""Generated land-cover data for tests and benchmarks: procedural textures per class, EuroSAT's folder layout.

Each class has its own colours and texture (crop stripes, forest blobs, roofs on grey, smooth water), with
brightness jitter and pixel noise per patch, so a classifier must generalise a little. ``write_patch_set``
writes 64 px patches as .png (EuroSAT RGB) or 13-band uint16 GeoTIFFs (EuroSAT MS: the class colours in
B4,B3,B2, noise in the other bands); ``write_class_mosaic`` writes a georeferenced raster made of blocks of
the same textures, with the class of every block known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from PIL import Image

CLASSES = ("AnnualCrop", "Forest", "Residential", "SeaLake")


def texture(name: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """(size, size, 3) uint8 patch of class ``name``."""
    yy, xx = np.mgrid[0:size, 0:size]
    if name == "AnnualCrop":
        period = rng.integers(6, 11)
        along = xx if rng.random() < 0.5 else yy
        stripe = ((along + rng.integers(0, period)) // (period // 2)) % 2 == 0
        image = np.where(stripe[..., None], [205, 185, 85], [115, 150, 60]).astype(float)
    elif name == "Forest":
        coarse = rng.normal(0, 1, (size // 8 + 2, size // 8 + 2))
        blobs = np.kron(coarse, np.ones((8, 8)))[:size, :size]
        image = np.stack([35 + 10 * blobs, 90 + 22 * blobs, 40 + 8 * blobs], axis=-1)
    elif name == "Residential":
        image = np.empty((size, size, 3))
        image[:] = [140, 140, 138]
        for _ in range(size * size // 250):
            r, c = rng.integers(0, size, 2)
            h, w = rng.integers(4, 10, 2)
            image[r : r + h, c : c + w] = [175, 65, 50] if rng.random() < 0.6 else [235, 232, 228]
    elif name == "SeaLake":
        image = np.empty((size, size, 3))
        image[:] = [25, 62, 125]
        image += rng.normal(0, 3, (size, size, 1))
    else:
        raise ValueError(f"no texture for class {name!r}")
    image *= rng.uniform(0.88, 1.12)
    image += rng.normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def write_patch_set(
    root: Path,
    per_class: int,
    size: int = 64,
    kind: str = "png",
    classes=CLASSES,
    seed: int = 0,
) -> Path:
    """``root/<class>/<class>_<n>.png|tif``; .tif files are 13-band uint16 Sentinel-2-like, 10 m, UTM 33N."""
    rng = np.random.default_rng(seed)
    for name in classes:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(per_class):
            rgb = texture(name, rng, size)
            if kind == "png":
                Image.fromarray(rgb).save(folder / f"{name}_{n}.png")
            else:
                bands = rng.integers(200, 3000, (13, size, size)).astype(np.uint16)
                for band, channel in ((4, 0), (3, 1), (2, 2)):
                    bands[band - 1] = 300 + 10 * rgb[..., channel].astype(np.uint16)
                profile = {
                    "driver": "GTiff",
                    "width": size,
                    "height": size,
                    "count": 13,
                    "dtype": "uint16",
                    "crs": "EPSG:32633",
                    "transform": Affine(10.0, 0, 500_000 + 1000 * n, 0, -10.0, 5_000_000),
                }
                with rasterio.open(folder / f"{name}_{n}.tif", "w", **profile) as dst:
                    dst.write(bands)
    return root


def write_class_mosaic(
    path: Path,
    blocks: np.ndarray,
    block_px: int,
    pixel: float = 10.0,
    crs: str = "EPSG:32633",
    origin: tuple[float, float] = (500_000.0, 5_000_000.0),
    repeat: int = 1,
    classes=CLASSES,
    seed: int = 1,
) -> Path:
    """An RGB uint8 GeoTIFF of ``blocks`` (rows × cols of class indexes), each block a texture of
    ``block_px`` pixels; ``repeat`` > 1 enlarges every pixel to repeat×repeat pixels of size pixel/repeat
    (the same scene at a finer resolution)."""
    rng = np.random.default_rng(seed)
    rows, cols = blocks.shape
    image = np.zeros((rows * block_px, cols * block_px, 3), np.uint8)
    for r in range(rows):
        for c in range(cols):
            tile = texture(classes[blocks[r, c]], rng, block_px)
            image[r * block_px : (r + 1) * block_px, c * block_px : (c + 1) * block_px] = tile
    if repeat > 1:
        image = image.repeat(repeat, axis=0).repeat(repeat, axis=1)
    size = pixel / repeat
    profile = {
        "driver": "GTiff",
        "width": image.shape[1],
        "height": image.shape[0],
        "count": 3,
        "dtype": "uint8",
        "crs": crs,
        "transform": Affine(size, 0, origin[0], 0, -size, origin[1]),
        "photometric": "RGB",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(image.transpose(2, 0, 1))
    return path
