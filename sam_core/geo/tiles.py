"""Georeferenced tile grid: pixel windows anchored to the raster's own grid, and exact map↔pixel maths.

Pixel coordinates are *continuous*: (0, 0) is the upper-left corner of the upper-left pixel and the centre
of pixel (col, row) is (col + 0.5, row + 0.5). Tiles start at multiples of ``stride = tile_size - overlap``
from the raster's origin, whatever extent is asked for, so results never depend on where a request starts.
Edge tiles keep the full tile size and are padded (outside pixels are invalid), so every tile is seen by the
model at the same scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from affine import Affine
from pyproj import CRS

from .. import config
from ..errors import SamCoreError
from .crs import transform_xy


@dataclass(frozen=True)
class PixelWindow:
    """A rectangle of whole pixels: columns [col_off, col_off + width), rows [row_off, row_off + height)."""

    col_off: int
    row_off: int
    width: int
    height: int

    @property
    def col_end(self) -> int:
        return self.col_off + self.width

    @property
    def row_end(self) -> int:
        return self.row_off + self.height

    def intersection(self, other: PixelWindow) -> PixelWindow | None:
        c0, r0 = max(self.col_off, other.col_off), max(self.row_off, other.row_off)
        c1, r1 = min(self.col_end, other.col_end), min(self.row_end, other.row_end)
        if c1 <= c0 or r1 <= r0:
            return None
        return PixelWindow(c0, r0, c1 - c0, r1 - r0)

    def contains(self, u: float, v: float) -> bool:
        return self.col_off <= u <= self.col_end and self.row_off <= v <= self.row_end

    @property
    def centre(self) -> tuple[float, float]:
        return self.col_off + self.width / 2.0, self.row_off + self.height / 2.0


@dataclass(frozen=True)
class Tile:
    """One tile of the grid: its pixel window (possibly past the raster edge), transform and CRS."""

    col: int
    row: int
    window: PixelWindow
    valid_window: PixelWindow  # the part inside the raster
    transform: Affine  # maps tile pixel coordinates to map coordinates
    crs: CRS | None
    raster_transform: Affine  # maps raster pixel coordinates to map coordinates

    @property
    def size(self) -> int:
        return self.window.width

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the whole tile window in the raster's CRS."""
        xs, ys = _apply(self.transform, [0, self.size, 0, self.size], [0, 0, self.size, self.size])
        return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())

    def to_tile_pixels(self, u, v) -> tuple[np.ndarray, np.ndarray]:
        """Raster pixel coordinates → this tile's pixel coordinates."""
        return np.asarray(u, float) - self.window.col_off, np.asarray(v, float) - self.window.row_off


