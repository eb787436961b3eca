"""Overlapping tiles' class probabilities → one blended field, released strip by strip in bounded memory.

Each tile's per-class probabilities are added into a buffer with the weight ``finetune.stitch`` blends
detection probabilities with (a tent that ramps from the tile's edge across the overlap), so two tiles
cross-fade and the class map has no seam. The weights are the same whatever the extent: a pixel's value
depends only on the tiles of the raster's grid that cover it, added in the same order, so a class map is
identical whichever extent it was cut from. Once a row of tiles is done, the rows no later tile touches are
final and leave the buffer: memory is K + 1 float32 planes of one tile height × the extent's width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geo.overlap import blend_ramp
from ..geo.tiles import PixelWindow, Tile

#: the class code of a pixel no valid tile pixel covers (nodata in the input, outside the raster)
NODATA = 255


@dataclass(frozen=True, eq=False)
class FinalRows:
    """Blended rows ``row_off``.. of the extent: class codes (NODATA where nothing valid covered a pixel) and
    the winning class's blended probability (0 there)."""

    row_off: int  # raster row of the first row
    classes: np.ndarray  # (h, width) uint8
    probability: np.ndarray  # (h, width) float32
    probabilities: np.ndarray | None = None  # (K, h, width) float32 every class's, when asked for

    @property
    def height(self) -> int:
        return self.classes.shape[0]


class ClassBlender:
    """Add tiles row of tiles by row of tiles (grid order); ``release(upto)`` returns the rows above ``upto``."""

    def __init__(self, region: PixelWindow, tile_px: int, overlap_px: int, n_classes: int) -> None:
        self.region = region
        self.ramp = blend_ramp(tile_px, overlap_px).astype(np.float32)
        self.top = region.row_off  # raster row of the buffer's first row
        self.sums = np.zeros((n_classes, tile_px, region.width), np.float32)
        self.weights = np.zeros((tile_px, region.width), np.float32)

    def add(self, tile: Tile, probability: np.ndarray, valid: np.ndarray) -> None:
        """``probability`` (K, tile, tile) on the tile's pixels; ``valid`` (tile, tile) bool."""
        part = tile.window.intersection(self.region)
        if part is None:
            return
        tr, tc = part.row_off - tile.window.row_off, part.col_off - tile.window.col_off
        rows, cols = slice(tr, tr + part.height), slice(tc, tc + part.width)
        weight = np.outer(self.ramp[rows], self.ramp[cols]) * valid[rows, cols]
        br, bc = part.row_off - self.top, part.col_off - self.region.col_off
        if br < 0 or br + part.height > self.weights.shape[0]:
            raise ValueError("tiles must come in grid order, one row of tiles after the other")
        target = (slice(br, br + part.height), slice(bc, bc + part.width))
        self.sums[:, target[0], target[1]] += probability[:, rows, cols] * weight
        self.weights[target] += weight

    def release(self, upto: int, every_class: bool = False) -> FinalRows | None:
        """The final rows from the buffer's top to raster row ``upto`` (exclusive), removed from the buffer;
        ``every_class`` also gives every class's blended probability."""
        upto = min(upto, self.region.row_end)
        n = upto - self.top
        if n <= 0:
            return None
        sums, weights = self.sums[:, :n], self.weights[:n]
        covered = weights > 0
        classes = np.where(covered, sums.argmax(axis=0), NODATA).astype(np.uint8)
        best = np.take_along_axis(sums, classes.clip(max=len(sums) - 1)[None].astype(np.intp), 0)[0]
        probability = np.divide(best, weights, out=np.zeros_like(weights), where=covered)
        every = np.divide(sums, weights, out=np.zeros_like(sums), where=covered) if every_class else None
        final = FinalRows(self.top, classes, probability, every)
        keep = self.weights.shape[0] - n
        self.sums[:, :keep] = self.sums[:, n:].copy()
        self.sums[:, keep:] = 0
        self.weights[:keep] = self.weights[n:].copy()
        self.weights[keep:] = 0
        self.top = upto
        return final
