"""Overlapping tiles' class probabilities → one blended field, released tile by tile in bounded memory.

Each tile's per-class probabilities are added with the weight detection blends with (``geo.overlap``: a
tent that ramps from the tile's edge across the overlap), so two tiles cross-fade and the class map has no
seam. A pixel's value depends only on the tiles of the raster's grid that cover it, added in grid order, so
a class map is identical whichever extent it was cut from.

Tiles come row by row, left to right (``TileGrid.tiles_for_pixel_box``), overlapping by at most half a
tile, so a pixel is covered by tiles of two rows and two columns at most. Row j of tiles *owns* the raster
rows [j·stride, (j+1)·stride) (the last row everything to its tiles' end), and tile i of the row owns the
columns [i·stride, (i+1)·stride) likewise. Once tile (i, j) is added, its owned block is final: nothing
later touches it, and it is released (``FinalBlock``). What is not final yet is kept:

- the *carry*: the rows below the owned ones that the next row of tiles overlaps (overlap × the extent's
  width), and
- the *work* window: the owned rows of the current tile, whose right overlap the next tile adds to.

Memory is K float32 planes of (overlap × width + tile × tile), a quarter of a strip of tiles, and no tile is
computed twice; the carry is one buffer, each column consumed by the row that needs it before that row adds
what it leaves for the next. Only weighted sums are kept: softmax probabilities sum to one, so a pixel's weight is the
sum of its classes' sums, and a pixel that no valid tile pixel covered has all sums 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..geo.overlap import blend_ramp
from ..geo.tiles import PixelWindow, Tile

#: the class code of a pixel no valid tile pixel covers (nodata in the input, outside the raster)
NODATA = 255


@dataclass(frozen=True, eq=False)
class FinalBlock:
    """Blended pixels of the extent at raster (``col_off``, ``row_off``): class codes (NODATA where nothing
    valid covered a pixel) and the winning class's blended probability (0 there)."""

    col_off: int
    row_off: int
    classes: np.ndarray  # (h, w) uint8
    probability: np.ndarray  # (h, w) float32
    probabilities: np.ndarray | None = None  # (K, h, w) float32 every class's, when asked for

    @property
    def height(self) -> int:
        return self.classes.shape[0]

    @property
    def width(self) -> int:
        return self.classes.shape[1]


def finalise(sums: np.ndarray, col_off: int, row_off: int, every_class: bool = False) -> FinalBlock:
    """(K, h, w) weighted sums → classes, the winner's probability (and every class's)."""
    total = sums.sum(axis=0)
    covered = total > 0
    best = sums.argmax(axis=0)
    classes = np.where(covered, best, NODATA).astype(np.uint8)
    top = np.take_along_axis(sums, best[None], 0)[0]
    probability = np.divide(top, total, out=np.zeros_like(total), where=covered)
    every = None
    if every_class:
        every = np.zeros_like(sums)
        np.divide(sums, total, out=every, where=covered)
    return FinalBlock(col_off, row_off, classes, probability, every)


