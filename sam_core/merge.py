"""One object per real object across tile seams.

Tiles overlap, so an object near a seam is seen by several tiles: whole in some, cut by a tile edge in
others. The rule, applied to every pair of objects from different tiles whose polygons intersect:

1. Take the *shared band*: the part of the raster both tiles see. Compare the two objects only there.
2. If their parts in the band agree (IoU ≥ ``band_iou``, default 0.5), they are the same object.
3. Same-object groups are closed transitively (an object across a corner joins four tiles' fragments).
4. A group with a member cut by an interior tile edge becomes the union of its members (fragments join);
   a group with no cut member is a duplicate and keeps its highest-scoring member.

Objects that only touch along a seam have little or no overlap inside the band, so they stay distinct.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from .tiles import PixelWindow, Tile, TileGrid

DEFAULT_BAND_IOU = 0.5


@dataclass(frozen=True)
class TileObject:
    """One mask from one tile, vectorised in the raster's CRS."""

    geometry: BaseGeometry
    score: float  # SAM's predicted IoU
    stability: float
    tile: Tile
    cut: bool  # touches a tile edge that lies inside the raster


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

    geometries = [o.geometry for o in objects]
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist()):
        a, b = objects[i], objects[j]
        if i < j and a.tile.window != b.tile.window and _same_object(a, b, grid, band_iou):
            parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(objects)):
        groups.setdefault(find(i), []).append(i)
    merged = [_merge_group([objects[i] for i in members]) for members in groups.values()]
    return sorted(merged, key=lambda m: (m.tiles[0][1], m.tiles[0][0], *_anchor(m.geometry)))


def _same_object(a: TileObject, b: TileObject, grid: TileGrid, band_iou: float) -> bool:
    shared = a.tile.valid_window.intersection(b.tile.valid_window)
    if shared is None:
        return False
    band = _window_polygon(shared, grid)
    part_a, part_b = a.geometry.intersection(band), b.geometry.intersection(band)
    union = part_a.union(part_b).area
    return union > 0 and part_a.intersection(part_b).area / union >= band_iou


def _merge_group(members: list[TileObject]) -> MergedObject:
    best = max(members, key=lambda o: o.score)
    tiles = tuple(sorted({(o.tile.col, o.tile.row) for o in members}, key=lambda t: (t[1], t[0])))
    if any(o.cut for o in members):
        geometry = shapely.union_all([o.geometry for o in members])
    else:
        geometry = best.geometry
    return MergedObject(_as_multipolygon(geometry), best.score, best.stability, tiles)


def _window_polygon(window: PixelWindow, grid: TileGrid) -> Polygon:
    xs, ys = grid.pixel_to_map(
        [window.col_off, window.col_end, window.col_end, window.col_off],
        [window.row_off, window.row_off, window.row_end, window.row_end],
    )
    return Polygon(zip(xs, ys))


def _as_multipolygon(geometry: BaseGeometry) -> MultiPolygon:
    return MultiPolygon([p for p in shapely.get_parts(geometry) if isinstance(p, Polygon) and not p.is_empty])


def _anchor(geometry: BaseGeometry) -> tuple[float, float]:
    x0, y0, _, _ = geometry.bounds
    return (-y0, x0)
