"""One object per real object across tile seams.

Tiles overlap, so an object near a seam is seen by several tiles: whole in some, cut by a tile edge in
others. The rule, applied to every pair of objects from different tiles whose extents overlap:

1. Take the *shared band*: the part of the raster both tiles see. Compare the two objects only there.
2. If their parts in the band agree (IoU ≥ ``band_iou``, default 0.5), they are the same object.
3. Same-object groups are closed transitively (an object across a corner joins four tiles' fragments).
4. A group with a member cut by an interior tile edge becomes the union of its members (fragments join);
   a group with no cut member is a duplicate and keeps its highest-scoring member.

Objects that only touch along a seam have little or no overlap inside the band, so they stay distinct.

Every tile lies on the raster's own pixel grid, so all of this is done on masks: the band IoU counts pixels
and a union paints the fragments into one mask that is traced once. That is exact, and its cost does not
depend on how ragged the outlines are (shapely set operations on noisy polygons take seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from affine import Affine
from shapely.geometry import MultiPolygon

from ..geo.tiles import PixelWindow, Tile, TileGrid
from ..geo.vectorize import mask_to_geometry

DEFAULT_BAND_IOU = 0.5


@dataclass(frozen=True, eq=False)  # holds arrays: two objects are the same only if identical
class TileObject:
    """One mask from one tile, kept as the packed bits of its bounding box on the raster's pixel grid."""

    bits: np.ndarray  # np.packbits of the cropped mask
    box: PixelWindow  # the crop, in raster pixels
    score: float  # SAM's predicted IoU
    stability: float
    tile: Tile
    cut: bool  # touches a tile edge that lies inside the raster

    @classmethod
    def from_mask(cls, mask: np.ndarray, tile: Tile, score: float, stability: float, raster: PixelWindow):
        """``mask`` is the tile-sized mask of one object (at least one pixel set)."""
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        box = PixelWindow(
            tile.window.col_off + int(c0), tile.window.row_off + int(r0), int(c1 - c0), int(r1 - r0)
        )
        return cls(np.packbits(mask[r0:r1, c0:c1]), box, score, stability, tile, is_cut(mask, tile, raster))

    @cached_property
    def geometry(self) -> MultiPolygon:
        """The object's polygons in the raster's CRS (traced on first use)."""
        return mask_to_geometry(self.mask(), self.tile.raster_transform, (self.box.col_off, self.box.row_off))

    def mask(self) -> np.ndarray:
        return (
            np.unpackbits(self.bits, count=self.box.width * self.box.height)
            .astype(bool)
            .reshape(self.box.height, self.box.width)
        )

    def window_of(self, region: PixelWindow) -> np.ndarray:
        """This object's pixels inside ``region`` (a region-shaped array)."""
        out = np.zeros((region.height, region.width), bool)
        _paint(out, region, self.mask(), self.box)
        return out


@dataclass(frozen=True)
class MergedObject:
    geometry: MultiPolygon
    score: float
    stability: float
    tiles: tuple[tuple[int, int], ...]


def is_cut(mask, tile: Tile, raster: PixelWindow) -> bool:
    """True when the mask reaches a tile edge that is not the raster's own edge (the object may go on)."""
    w = tile.window
    return bool(
        (w.col_off > raster.col_off and mask[:, 0].any())
        or (w.row_off > raster.row_off and mask[0, :].any())
        or (w.col_end < raster.col_end and mask[:, -1].any())
        or (w.row_end < raster.row_end and mask[-1, :].any())
    )


def merge_tile_objects(objects: list[TileObject], grid: TileGrid, band_iou: float = DEFAULT_BAND_IOU):
    """Apply the module's rule; the result is in a stable order (by tile, then by position)."""
    if not objects:
        return []
    parent = list(range(len(objects)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    boxes = [shapely.box(o.box.col_off, o.box.row_off, o.box.col_end, o.box.row_end) for o in objects]
    left, right = shapely.STRtree(boxes).query(boxes, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist()):
        a, b = objects[i], objects[j]
        if i < j and a.tile.window != b.tile.window and _same_object(a, b, band_iou):
            parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(objects)):
        groups.setdefault(find(i), []).append(i)
    merged = [_merge_group([objects[i] for i in members], grid.transform) for members in groups.values()]
    return sorted(merged, key=object_order)


def object_order(obj: MergedObject) -> tuple:
    """The stable order of merged objects: by first tile (row, column), then by position in it."""
    return (obj.tiles[0][1], obj.tiles[0][0], *_anchor(obj.geometry))


def _same_object(a: TileObject, b: TileObject, band_iou: float) -> bool:
    shared = a.tile.valid_window.intersection(b.tile.valid_window)
    region = shared and shared.intersection(_union_box(a.box, b.box))
    if region is None:
        return False
    part_a, part_b = a.window_of(region), b.window_of(region)
    union = np.count_nonzero(part_a | part_b)
    return union > 0 and np.count_nonzero(part_a & part_b) / union >= band_iou


def _merge_group(members: list[TileObject], transform: Affine) -> MergedObject:
    best = max(members, key=lambda o: o.score)
    tiles = tuple(sorted({(o.tile.col, o.tile.row) for o in members}, key=lambda t: (t[1], t[0])))
    if any(o.cut for o in members):
        region = members[0].box
        for other in members[1:]:
            region = _union_box(region, other.box)
        mask = np.zeros((region.height, region.width), bool)
        for member in members:
            _paint(mask, region, member.mask(), member.box)
    else:
        region, mask = best.box, best.mask()
    geometry = mask_to_geometry(mask, transform, (region.col_off, region.row_off))
    return MergedObject(geometry, best.score, best.stability, tiles)


def _union_box(a: PixelWindow, b: PixelWindow) -> PixelWindow:
    c0, r0 = min(a.col_off, b.col_off), min(a.row_off, b.row_off)
    return PixelWindow(c0, r0, max(a.col_end, b.col_end) - c0, max(a.row_end, b.row_end) - r0)


def _paint(target: np.ndarray, target_box: PixelWindow, mask: np.ndarray, mask_box: PixelWindow) -> None:
    """OR ``mask`` (covering ``mask_box``) into ``target`` (covering ``target_box``) where they overlap."""
    common = target_box.intersection(mask_box)
    if common is None:
        return
    t = target[
        common.row_off - target_box.row_off : common.row_end - target_box.row_off,
        common.col_off - target_box.col_off : common.col_end - target_box.col_off,
    ]
    t |= mask[
        common.row_off - mask_box.row_off : common.row_end - mask_box.row_off,
        common.col_off - mask_box.col_off : common.col_end - mask_box.col_off,
    ]


def _anchor(geometry) -> tuple[float, float]:
    x0, y0, _, _ = geometry.bounds if not geometry.is_empty else (0.0, 0.0, 0.0, 0.0)
    return (-y0, x0)
