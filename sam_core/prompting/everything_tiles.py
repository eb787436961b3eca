"""One tile of segment everything as a task (``tasks.Job``): here or on a Dask worker, the same work.

A tile's masks come back split by what the seam merge can do with them. A mask whose box meets no other
tile of the run can never be merged (the merge compares objects only where two tiles both see, and this one
has no pixel there), so the worker traces it at once and sends its polygons as WKB with its scores. A mask
that reaches into a band two tiles share goes back as a ``TileObject`` (the packed bits of its box), which
the client merges with its neighbours' by ``merge``'s rules. The client never holds a tile's masks, and the
objects are those the serial merge of every mask gives: the same count, the same geometries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from rasterio import features

from ..geo.tiles import PixelWindow, Tile
from ..geo.vectorize import mask_to_geometry
from ..sam.tile_job import TileContext, TileJob
from ..tasks import Hooks
from .merge import MergedObject, TileObject, merge_tile_objects, object_order


@dataclass(frozen=True)
class EverythingTile:
    """A task: the tile, and the windows of the run's other tiles that meet it (where merges can happen)."""

    index: int
    tile: Tile
    neighbours: tuple[PixelWindow, ...]


@dataclass(frozen=True)
class TileFinds:
    """A tile's objects: those no other tile sees, traced (WKB, score, stability); those in a shared
    band, to merge."""

    tile: tuple[int, int]  # (col, row)
    traced: list[tuple[bytes, float, float]]
    banded: list[TileObject]


@dataclass
class TileState:
    """What a process needs for tiles: the raster, model and encoder, and the mask generator."""

    context: TileContext
    generator: object  # everything.FastTileMasks or TileMaskGenerator
    raster: PixelWindow

    @classmethod
    def of(cls, context: TileContext, options) -> TileState:
        from .everything import tile_mask_generator

        raster = PixelWindow(0, 0, context.source.width, context.source.height)
        return cls(context, tile_mask_generator(context.model, options), raster)

    def close(self) -> None:
        self.context.close()


@dataclass(frozen=True)
class EverythingJob(TileJob):
    """Segment everything's tiles; ``options`` has its tiling resolved."""

    options: object = None  # everything.EverythingOptions
    mergeable: bool = True  # False: every mask goes to the merge (a band IoU of 0 can join anything)

    def open(self) -> TileState:
        return TileState.of(super().open(), self.options)

    def run(self, state: TileState, item: EverythingTile, hooks: Hooks) -> TileFinds:
        batches = state.generator.batches((item.tile.size, item.tile.size))
        done = [0]

        def after_batch() -> None:
            done[0] += 1
            hooks.check()
            if done[0] < batches:
                hooks.report(done[0] / batches)

        found = tile_objects(state, item.tile, self.options.min_region_px, hooks, after_batch)
        traced, banded = [], []
        for obj in found:
            if self.mergeable and not any(obj.box.intersection(n) for n in item.neighbours):
                offset = (obj.box.col_off, obj.box.row_off)
                geometry = mask_to_geometry(obj.mask(), obj.tile.raster_transform, offset)
                traced.append((shapely.to_wkb(geometry), obj.score, obj.stability))
            else:
                banded.append(obj)
        return TileFinds((item.tile.col, item.tile.row), traced, banded)


def tile_tasks(tiles: list[Tile], stride: int) -> list[EverythingTile]:
    """Each tile with the valid windows of the other tiles that overlap it (looked up on the grid: tiles
    ``stride`` apart overlap up to ``size / stride`` places away)."""
    by_place = {(t.col, t.row): t for t in tiles}
    reach = -(-tiles[0].size // stride) if tiles else 0
    tasks = []
    for index, tile in enumerate(tiles):
        near = []
        for dr in range(-reach, reach + 1):
            for dc in range(-reach, reach + 1):
                other = by_place.get((tile.col + dc, tile.row + dr))
                if (dc or dr) and other is not None and other.valid_window.intersection(tile.valid_window):
                    near.append(other.valid_window)
        tasks.append(EverythingTile(index, tile, tuple(near)))
    return tasks


def tile_objects(
    state: TileState, tile: Tile, min_region_px: int, hooks: Hooks, after_batch
) -> list[TileObject]:
    """Every mask the generator finds on ``tile``, within the raster's valid pixels, sieved."""
    # read once: the generator needs the pixels, the encoder the key
    image = state.context.source.read_window(tile.window)
    encoded = state.context.encoder.encode(tile, hooks.is_cancelled, image)
    found = []
    for mask, score, stability in state.generator.masks(image.rgb, encoded.embedding, after_batch):
        hooks.check()
        mask &= encoded.valid
        if min_region_px > 0:
            mask = features.sieve(mask.astype(np.uint8), min_region_px, connectivity=4).astype(bool)
        if not mask.any():
            continue
        found.append(TileObject.from_mask(mask, tile, float(score), float(stability), state.raster))
    return found


def merge_finds(finds: list[TileFinds], grid, band_iou: float) -> list[MergedObject]:
    """The run's objects from every tile's finds: banded ones merged by ``merge``'s rules, traced ones as
    they are, all in the merge's stable order."""
    banded = [obj for find in finds for obj in find.banded]
    merged = merge_tile_objects(banded, grid, band_iou)
    for find in finds:
        for wkb, score, stability in find.traced:
            merged.append(MergedObject(shapely.from_wkb(wkb), score, stability, (find.tile,)))
    return sorted(merged, key=object_order)
