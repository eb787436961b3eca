"""Overlapping tiles' probabilities → one blended field → objects, strip by strip, in bounded memory.

Tiles come in grid-row order. Each tile's probabilities are added into a strip buffer with a weight that
ramps linearly from the tile's edge across the overlap (a tent clipped at 1), so where two tiles overlap
their weights cross-fade and sum to one: the blended field has no seam. Once a tile row is done, the rows
no later tile touches are final: they are thresholded, split into 4-connected components (each one
object's piece, as ``vectorize.mask_to_geometry`` traces them), ``CHUNK_PX`` columns at a time, and dropped
from the buffer. Memory is the strip (tile side × extent width at 5 bytes a pixel: the weights' sum is
separable, so it is kept as two vectors), one chunk's labelling, and the pieces of objects still open at the
strip's lower edge.

Pieces that touch across a seam (a pixel set on both sides, in the same column across a strip seam or the
same row across a chunk seam) are one object; like
``prompting.merge`` the union is done on masks: an object's pieces are painted into one mask and traced
once, which is exact and costs nothing for ragged outlines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from affine import Affine
from rasterio import features
from shapely.geometry import MultiPolygon, Polygon, shape

from ..geo.overlap import blend_ramp, blend_weight
from ..geo.tiles import PixelWindow, Tile
from ..geo.vectorize import mask_to_geometry

#: columns of final rows labelled at a time: bounds the temporaries whatever the raster's width
CHUNK_PX = 1024


@dataclass(frozen=True, eq=False)
class Piece:
    """One 4-connected component of a strip's final mask, as packed bits of its bounding box."""

    bits: np.ndarray
    box: PixelWindow  # raster pixels
    pixels: int
    probability_sum: float

    def mask(self) -> np.ndarray:
        size = self.box.width * self.box.height
        return np.unpackbits(self.bits, count=size).astype(bool).reshape(self.box.height, self.box.width)


@dataclass(frozen=True)
class StitchedObject:
    """One object: its pixel-exact outline (the raster's CRS), its bounding box in raster pixels, its
    pixels and their mean blended probability."""

    geometry: MultiPolygon
    box: PixelWindow
    probability: float
    pixels: int


def label_components(mask: np.ndarray) -> tuple[np.ndarray, list[PixelWindow]]:
    """4-connected components of ``mask``: labels (0 background, 1..n) and each one's bounding box (in
    ``mask``'s pixels). GDAL's polygon tracer finds them; rasterising the polygons back numbers the pixels."""
    labels = np.zeros(mask.shape, np.int32)
    if not mask.any():
        return labels, []
    crop = mask.astype(np.uint8)
    found = [
        (geometry, index + 1)
        for index, (geometry, _) in enumerate(features.shapes(crop, mask=mask, connectivity=4))
    ]
    features.rasterize(found, out=labels, transform=Affine.identity(), all_touched=False)
    boxes = []
    for geometry, _ in found:
        x0, y0, x1, y1 = (round(v) for v in shape(geometry).bounds)
        boxes.append(PixelWindow(x0, y0, x1 - x0, y1 - y0))
    return labels, boxes