class ClassBlender:
    """Blend the tiles of one extent, ``add``-ed in grid order; each returns the blocks it made final.
    ``last_col``/``last_row``: the grid indexes of the extent's last tile column and row (they own
    everything to their tiles' end)."""

    def __init__(
        self,
        region: PixelWindow,
        tile_px: int,
        overlap_px: int,
        n_classes: int,
        last_col: int,
        last_row: int,
        every_class: bool = False,
    ) -> None:
        if 2 * overlap_px > tile_px:
            raise ValueError("tiles may overlap by at most half a tile")
        self.region, self.tile, self.overlap = region, tile_px, overlap_px
        self.stride, self.every_class = tile_px - overlap_px, every_class
        self.ramp = blend_ramp(tile_px, overlap_px).astype(np.float32)
        # the carried rows (from j·stride): what the row above left, column by column replaced by what this
        # row leaves for the next as the tiles go (a column is consumed before this row adds to it)
        self.carry = np.zeros((n_classes, overlap_px, region.width), np.float32)
        self.work = np.zeros((n_classes, tile_px, tile_px), np.float32)  # owned rows × the tile's columns
        self.row = self.col = None  # the current tile's grid row and column
        self.last_col, self.last_row = last_col, last_row

    def add(self, tile: Tile, probability: np.ndarray, valid: np.ndarray) -> list[FinalBlock]:
        """``probability`` (K, tile, tile) on the tile's pixels; ``valid`` (tile, tile) bool."""
        if self.row != tile.row:
            self.row, self.col = tile.row, None
        self._start_tile(tile.col)
        weight = np.outer(self.ramp, self.ramp) * valid
        weighted = probability * weight
        top, bottom = self._owned_rows(tile.row)
        x0, x1 = max(tile.window.col_off, self.region.col_off), min(tile.window.col_end, self.region.col_end)
        if x1 <= x0:
            return []
        tx = slice(x0 - tile.window.col_off, x1 - tile.window.col_off)
        if bottom > top:  # the owned rows, into the work window (its columns are the tile's)
            ty = slice(top - tile.window.row_off, bottom - tile.window.row_off)
            self.work[:, : bottom - top, tx] += weighted[:, ty, tx]
        carry_end = min(tile.window.row_end, self.region.row_end)
        if tile.row != self.last_row and carry_end > bottom:  # the rows the next tile row overlaps
            cy = slice(bottom - tile.window.row_off, carry_end - tile.window.row_off)
            cx = slice(x0 - self.region.col_off, x1 - self.region.col_off)
            self.carry[:, : carry_end - bottom, cx] += weighted[:, cy, tx]
        return self._release(tile, top, bottom)

    def _owned_rows(self, row: int) -> tuple[int, int]:
        start = row * self.stride
        end = start + (self.tile if row == self.last_row else self.stride)
        return max(start, self.region.row_off), min(end, self.region.row_end)

    def _owned_cols(self, col: int) -> tuple[int, int]:
        start = col * self.stride
        end = start + (self.tile if col == self.last_col else self.stride)
        return max(start, self.region.col_off), min(end, self.region.col_end)

    def _start_tile(self, col: int) -> None:
        """Shift the work window to the tile's columns (keeping the previous tile's overlap) and bring in
        what the row above left for the new columns."""
        s, o, t = self.stride, self.overlap, self.tile
        if self.col is None:
            self.work[:] = 0
            fresh = 0
        else:
            self.work[:, :, :o] = self.work[:, :, s:]  # no overlap: o <= s
            self.work[:, :, o:] = 0
            fresh = o
        self.col = col
        top, bottom = self._owned_rows(self.row)
        rows = min(bottom - top, max(0, self.row * s + o - top))  # owned rows the carry holds
        c0 = col * s + fresh
        x0, x1 = max(c0, self.region.col_off), min(col * s + t, self.region.col_end)
        if rows > 0 and x1 > x0:
            skip = max(0, self.region.row_off - self.row * s)  # the extent may start inside the carried rows
            carry = self.carry[:, skip : skip + rows, x0 - self.region.col_off : x1 - self.region.col_off]
            self.work[:, :rows, x0 - col * s : x1 - col * s] += carry
        if x1 > x0:  # consumed: these columns now collect what this row leaves for the next
            self.carry[:, :, x0 - self.region.col_off : x1 - self.region.col_off] = 0

    def _release(self, tile: Tile, top: int, bottom: int) -> list[FinalBlock]:
        c0, c1 = self._owned_cols(tile.col)
        if bottom <= top or c1 <= c0:
            return []
        local = slice(c0 - tile.window.col_off, c1 - tile.window.col_off)
        return [finalise(self.work[:, : bottom - top, local], c0, top, self.every_class)]


def blended_blocks(
    region: PixelWindow,
    tiles: list[Tile],
    overlap_px: int,
    n_classes: int,
    tile_output: Callable[[Tile], tuple[np.ndarray, np.ndarray]],
    every_class: bool = False,
    on_tile: Callable[[], None] | None = None,
) -> Iterator[FinalBlock]:
    """Blend ``tiles`` (all those of the grid that meet ``region``, in grid order), each given by
    ``tile_output(tile)`` → (probabilities, valid); yield each block of ``region`` as it becomes final."""
    if not tiles:
        return
    last_col, last_row = max(t.col for t in tiles), max(t.row for t in tiles)
    blender = ClassBlender(region, tiles[0].size, overlap_px, n_classes, last_col, last_row, every_class)
    for tile in tiles:
        yield from blender.add(tile, *tile_output(tile))
        if on_tile:
            on_tile()


def assemble(blocks: list[FinalBlock], window: PixelWindow) -> np.ndarray:
    """(K, h, w) every class's probability over ``window`` from the blocks that tile it."""
    first = blocks[0].probabilities
    out = np.zeros((first.shape[0], window.height, window.width), np.float32)
    for block in blocks:
        r, c = block.row_off - window.row_off, block.col_off - window.col_off
        out[:, r : r + block.height, c : c + block.width] = block.probabilities
    return out
