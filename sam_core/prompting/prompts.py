"""Prompts from map coordinates to one tile's pixels.

Points (foreground 1 / background 0) and at most one box per object, in any CRS. Every point must lie
inside the raster (an error, never a silent drop); a box is clipped to the raster and must overlap it. The
tile chosen is one whose inside-raster part contains every prompt and whose centre is nearest to the
prompts' centre, so an object is seen with the most context around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pyproj import CRS

from ..errors import SamCoreError
from ..geo.crs import transform_xy
from ..geo.tiles import Tile, TileGrid

#: pixels a map→pixel round trip may land past an edge (it lands within ~1e-13 px)
EDGE_TOL = 1e-6


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: int = 1  # 1 foreground, 0 background


@dataclass(frozen=True)
class Prompts:
    """The prompts of one object, in ``crs`` (None: the raster's CRS)."""

    points: tuple[Point, ...] = ()
    box: tuple[float, float, float, float] | None = None
    crs: CRS | None = None

    def __post_init__(self) -> None:
        if not self.points and self.box is None:
            raise SamCoreError("give at least one point or a box")
        if any(p.label not in (0, 1) for p in self.points):
            raise SamCoreError("a point label must be 1 (foreground) or 0 (background)")
        if self.box is not None and not (self.box[0] < self.box[2] and self.box[1] < self.box[3]):
            raise SamCoreError("a box needs xmin < xmax and ymin < ymax")

    @property
    def prompt_type(self) -> str:
        kinds = (["point"] if self.points else []) + (["box"] if self.box is not None else [])
        return "+".join(kinds)

    @property
    def n_foreground(self) -> int:
        return sum(p.label == 1 for p in self.points)

    @property
    def n_background(self) -> int:
        return sum(p.label == 0 for p in self.points)


@dataclass(frozen=True)
class PixelPrompts:
    """Prompts in one tile's continuous pixel coordinates (see ``tiles``)."""

    tile: Tile
    points: np.ndarray = field(repr=False)  # (n, 2) tile pixels
    labels: np.ndarray = field(repr=False)  # (n,)
    box: np.ndarray | None = field(repr=False)  # (4,) tile pixels u0, v0, u1, v1


def locate(prompts: Prompts, grid: TileGrid) -> PixelPrompts:
    """Transform prompts to raster pixels, validate them, and choose the tile that serves them."""
    points_px = _points_to_pixels(prompts, grid)
    box_px = _box_to_pixels(prompts, grid)
    corners = np.vstack([points_px, box_px.reshape(2, 2)]) if box_px is not None else points_px
    tile = choose_tile(grid, corners)
    labels = np.array([p.label for p in prompts.points], np.int64)
    box = None if box_px is None else np.column_stack(tile.to_tile_pixels(box_px[0::2], box_px[1::2])).ravel()
    return PixelPrompts(
        tile, np.column_stack(tile.to_tile_pixels(points_px[:, 0], points_px[:, 1])), labels, box
    )


def _points_to_pixels(prompts: Prompts, grid: TileGrid) -> np.ndarray:
    if not prompts.points:
        return np.zeros((0, 2))
    xs, ys = _to_raster_crs([p.x for p in prompts.points], [p.y for p in prompts.points], prompts.crs, grid)
    u, v = grid.map_to_pixel(xs, ys)
    for point, ui, vi in zip(prompts.points, u, v):
        # the raster's extent is closed: a point on its edge or corner is in it (within a round trip's error)
        if not (-EDGE_TOL <= ui <= grid.width + EDGE_TOL and -EDGE_TOL <= vi <= grid.height + EDGE_TOL):
            raise SamCoreError(f"point ({point.x:g}, {point.y:g}) is outside the raster")
    return np.column_stack([np.clip(u, 0, grid.width), np.clip(v, 0, grid.height)])


def _box_to_pixels(prompts: Prompts, grid: TileGrid) -> np.ndarray | None:
    if prompts.box is None:
        return None
    xmin, ymin, xmax, ymax = prompts.box
    if prompts.crs is not None and grid.crs is not None and prompts.crs != grid.crs:
        u0, v0, u1, v1 = grid.extent_to_pixel_box(xmin, ymin, xmax, ymax, prompts.crs)
    else:
        u, v = grid.map_to_pixel([xmin, xmax], [ymin, ymax])
        u0, u1, v0, v1 = min(u), max(u), min(v), max(v)
    clipped = np.array([max(u0, 0.0), max(v0, 0.0), min(u1, grid.width), min(v1, grid.height)])
    if clipped[0] >= clipped[2] or clipped[1] >= clipped[3]:
        raise SamCoreError(f"box ({xmin:g}, {ymin:g}, {xmax:g}, {ymax:g}) is outside the raster")
    return clipped


def _to_raster_crs(xs, ys, crs: CRS | None, grid: TileGrid):
    if crs is None or grid.crs is None:
        return np.asarray(xs, float), np.asarray(ys, float)
    return transform_xy(xs, ys, crs, grid.crs)


def choose_tile(grid: TileGrid, pixels: np.ndarray) -> Tile:
    """The tile containing every pixel position whose centre is nearest to their bounding-box centre."""
    u0, v0 = pixels.min(axis=0)
    u1, v1 = pixels.max(axis=0)
    # map→pixel round trips land within ~1e-13 px of a tile edge: the box is shrunk by EDGE_TOL, but never
    # past its own centre (a single point, or a point on the raster's corner, stays where it is)
    cu, cv = (u0 + u1) / 2, (v0 + v1) / 2
    a0, b0 = min(u0 + EDGE_TOL, cu), min(v0 + EDGE_TOL, cv)
    a1, b1 = max(u1 - EDGE_TOL, cu), max(v1 - EDGE_TOL, cv)
    candidates = [
        t
        for t in grid.tiles_for_pixel_box(u0, v0, u1, v1)
        if t.valid_window.contains(a0, b0) and t.valid_window.contains(a1, b1)
    ]
    if not candidates:
        span = max(u1 - u0, v1 - v0)
        raise SamCoreError(
            f"the prompts span {span:.0f} pixels, more than one tile of {grid.tile_size} "
            "pixels: draw a smaller box or use a larger tile size"
        )
    centre = np.array([(u0 + u1) / 2, (v0 + v1) / 2])
    return min(candidates, key=lambda t: float(np.hypot(*(np.array(t.window.centre) - centre))))
