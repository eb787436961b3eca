"""Comparing a command's output files run serially and on Dask: the same features, field by field, and
the same geometries after normalisation (areas to 1e-9 relative)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyogrio
import rasterio
import shapely

from bench.rasters import tiled_profile


def read_features(path: str | Path) -> tuple[list[str], list, list[np.ndarray]]:
    """(field names, normalised geometries, columns) of a vector file's first layer."""
    meta, _fids, wkb, columns = pyogrio.raw.read(path)
    geometries = [shapely.normalize(shapely.from_wkb(g)) for g in wkb] if wkb is not None else []
    return [str(f) for f in meta["fields"]], geometries, list(columns)


def assert_same_features(serial: str | Path, distributed: str | Path, min_count: int = 1) -> int:
    """Two vector files hold the same features in the same order; the count (at least ``min_count``)."""
    fields_a, geoms_a, cols_a = read_features(serial)
    fields_b, geoms_b, cols_b = read_features(distributed)
    assert fields_a == fields_b
    assert len(geoms_a) == len(geoms_b) >= min_count, (len(geoms_a), len(geoms_b))
    for a, b in zip(geoms_a, geoms_b):
        assert shapely.equals_exact(a, b, 0.0), (a.wkt[:200], b.wkt[:200])
        assert math.isclose(a.area, b.area, rel_tol=1e-9, abs_tol=0.0)
    for name, a, b in zip(fields_a, cols_a, cols_b):
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=0, err_msg=name)
        else:
            assert list(a) == list(b), name
    return len(geoms_a)


def assert_same_raster(serial: str | Path, distributed: str | Path) -> None:
    """Two GeoTIFFs with the same grid, CRS and pixels."""
    with rasterio.open(serial) as a, rasterio.open(distributed) as b:
        assert (a.crs, a.transform, a.width, a.height, a.count) == (
            b.crs,
            b.transform,
            b.width,
            b.height,
            b.count,
        )
        assert np.array_equal(a.read(), b.read())


ISLAND_ORIGIN = (500_000.0, 5_000_000.0)  # 1 m pixels, EPSG:32633 (tiled_profile's origin)
#: upper-left pixel (col, row) of each 80×70 island of valid data; everything else is nodata
ISLANDS = ((820, 540), (100, 100), (1600, 100), (1400, 950))


def write_island_raster(path: Path, width: int = 1720, height: int = 1152) -> Path:
    """Textured islands in nodata, at least a tile apart: the random model's tile-wide noise masks are
    confined to one island each, so objects are smaller than a tile and can lie well inside an extent."""
    rows, cols = np.mgrid[:height, :width]
    waves = [40 + 75 * (1 + np.sin(cols / (7 + 3 * b) + rows / (11 + b))) for b in range(3)]
    noise = np.random.default_rng(7).integers(0, 60, (3, height, width))
    data = np.clip(np.stack(waves) + noise, 1, 255).astype(np.uint8)
    valid = np.zeros((height, width), bool)
    for col, row in ISLANDS:
        valid[row : row + 70, col : col + 80] = True
    data[:, ~valid] = 0
    profile = tiled_profile(width, height, 1.0, nodata=0)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path