class Stitcher:
    """Blend tiles over ``region`` (raster pixels) and return the objects above ``threshold``.

    Call ``add`` for every tile of a grid row, then ``end_row``; rows in increasing order; ``finish``
    once all rows are in. ``stride`` is the grid's (tile rows start at multiples of it); ``transform`` maps
    raster pixels to the map; islands and holes below ``min_region_px`` pixels are removed from each object.
    Final rows are labelled ``chunk_px`` columns at a time, so the temporaries do not grow with the width.
    """

    def __init__(
        self,
        region: PixelWindow,
        tile_px: int,
        overlap_px: int,
        stride: int,
        threshold: float,
        transform: Affine,
        min_region_px: int = 0,
        chunk_px: int = CHUNK_PX,
    ) -> None:
        self.region, self.stride, self.threshold = region, stride, float(threshold)
        self.transform, self.min_region_px = transform, int(min_region_px)
        self.chunk_px = max(1, int(chunk_px))
        self.weight = blend_weight(tile_px, overlap_px)
        self.ramp = blend_ramp(tile_px, overlap_px)  # the weight is its outer product: the sums' factors
        self.top = region.row_off  # first row not final yet
        self.num = np.zeros((0, region.width), np.float32)
        self.valid = np.zeros((0, region.width), bool)
        # the tiles form a full grid, so the weights' sum is separable: rows (one grid column) × columns (one row)
        self.den_rows = np.zeros(0, np.float32)
        self.den_cols = np.zeros(region.width, np.float32)
        self.first: Tile | None = None
        self.pieces: list[Piece] = []
        self.parent: list[int] = []
        self.open_row: np.ndarray | None = None  # piece index + 1 along the last final row, 0 where unset
        self.objects: list[StitchedObject] = []

    def add(self, tile: Tile, probability: np.ndarray, valid: np.ndarray) -> None:
        """``probability`` and ``valid``: (tile, tile) on the tile's window."""
        common = tile.window.intersection(self.region)
        if common is None:
            return
        self.first = self.first or tile
        self._cover(common.row_end)
        ty, tx = common.row_off - tile.window.row_off, common.col_off - tile.window.col_off
        sy, sx = common.row_off - self.top, common.col_off - self.region.col_off
        h, w = common.height, common.width
        ramp_y, ramp_x = self.ramp[ty : ty + h], self.ramp[tx : tx + w]
        weight = self.weight[ty : ty + h, tx : tx + w]
        self.num[sy : sy + h, sx : sx + w] += weight * probability[ty : ty + h, tx : tx + w]
        self.valid[sy : sy + h, sx : sx + w] |= valid[ty : ty + h, tx : tx + w]
        if tile.col == self.first.col:
            self.den_rows[sy : sy + h] += ramp_y
        if tile.row == self.first.row:
            self.den_cols[sx : sx + w] += ramp_x

    def _cover(self, row_end: int) -> None:
        """Grow the strip buffer down to ``row_end`` (exclusive)."""
        rows = row_end - self.top
        if rows > self.num.shape[0]:  # the new buffer filled in place: no zeros block beside old and new
            self.num, self.valid, self.den_rows = (
                _grown(a, rows) for a in (self.num, self.valid, self.den_rows)
            )

    def end_row(self, row: int) -> None:
        """Grid row ``row`` is in: rows above the next tile row's start are final."""
        self._finalise(min(self.region.row_end, (row + 1) * self.stride))

    def finish(self) -> list[StitchedObject]:
        self._finalise(self.region.row_end)
        self._close(last=True)
        return sorted(self.objects, key=lambda o: (o.box.row_off, o.box.col_off))

    def _finalise(self, end: int) -> None:
        rows = end - self.top
        if rows <= 0:
            return
        self._cover(end)
        last_row = np.zeros(self.region.width, np.int64)
        left: np.ndarray | None = None  # the previous chunk's last column of labels (global piece index + 1)
        for x0 in range(0, self.region.width, self.chunk_px):
            x1 = min(x0 + self.chunk_px, self.region.width)
            den = np.outer(self.den_rows[:rows], self.den_cols[x0:x1])
            probability = np.divide(self.num[:rows, x0:x1], den, out=np.zeros_like(den), where=den > 0)
            mask = (probability > self.threshold) & self.valid[:rows, x0:x1]
            labels = self._add_pieces(mask, probability, x0)
            above = None if self.open_row is None else self.open_row[x0:x1]
            self._join(above, labels[0])
            self._join(left, labels[:, 0])
            left, last_row[x0:x1] = labels[:, -1], labels[-1]
        # copies, not views: the old buffer is freed before the next tile row allocates its own
        self.num, self.valid = self.num[rows:].copy(), self.valid[rows:].copy()
        self.den_rows = self.den_rows[rows:].copy()
        self.open_row = last_row
        self.top = end
        self._close(last=False)

    def _add_pieces(self, mask: np.ndarray, probability: np.ndarray, x0: int) -> np.ndarray:
        """One chunk's components as pieces; its labels as global piece index + 1 (0 where unset)."""
        labels, boxes = label_components(mask)
        first = len(self.pieces)
        sums = np.bincount(labels.ravel(), probability.ravel(), minlength=len(boxes) + 1)
        counts = np.bincount(labels.ravel(), minlength=len(boxes) + 1)
        for index, box in enumerate(boxes, start=1):
            crop = labels[box.row_off : box.row_end, box.col_off : box.col_end] == index
            at = PixelWindow(
                self.region.col_off + x0 + box.col_off, self.top + box.row_off, box.width, box.height
            )
            self.pieces.append(Piece(np.packbits(crop), at, int(counts[index]), float(sums[index])))
            self.parent.append(len(self.parent))
        return np.where(labels > 0, labels.astype(np.int64) + first, 0)

    def _join(self, a: np.ndarray | None, b: np.ndarray) -> None:
        """Union the pieces that face each other across a seam (``a`` and ``b``: labels along it)."""
        if a is None:
            return
        facing = (a > 0) & (b > 0)
        for i, j in set(zip((a[facing] - 1).tolist(), (b[facing] - 1).tolist())):
            self._union(i, j)

    def _find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def _union(self, a: int, b: int) -> None:
        self.parent[self._find(a)] = self._find(b)

    def _close(self, last: bool) -> None:
        """Trace every group no later strip can join (none of its pieces reaches the last final row)."""
        groups: dict[int, list[int]] = {}
        for i in range(len(self.pieces)):
            groups.setdefault(self._find(i), []).append(i)
        still_open = set()
        if not last:
            still_open = {g for g, members in groups.items() if any(self._open(i) for i in members)}
        keep: list[int] = []
        for root, members in groups.items():
            if root in still_open:
                keep.extend(members)
            else:
                found = _join([self.pieces[i] for i in members], self.transform, self.min_region_px)
                if found is not None:
                    self.objects.append(found)
        self._compact(sorted(keep))

    def _open(self, i: int) -> bool:
        return self.pieces[i].box.row_end == self.top

    def _compact(self, keep: list[int]) -> None:
        """Forget closed pieces; renumber the open ones (and the last row's labels: all open pieces)."""
        lookup = np.zeros(len(self.pieces) + 1, np.int64)
        lookup[np.asarray(keep, np.int64) + 1] = np.arange(1, len(keep) + 1)
        roots = [self._find(i) for i in keep]
        self.pieces = [self.pieces[i] for i in keep]
        self.parent = [int(lookup[r + 1]) - 1 for r in roots]
        if self.open_row is not None:
            self.open_row = lookup[self.open_row]


