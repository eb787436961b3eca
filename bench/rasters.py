"""Generated GeoTIFFs for benchmarks: smooth blobs on a UTM grid, written window by window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window

BLOCK = 512


def tiled_profile(width: int, height: int, pixel: float = 0.5, nodata: float | None = None) -> dict:
    """Profile of a 3-band uint8 tiled, compressed GeoTIFF in EPSG:32633, written block by block."""
    return {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 3,
        "dtype": "uint8",
        "crs": "EPSG:32633",
        "transform": Affine(pixel, 0, 500_000, 0, -pixel, 5_000_000),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "nodata": nodata,
    }


def write_test_raster(path: Path, width: int, height: int, pixel: float = 0.5, seed: int = 0) -> Path:
    """A 3-band uint8 tiled GeoTIFF (EPSG:32633) with a texture SAM can find edges in; bounded memory."""
    profile = tiled_profile(width, height, pixel)
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, [width, height], size=(max(8, width * height // 40_000), 2))
    colours = rng.integers(30, 230, size=(len(centres), 3))
    with rasterio.open(path, "w", **profile) as dst:
        for row in range(0, height, BLOCK):
            for col in range(0, width, BLOCK):
                w, h = min(BLOCK, width - col), min(BLOCK, height - row)
                dst.write(_block(col, row, w, h, centres, colours), window=Window(col, row, w, h))
    return path


def _block(col, row, w, h, centres, colours) -> np.ndarray:
    """Voronoi-like patches: each pixel takes the colour of its nearest centre (nearby centres only)."""
    near = (np.abs(centres[:, 0] - (col + w / 2)) < w + 400) & (
        np.abs(centres[:, 1] - (row + h / 2)) < h + 400
    )
    c, k = centres[near], colours[near]
    if len(c) == 0:
        return np.full((3, h, w), 128, np.uint8)
    yy, xx = np.mgrid[row : row + h, col : col + w]
    best = np.full((h, w), np.inf)
    out = np.zeros((3, h, w), np.uint8)
    for centre, colour in zip(c, k):
        d = (xx - centre[0]) ** 2 + (yy - centre[1]) ** 2
        closer = d < best
        best[closer] = d[closer]
        out[:, closer] = colour[:, None]
    return out
