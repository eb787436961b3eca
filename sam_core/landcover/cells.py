"""Where a raster is classified: the cells an extent needs and the tiles that provide their features.

All in *working pixels* (the raster seen at the head's resolution, ``ResampledSource``). Cells are squares of
``cell`` working pixels anchored at the raster's origin, never at the extent, so a cell's class does not
depend on where the extent starts; they are clipped to the extent (and the raster), so they tile it without
gaps or overlaps. Tiles are the encoder-sized tiles of the working raster (``tiles``); where tiles overlap,
each tile *owns* the cells up to the middle of each overlap, so every encoder cell is taken from the tile
whose centre is nearest. Only the tiles that own a needed cell are encoded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS

from ..errors import SamCoreError
from ..geo.crs import transform_xy
from ..geo.gsd import ResampledSource

#: Points per extent edge when the extent comes in another CRS (its edges curve in the raster's CRS).
EXTENT_EDGE_POINTS = 65


def affine_params(t) -> list[float]:
    """An affine transform as shapely's ``affine_transform`` takes it (working pixels → raster CRS)."""
    return [t.a, t.b, t.d, t.e, t.c, t.f]


@dataclass
class Cells:
    """The cells an extent needs: index ranges, which are needed, and their clipped shapes (working px)."""

    i0: int
    j0: int
    needed: np.ndarray  # (rows, cols) bool
    shapes: np.ndarray  # (rows, cols) object: clipped polygon in working pixels, or None


class CellLayout:
    """Working-pixel geometry of one run: cells, tiles and which tile owns which cells."""

    def __init__(
        self,
        source: ResampledSource,
        tile_size: int,
        overlap: int,
        raster_gsd: float,
        patch_px: int,
        cell_size_m: float | None = None,
        max_cells: int = 2_000_000,
    ) -> None:
        self.source, self.max_cells = source, max_cells
        self.grid = source.grid(tile_size, overlap)
        self.working_gsd = raster_gsd * source.scale
        self.cell = float(patch_px) if cell_size_m is None else cell_size_m / self.working_gsd
        self.width = source.raster_width / source.scale  # the raster's extent in working pixels (exact)
        self.height = source.raster_height / source.scale

    def extent_polygon(self, extent, extent_crs: CRS | None) -> shapely.Geometry:
        """The extent (None: the whole raster) in working pixels, cut to the raster."""
        raster_box = shapely.box(0.0, 0.0, self.width, self.height)
        if extent is None:
            return raster_box
        xmin, ymin, xmax, ymax = extent
        if not (xmin < xmax and ymin < ymax):
            raise SamCoreError("the extent needs XMIN < XMAX and YMIN < YMAX")
        crs = self.source.crs
        if extent_crs is None or extent_crs == crs:
            xs, ys = np.array([xmin, xmax, xmax, xmin]), np.array([ymin, ymin, ymax, ymax])
        else:
            t = np.linspace(0.0, 1.0, EXTENT_EDGE_POINTS)[:-1]
            xs = np.concatenate(
                [
                    xmin + (xmax - xmin) * t,
                    np.full_like(t, xmax),
                    xmax - (xmax - xmin) * t,
                    np.full_like(t, xmin),
                ]
            )
            ys = np.concatenate(
                [
                    np.full_like(t, ymin),
                    ymin + (ymax - ymin) * t,
                    np.full_like(t, ymax),
                    ymax - (ymax - ymin) * t,
                ]
            )
            xs, ys = transform_xy(xs, ys, extent_crs, crs)
        u, v = self.grid.map_to_pixel(xs, ys)
        polygon = shapely.make_valid(shapely.Polygon(np.column_stack([u, v])))
        area = _polygonal(shapely.intersection(polygon, raster_box))
        if area.is_empty or area.area <= 0:
            raise SamCoreError("the extent does not overlap the raster")
        return area

    def cells(self, area) -> Cells:
        """The cells that cover ``area`` (working pixels), clipped to it; refused beyond ``max_cells``."""
        c = self.cell
        umin, vmin, umax, vmax = area.bounds
        i0, i1 = math.floor(umin / c), max(math.ceil(umax / c), math.floor(umin / c) + 1)
        j0, j1 = math.floor(vmin / c), max(math.ceil(vmax / c), math.floor(vmin / c) + 1)
        rows, cols = j1 - j0, i1 - i0
        if rows * cols > self.max_cells:
            raise SamCoreError(
                f"{rows * cols} cells of {c * self.working_gsd:g} m would be needed (at most "
                f"{self.max_cells}): choose a larger cell size or a smaller extent"
            )
        jj, ii = np.mgrid[j0:j1, i0:i1]
        boxes = shapely.box(ii * c, jj * c, (ii + 1) * c, (jj + 1) * c)
        shapely.prepare(area)
        whole = shapely.covers(area, boxes)
        shapes = np.where(whole, boxes, None)
        partial = ~whole & shapely.intersects(area, boxes)
        if partial.any():
            clipped = [_polygonal(g) for g in shapely.intersection(boxes[partial], area)]
            shapes[partial] = [g if g.area > 1e-9 * c * c else None for g in clipped]
        needed = shapely.is_geometry(shapes)
        if not needed.any():
            raise SamCoreError("the extent does not overlap the raster")
        return Cells(i0, j0, needed, shapes)

    def owned(self, index: int, count: int) -> tuple[float, float]:
        """Working-pixel interval a tile row/column provides features for: up to the middle of each
        overlap."""
        stride, half = self.grid.stride, self.grid.overlap / 2.0
        low = index * stride + half if index > 0 else 0.0
        high = (index + 1) * stride + half if index < count - 1 else index * stride + self.grid.tile_size
        return low, high

    def cell_range(self, low: float, high: float, first: int, count: int) -> range:
        """Indexes of the cells (of ``first`` .. ``first + count``) that meet the interval [low, high)."""
        c = self.cell
        return range(max(first, math.floor(low / c)), min(first + count, math.ceil(high / c)))

    def tiles_needed(self, cells: Cells) -> list:
        """The tiles that own at least one needed cell, in grid order (row by row)."""
        rows, cols = np.nonzero(cells.needed)
        c = self.cell
        u0, u1 = (cols.min() + cells.i0) * c, (cols.max() + cells.i0 + 1) * c
        v0, v1 = (rows.min() + cells.j0) * c, (rows.max() + cells.j0 + 1) * c
        needed = []
        for tile in self.grid.tiles_for_pixel_box(u0, v0, u1, v1):
            xr = self.cell_range(*self.owned(tile.col, self.grid.n_cols), cells.i0, cells.needed.shape[1])
            yr = self.cell_range(*self.owned(tile.row, self.grid.n_rows), cells.j0, cells.needed.shape[0])
            if len(xr) and len(yr):
                block = cells.needed[
                    yr.start - cells.j0 : yr.stop - cells.j0, xr.start - cells.i0 : xr.stop - cells.i0
                ]
                if block.any():
                    needed.append(tile)
        return needed


def _polygonal(geometry) -> shapely.Geometry:
    """The polygonal part of an intersection (touching edges can add lines or points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