class TileGrid:
    """Square tiles of ``tile_size`` pixels overlapping by ``overlap`` pixels over a whole raster."""

    def __init__(
        self,
        width: int,
        height: int,
        transform: Affine,
        crs: CRS | None,
        tile_size: int = config.TILE_SIZE,
        overlap: int = config.GRID_OVERLAP,
    ) -> None:
        if tile_size < 16:
            raise SamCoreError(f"tile size must be at least 16 pixels, not {tile_size}")
        if not 0 <= overlap < tile_size:
            raise SamCoreError(f"overlap must be between 0 and the tile size minus one, not {overlap}")
        self.width, self.height = int(width), int(height)
        self.transform, self.crs = transform, crs
        self.tile_size, self.overlap = int(tile_size), int(overlap)
        self.raster_window = PixelWindow(0, 0, self.width, self.height)

    @property
    def stride(self) -> int:
        return self.tile_size - self.overlap

    def _count(self, length: int) -> int:
        return 1 if length <= self.tile_size else math.ceil((length - self.tile_size) / self.stride) + 1

    @property
    def n_cols(self) -> int:
        return self._count(self.width)

    @property
    def n_rows(self) -> int:
        return self._count(self.height)

    def tile(self, col: int, row: int) -> Tile:
        if not (0 <= col < self.n_cols and 0 <= row < self.n_rows):
            raise IndexError(f"tile ({col}, {row}) is outside a {self.n_cols}×{self.n_rows} grid")
        window = PixelWindow(col * self.stride, row * self.stride, self.tile_size, self.tile_size)
        transform = self.transform @ Affine.translation(window.col_off, window.row_off)
        return Tile(
            col, row, window, window.intersection(self.raster_window), transform, self.crs, self.transform
        )

    def tiles(self) -> list[Tile]:
        return [self.tile(c, r) for r in range(self.n_rows) for c in range(self.n_cols)]

    def tiles_for_pixel_box(self, u0: float, v0: float, u1: float, v1: float) -> list[Tile]:
        """Tiles whose inside-raster part intersects the pixel box (the box is clipped to the raster)."""
        # a zero-size box (a single point) still touches the pixel it falls in; clamp to the raster after that
        c0, r0 = math.floor(u0), math.floor(v0)
        # a point on the raster's right or bottom edge (the extent is closed) touches the last pixel
        c0 = self.width - 1 if u0 == u1 == self.width else c0
        r0 = self.height - 1 if v0 == v1 == self.height else r0
        c1, r1 = max(math.ceil(u1), c0 + 1), max(math.ceil(v1), r0 + 1)
        c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, self.width), min(r1, self.height)
        if c1 <= c0 or r1 <= r0:
            return []
        box = PixelWindow(c0, r0, c1 - c0, r1 - r0)
        cols = range(max(0, (c0 - self.tile_size) // self.stride), min(self.n_cols, c1 // self.stride + 1))
        rows = range(max(0, (r0 - self.tile_size) // self.stride), min(self.n_rows, r1 // self.stride + 1))
        tiles = (self.tile(c, r) for r in rows for c in cols)
        return [t for t in tiles if t.valid_window.intersection(box)]

    def tiles_for_extent(
        self, xmin: float, ymin: float, xmax: float, ymax: float, extent_crs: CRS | None = None
    ) -> list[Tile]:
        """Tiles covering a map extent given in ``extent_crs`` (default the raster's CRS)."""
        u0, v0, u1, v1 = self.extent_to_pixel_box(xmin, ymin, xmax, ymax, extent_crs)
        return self.tiles_for_pixel_box(u0, v0, u1, v1)

    def extent_to_pixel_box(self, xmin, ymin, xmax, ymax, extent_crs: CRS | None = None):
        """Pixel bounding box of an extent; its edges are densified so curved reprojections are covered."""
        t = np.linspace(0.0, 1.0, 21)
        xs = np.concatenate(
            [xmin + (xmax - xmin) * t, np.full_like(t, xmax), xmax - (xmax - xmin) * t, np.full_like(t, xmin)]
        )
        ys = np.concatenate(
            [np.full_like(t, ymin), ymin + (ymax - ymin) * t, np.full_like(t, ymax), ymax - (ymax - ymin) * t]
        )
        if extent_crs is not None and self.crs is not None:
            xs, ys = transform_xy(xs, ys, extent_crs, self.crs)
        u, v = self.map_to_pixel(xs, ys)
        return float(u.min()), float(v.min()), float(u.max()), float(v.max())

    @cached_property
    def _inverse(self) -> Affine:
        return ~self.transform

    def map_to_pixel(self, xs, ys) -> tuple[np.ndarray, np.ndarray]:
        """Map coordinates (raster CRS) → continuous raster pixel coordinates (col, row)."""
        return _apply(self._inverse, xs, ys)

    def pixel_to_map(self, us, vs) -> tuple[np.ndarray, np.ndarray]:
        """Continuous raster pixel coordinates → map coordinates (raster CRS)."""
        return _apply(self.transform, us, vs)


def _apply(t: Affine, xs, ys) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    return t.a * xs + t.b * ys + t.c, t.d * xs + t.e * ys + t.f
