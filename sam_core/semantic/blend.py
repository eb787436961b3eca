"""Overlapping tiles' class probabilities → one blended field, released strip by strip in bounded memory.

Each tile's per-class probabilities are added into a buffer with the weight ``finetune.stitch`` blends
detection probabilities with (a tent that ramps from the tile's edge across the overlap), so two tiles
cross-fade and the class map has no seam. The weights are the same whatever the extent: a pixel's value
depends only on the tiles of the raster's grid that cover it, added in the same order, so a class map is
identical whichever extent it was cut from. Once a row of tiles is done, the rows no later tile touches are
final and leave the buffer: memory is K float32 planes of one tile height × the block's width (``mapping``
cuts a wide extent into blocks of columns).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..geo.overlap import blend_ramp
from ..geo.tiles import PixelWindow, Tile

#: the class code of a pixel no valid tile pixel covers (nodata in the input, outside the raster)
NODATA = 255
#: columns of final rows worked at a time
CHUNK_PX = 1024
#: the most the blend buffer of one block of columns may hold (``column_blocks``)
BLOCK_BYTES = 32 * 2**20


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
    """Add tiles row of tiles by row of tiles (grid order); ``release(upto)`` returns the rows above ``upto``.

    Only the weighted sums are kept: softmax probabilities sum to one, so a pixel's weight is the sum of its
    classes' sums (no plane of weights), and a pixel no valid tile pixel covered has all sums 0.
    """

    def __init__(self, region: PixelWindow, tile_px: int, overlap_px: int, n_classes: int) -> None:
        self.region = region
        self.ramp = blend_ramp(tile_px, overlap_px).astype(np.float32)
        self.top = region.row_off  # raster row of the buffer's first row
        self.sums = np.zeros((n_classes, tile_px, region.width), np.float32)

    def add(self, tile: Tile, probability: np.ndarray, valid: np.ndarray) -> None:
        """``probability`` (K, tile, tile) on the tile's pixels; ``valid`` (tile, tile) bool."""
        part = tile.window.intersection(self.region)
        if part is None:
            return
        tr, tc = part.row_off - tile.window.row_off, part.col_off - tile.window.col_off
        rows, cols = slice(tr, tr + part.height), slice(tc, tc + part.width)
        weight = np.outer(self.ramp[rows], self.ramp[cols]) * valid[rows, cols]
        br, bc = part.row_off - self.top, part.col_off - self.region.col_off
        if br < 0 or br + part.height > self.sums.shape[1]:
            raise ValueError("tiles must come in grid order, one row of tiles after the other")
        self.sums[:, br : br + part.height, bc : bc + part.width] += probability[:, rows, cols] * weight

    def release(self, upto: int, every_class: bool = False) -> FinalRows | None:
        """The final rows from the buffer's top to raster row ``upto`` (exclusive), removed from the buffer;
        ``every_class`` also gives every class's blended probability. Worked ``CHUNK_PX`` columns at a time,
        so the temporaries stay small whatever the width."""
        upto = min(upto, self.region.row_end)
        n = upto - self.top
        if n <= 0:
            return None
        width = self.region.width
        classes = np.empty((n, width), np.uint8)
        probability = np.empty((n, width), np.float32)
        every = np.empty((len(self.sums), n, width), np.float32) if every_class else None
        for c0 in range(0, width, CHUNK_PX):
            sums = self.sums[:, :n, c0 : c0 + CHUNK_PX]
            total = sums.sum(axis=0)
            covered = total > 0
            best = sums.argmax(axis=0)
            classes[:, c0 : c0 + CHUNK_PX] = np.where(covered, best, NODATA)
            top = np.take_along_axis(sums, best[None], 0)[0]
            probability[:, c0 : c0 + CHUNK_PX] = np.divide(
                top, total, out=np.zeros_like(total), where=covered
            )
            if every is not None:
                np.divide(sums, total, out=every[:, :, c0 : c0 + CHUNK_PX], where=covered)
                every[:, :, c0 : c0 + CHUNK_PX][:, ~covered] = 0.0
        keep = self.sums.shape[1] - n
        self.sums[:, :keep] = self.sums[:, n:]  # no overlap while the overlap is at most half a tile
        self.sums[:, keep:] = 0
        self.top = upto
        return FinalRows(upto - n, classes, probability, every)


def column_blocks(region: PixelWindow, tile_px: int, stride: int, n_classes: int) -> list[PixelWindow]:
    """``region`` cut into full-height blocks of columns whose blend buffer fits ``BLOCK_BYTES`` (a whole
    number of strides wide, at least one): memory stays flat however wide the raster. A tile straddling two
    blocks is blended into each (its embedding comes from the cache the second time); a pixel still gets
    every tile that covers it, in the same order, so the map is the same as with one block."""
    columns = max(stride, BLOCK_BYTES // (4 * n_classes * tile_px) // stride * stride)
    return [
        PixelWindow(c0, region.row_off, min(columns, region.col_end - c0), region.height)
        for c0 in range(region.col_off, region.col_end, columns)
    ]


def blended_rows(
    blender: ClassBlender,
    tiles: list[Tile],
    tile_output: Callable[[Tile], tuple[np.ndarray, np.ndarray]],
    every_class: bool = False,
    on_tile: Callable[[], None] | None = None,
) -> Iterator[FinalRows]:
    """Add ``tiles`` (grid order) with ``tile_output(tile)`` → (probabilities, valid); yield the rows of the
    blender's region as they become final."""
    for index, tile in enumerate(tiles):
        if index and tile.row != tiles[index - 1].row:
            rows = blender.release(tile.window.row_off, every_class)
            if rows is not None:
                yield rows
        blender.add(tile, *tile_output(tile))
        if on_tile:
            on_tile()
    rows = blender.release(blender.region.row_end, every_class)
    if rows is not None:
        yield rows
