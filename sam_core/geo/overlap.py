"""Overlapping tiles: the overlap in pixels, the raster pixels an extent covers, and the weights that
cross-fade overlapping tiles' outputs (detection probabilities, class probabilities) so no seam is left.

One definition for ``finetune.detect`` and ``semantic.mapping``: both anchor tiles to the raster's grid,
so a pixel's blended value depends only on the tiles covering it, never on the extent asked for.
"""

from __future__ import annotations

import math

import numpy as np
from pyproj import CRS

from ..errors import SamCoreError
from .tiles import PixelWindow, TileGrid

#: the default overlap: a quarter of the tile
DEFAULT_OVERLAP = 0.25
#: the weight of a tile's very edge pixel: small but positive, so a pixel seen by one tile only keeps it
EDGE_WEIGHT = 1e-3


def overlap_px(overlap: float, tile: int) -> int:
    """Overlap in pixels: a fraction of the tile below 1, else pixels; always less than the tile."""
    if not math.isfinite(overlap) or overlap < 0:
        raise SamCoreError(f"the overlap must be 0 or more, not {overlap:g}")
    pixels = round(overlap * tile) if overlap < 1 else int(overlap)
    if pixels >= tile:
        raise SamCoreError(f"the overlap ({pixels} px) must be less than the tile ({tile} px)")
    return pixels


def extent_window(grid: TileGrid, extent=None, extent_crs: CRS | None = None) -> PixelWindow:
    """The raster pixels an extent covers (whole pixels, clipped to the raster); the whole raster for None."""
    if extent is None:
        return grid.raster_window
    u0, v0, u1, v1 = grid.extent_to_pixel_box(*extent, extent_crs)
    if u1 < 0 or v1 < 0 or u0 > grid.width or v0 > grid.height:
        raise SamCoreError("the extent does not overlap the raster")
    c0, r0 = min(max(0, math.floor(u0)), grid.width - 1), min(max(0, math.floor(v0)), grid.height - 1)
    c1, r1 = min(max(math.ceil(u1), c0 + 1), grid.width), min(max(math.ceil(v1), r0 + 1), grid.height)
    return PixelWindow(c0, r0, c1 - c0, r1 - r0)


def blend_ramp(tile_px: int, overlap_px: int) -> np.ndarray:
    """(tile,) float64 weights along one side: 1 inside, ramping to ~0 over ``overlap_px`` at both ends."""
    centre = np.arange(tile_px, dtype=np.float64) + 0.5
    distance = np.minimum(centre, tile_px - centre)
    return np.ones(tile_px) if overlap_px <= 0 else np.clip(distance / overlap_px, EDGE_WEIGHT, 1.0)


def blend_weight(tile_px: int, overlap_px: int) -> np.ndarray:
    """(tile, tile) float32 weights: 1 inside, ramping to ~0 over ``overlap_px`` at every edge. Two tiles
    overlapping by ``overlap_px`` have weights summing to 1 across their overlap (four at a corner too)."""
    ramp = blend_ramp(tile_px, overlap_px)
    return np.outer(ramp, ramp).astype(np.float32)