def _grown(array: np.ndarray, rows: int) -> np.ndarray:
    """``array`` with zero rows appended up to ``rows`` rows."""
    out = np.zeros((rows, *array.shape[1:]), array.dtype)
    out[: array.shape[0]] = array
    return out


def fill_holes(geometry: MultiPolygon, min_area: float) -> MultiPolygon:
    """``geometry`` without the holes smaller than ``min_area`` (map units²)."""
    parts = []
    for part in geometry.geoms:
        holes = [ring for ring in part.interiors if Polygon(ring).area >= min_area]
        parts.append(part if len(holes) == len(part.interiors) else Polygon(part.exterior, holes))
    return MultiPolygon(parts)


def _join(pieces: list[Piece], transform: Affine, min_region_px: int) -> StitchedObject | None:
    """The pieces painted into one mask and traced once, cleaned (``min_region_px``); None for an island
    below it."""
    box = pieces[0].box
    for other in pieces[1:]:
        c0, r0 = min(box.col_off, other.box.col_off), min(box.row_off, other.box.row_off)
        c1, r1 = max(box.col_end, other.box.col_end), max(box.row_end, other.box.row_end)
        box = PixelWindow(c0, r0, c1 - c0, r1 - r0)
    pixels = sum(p.pixels for p in pieces)
    if pixels < min_region_px:  # an island: one 4-connected component, too small
        return None
    mask = np.zeros((box.height, box.width), bool)
    for piece in pieces:
        r, c = piece.box.row_off - box.row_off, piece.box.col_off - box.col_off
        mask[r : r + piece.box.height, c : c + piece.box.width] |= piece.mask()
    geometry = mask_to_geometry(mask, transform, (box.col_off, box.row_off))
    del mask
    if min_region_px > 0:  # holes below min_region_px pixels filled (on the outline: no second raster pass)
        geometry = fill_holes(geometry, min_region_px * abs(transform.determinant))
    return StitchedObject(geometry, box, sum(p.probability_sum for p in pieces) / pixels, pixels)
