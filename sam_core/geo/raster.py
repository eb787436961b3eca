"""Raster access with rasterio, one window at a time.

A ``RasterSource`` chooses the bands SAM sees, masks nodata, and computes *one* contrast stretch per raster
(percentiles from a decimated read, done once) that is applied identically to every window, so neighbouring
tiles agree. Nothing here ever reads the whole raster at full resolution (but for the rare raster whose
decimated read finds no valid pixel, scanned block by block before it is refused).

One rule for every command: NaN and infinite pixels are nodata, always (a float raster need not declare
them), and a raster with no valid pixel is refused when it is opened, as is one whose georeferencing is
missing or broken (``georef.py``).
A source is not thread-safe (neither is a rasterio dataset): open one per worker thread.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Self

import numpy as np
import rasterio
import rasterio.env
from rasterio.enums import ColorInterp, Resampling
from rasterio.errors import RasterioError
from rasterio.windows import Window

from .. import config
from ..errors import SamCoreError, first_line
from .crs import crs_label, parse_crs
from .georef import check_georeferencing, open_dataset
from .tiles import PixelWindow, TileGrid

#: Longest side of the decimated read used for the stretch statistics.
STATS_SIZE = 1024
DEFAULT_PERCENTILES = (2.0, 98.0)
#: GDAL's block cache defaults to 5 % of RAM and would grow with the raster read; a few tiles' worth is
#: enough for neighbouring tiles to share blocks. A GDAL_CACHEMAX set by the user wins.
GDAL_CACHE_BYTES = 32 * 2**20
#: at most this many valid values per band are kept from a block-by-block scan for the stretch
SCAN_VALUES = 1_000_000


def bound_gdal_cache() -> None:
    if "GDAL_CACHEMAX" not in os.environ:
        rasterio.env.set_gdal_config("GDAL_CACHEMAX", GDAL_CACHE_BYTES)


def default_bands(count: int, colorinterp=()) -> tuple[int, int, int]:
    """RGB for SAM: Sentinel-2's B4,B3,B2 for 13-band rasters, the red/green/blue bands when labelled,
    else the first three bands; a single band is repeated."""
    if count >= 13:
        return (4, 3, 2)
    interp = list(colorinterp)
    rgb = [ColorInterp.red, ColorInterp.green, ColorInterp.blue]
    if all(c in interp for c in rgb):
        return tuple(interp.index(c) + 1 for c in rgb)
    if count >= 3:
        return (1, 2, 3)
    return (1, 1, 1)


def resolve_bands(count: int, bands, colorinterp=()) -> tuple[int, int, int]:
    """Validate a user band choice (1 or 3 one-based indexes); None means ``default_bands``."""
    if bands is None:
        return default_bands(count, colorinterp)
    bands = tuple(int(b) for b in bands)
    if len(bands) == 1:
        bands = bands * 3
    if len(bands) != 3:
        raise SamCoreError(f"choose 1 or 3 bands, not {len(bands)}")
    bad = [b for b in bands if not 1 <= b <= count]
    if bad:
        raise SamCoreError(f"band {bad[0]} does not exist: the raster has {count} band(s)")
    return bands


@dataclass(frozen=True)
class Stretch:
    """Per-band linear stretch from [low, high] to 0..255, identical for every window of a raster."""

    low: tuple[float, float, float]
    high: tuple[float, float, float]

    def apply(self, data: np.ndarray) -> np.ndarray:
        """(3, h, w) raw values → (h, w, 3) uint8."""
        low = np.asarray(self.low, np.float32)[:, None, None]
        span = np.asarray(self.high, np.float32)[:, None, None] - low
        scaled = (data.astype(np.float32) - low) / span
        return np.ascontiguousarray(
            (np.clip(scaled, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8).transpose(1, 2, 0)
        )

    @property
    def key(self) -> str:
        return json.dumps([list(map(float, self.low)), list(map(float, self.high))])


@dataclass(frozen=True)
class WindowImage:
    """Pixels of one window ready for SAM: RGB uint8, a validity mask, and a digest of the raw content."""

    rgb: np.ndarray  # (h, w, 3) uint8; invalid pixels are 0
    valid: np.ndarray  # (h, w) bool: inside the raster and not nodata
    digest: str  # sha256 of the raw values and masks read (content identity)


@dataclass(frozen=True)
class RasterSpec:
    """An open raster as another process reopens it: its path, bands and the stretch this process chose
    (so every worker turns pixels into the same RGB; its own sample would give the same, at a read's cost)."""

    path: str
    bands: tuple[int, ...]
    stretch: Stretch
    percentiles: tuple[float, ...] = DEFAULT_PERCENTILES
    identity: tuple = ()  # (size, mtime) when the client opened it: a rewritten file is opened afresh

    @staticmethod
    def identity_of(path: Path) -> tuple[str, int, int]:
        """(absolute path, size, mtime in ns): which file, and which version of it."""
        stat = path.stat()
        return str(path.resolve()), stat.st_size, stat.st_mtime_ns

    def open(self) -> RasterSource:
        source = RasterSource(self.path, self.bands, self.percentiles)
        source.stretch = self.stretch
        return source


class RasterSource:
    """An open raster with its band choice and stretch; use as a context manager or call ``close``."""

    def __init__(
        self, path: str | os.PathLike, bands=None, percentiles=DEFAULT_PERCENTILES, checked: bool = True
    ) -> None:
        """``checked``: refuse a raster without sound georeferencing or without a valid pixel (False only
        to describe a raster, as ``info`` does)."""
        self.path = Path(path)
        if not self.path.exists():
            raise SamCoreError(f"raster not found: {self.path}")
        bound_gdal_cache()
        try:
            self._ds = open_dataset(self.path)
        except (RasterioError, OSError) as exc:
            raise SamCoreError(f"cannot read raster {self.path.name}: {first_line(exc)}") from exc
        try:
            self.bands = resolve_bands(self._ds.count, bands, self._ds.colorinterp)
            self.percentiles = tuple(float(p) for p in percentiles)
            self.file_identity = RasterSpec.identity_of(self.path)
            if checked:
                check_georeferencing(self._ds, self.path.name)
                self._sample  # noqa: B018 - refuses a raster with no valid pixel now, not at its first tile
        except BaseException:
            self._ds.close()
            raise

    def spec(self) -> RasterSpec:
        """This raster as a worker reopens it (``RasterSpec``)."""
        path, *identity = self.file_identity
        return RasterSpec(path, tuple(self.bands), self.stretch, self.percentiles, tuple(identity))

    # -- metadata -------------------------------------------------------------------------------------
    @property
    def width(self) -> int:
        return self._ds.width

    @property
    def height(self) -> int:
        return self._ds.height

    @property
    def transform(self):
        return self._ds.transform

    @cached_property
    def crs(self):
        """The raster's CRS as a pyproj CRS (None when the file has none)."""
        return parse_crs(self._ds.crs.to_wkt()) if self._ds.crs else None

    def info(self) -> dict:
        """Plain-JSON description (the CLI's ``info``)."""
        ds = self._ds
        return {
            "path": str(self.path),
            "crs": crs_label(self.crs),
            "width": ds.width,
            "height": ds.height,
            "bands": ds.count,
            "dtype": ds.dtypes[0],
            "nodata": ds.nodata,
            "resolution": [abs(ds.res[0]), abs(ds.res[1])],
            "bounds": list(ds.bounds),
            "default_bands": list(default_bands(ds.count, ds.colorinterp)),
        }

    def grid(self, tile_size: int = config.TILE_SIZE, overlap: int = config.GRID_OVERLAP) -> TileGrid:
        return TileGrid(self.width, self.height, self.transform, self.crs, tile_size, overlap)

    # -- pixels ---------------------------------------------------------------------------------------
    @cached_property
    def _sample(self) -> np.ndarray:
        """(bands, n) valid values of the chosen bands (computed once per source); refuses a raster with no
        valid pixel."""
        return valid_sample(self._ds, sorted(set(self.bands)), self.path.name, self._read_valid)

    @cached_property
    def stretch(self) -> Stretch:
        """Percentile stretch from the valid pixels of one decimated read of the chosen bands."""
        unique = sorted(set(self.bands))
        sample = self._sample
        lows, highs = {}, {}
        for i, band in enumerate(unique):
            lo, hi = np.percentile(sample[i], self.percentiles)
            lows[band], highs[band] = float(lo), float(hi) if hi > lo else float(lo) + 1.0
        return Stretch(tuple(lows[b] for b in self.bands), tuple(highs[b] for b in self.bands))

    def read_window(self, window: PixelWindow) -> WindowImage:
        """Read a window that may extend past the raster; outside pixels come back invalid (0)."""
        inside = window.intersection(PixelWindow(0, 0, self.width, self.height))
        rgb = np.zeros((window.height, window.width, 3), np.uint8)
        valid = np.zeros((window.height, window.width), bool)
        digest = hashlib.sha256(repr((window.width, window.height, self.bands)).encode())
        if inside is not None:
            rio_window = Window(inside.col_off, inside.row_off, inside.width, inside.height)
            unique = sorted(set(self.bands))
            raw, masks = self._read_valid(unique, rio_window)
            digest.update(repr((inside.col_off - window.col_off, inside.row_off - window.row_off)).encode())
            digest.update(raw.tobytes())
            digest.update(masks.tobytes())
            order = [unique.index(b) for b in self.bands]
            r0, c0 = inside.row_off - window.row_off, inside.col_off - window.col_off
            block = self.stretch.apply(raw[order])
            block[~masks] = 0
            rgb[r0 : r0 + inside.height, c0 : c0 + inside.width] = block
            valid[r0 : r0 + inside.height, c0 : c0 + inside.width] = masks
        return WindowImage(rgb, valid, digest.hexdigest())

    def _read_valid(self, bands, window, out_shape=None) -> tuple[np.ndarray, np.ndarray]:
        return read_valid(self._ds, bands, window, out_shape, self.path.name)

    # -- lifetime -------------------------------------------------------------------------------------
    def close(self) -> None:
        self._ds.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_valid(ds, bands, window=None, out_shape=None, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The values of ``bands`` and which pixels are valid: any band valid (nodata, alpha and mask bands
    respected) and every band finite. Non-finite values come back as 0 (they are masked). The one rule of what
    a valid pixel is, for every command."""
    try:
        shape = None if out_shape is None else (len(bands), *out_shape)
        data = ds.read(bands, window=window, out_shape=shape, resampling=Resampling.nearest)
        masks = ds.read_masks(bands, window=window, out_shape=shape)
    except (RasterioError, OSError) as exc:
        raise SamCoreError(f"cannot read pixels of {name or ds.name}: {first_line(exc)}") from exc
    valid = np.any(masks > 0, axis=0)
    if data.dtype.kind in "fc":
        finite = np.isfinite(data)
        valid &= finite.all(axis=0)
        data = np.where(finite, data, 0).astype(data.dtype, copy=False)
    return data, valid


def valid_sample(ds, bands: list[int], name: str, read=None) -> np.ndarray:
    """(bands, n) valid values from one decimated read; when it finds none, the raster is scanned block by
    block at full resolution (at most ``SCAN_VALUES`` values kept) before it is refused. ``read(bands, window,
    out_shape)`` reads values and validity (default: ``read_valid`` of ``ds``)."""
    if read is None:

        def read(bands, window, out_shape=None):
            return read_valid(ds, bands, window, out_shape, name)

    scale = min(1.0, STATS_SIZE / max(ds.width, ds.height))
    shape = (max(1, round(ds.height * scale)), max(1, round(ds.width * scale)))
    data, valid = read(bands, None, shape)
    if valid.any():
        return data[:, valid]
    found, kept = [], 0
    for _, window in ds.block_windows(1) if scale < 1.0 else ():  # a small valid area stepped over
        data, valid = read(bands, window, None)
        if valid.any():
            found.append(data[:, valid])
            kept += found[-1].shape[1]
            if kept >= SCAN_VALUES:
                break
    if not found:
        raise SamCoreError(
            f"raster {name} has no valid pixel in band(s) {', '.join(map(str, bands))}: "
            "every pixel is nodata, masked, NaN or infinite"
        )
    return np.concatenate(found, axis=1)
