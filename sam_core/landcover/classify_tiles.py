"""Classify's tiles as tasks (``tasks.Job``): a tile encoded and pooled into its cells, here or on a Dask worker.

A task encodes one tile of the working raster (through the embedding cache) and pools its encoder cells into
the cells it owns (``features.pool_cells``): area-weighted sums (rows, cols, C) and valid areas (rows, cols),
small next to the tile's embedding. The client adds them up per cell row and classifies each row with the
head once no later tile can add to it, taking the results in tile order wherever they ran, so the cells are
those of the serial run. The head never leaves the client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..geo.gsd import ResampledSource
from ..geo.raster import RasterSpec
from ..geo.tiles import Tile
from ..sam.embeddings import EmbeddingCache, EncodedTile, TileEncoder, cache_folder
from ..sam.model import LoadedModel
from ..sam.shared_model import ModelSpec
from ..sam.tile_job import TileContext, TileJob
from ..tasks import Hooks, Runner, runner_or_serial
from .cells import CellLayout, Cells
from .features import cell_valid_fraction, overlap_lengths, pool_cells


@dataclass(frozen=True)
class WorkingSpec(RasterSpec):
    """The working raster (a ``ResampledSource``) as a worker reopens it: the raster's path, its bands, the
    stretch this process resolved (the head's, or the working view's own) and the scale."""

    scale: float = 1.0

    @classmethod
    def of(cls, source: ResampledSource) -> WorkingSpec:
        path, *identity = RasterSpec.identity_of(source.path)
        bands, percentiles = tuple(source.bands), tuple(source.percentiles)
        return cls(path, bands, source.stretch, percentiles, tuple(identity), scale=source.scale)

    def open(self) -> ResampledSource:
        return ResampledSource(self.path, self.scale, self.bands, self.stretch, self.percentiles)


@dataclass(frozen=True)
class CellTile:
    """A task: the tile, the working-pixel box it provides features for (``CellLayout.owned``), the index
    ranges of the cells that meet that box (start, stop; empty: none) and the cell side in working pixels."""

    tile: Tile
    owned: tuple[float, float, float, float]  # xlo, xhi, ylo, yhi
    cols: tuple[int, int]
    rows: tuple[int, int]
    cell: float

    @property
    def has_cells(self) -> bool:
        return self.cols[1] > self.cols[0] and self.rows[1] > self.rows[0]


@dataclass(frozen=True)
class TilePool:
    """A tile's share of its cells' features: weighted sums (rows, cols, C) and valid areas (rows, cols) for
    the task's cell ranges (None when it has no cell), and whether the encoder ran (not found in the cache)."""

    sums: np.ndarray | None
    areas: np.ndarray | None
    encoded: bool


@dataclass(frozen=True)
class ClassifyJob(TileJob):
    """Classify's tiles: each encoded and pooled into the cells it owns."""

    def run(self, state: TileContext, item: CellTile, hooks: Hooks) -> TilePool:
        before = state.encoder.encoder_calls
        encoded = state.encoder.encode(item.tile, hooks.is_cancelled)
        sums, areas = pool_tile(encoded, item) if item.has_cells else (None, None)
        return TilePool(sums, areas, state.encoder.encoder_calls > before)


def pool_tile(encoded: EncodedTile, item: CellTile) -> tuple[np.ndarray, np.ndarray]:
    """The sums and valid areas of the encoder cells of ``encoded`` under each of the task's cells (each
    cell cut to the box the tile owns)."""
    c = item.cell
    xlo, xhi, ylo, yhi = item.owned
    embedding = encoded.embedding[0]
    grid = embedding.shape[-1]
    step = item.tile.size / grid
    ix, iy = np.arange(*item.cols), np.arange(*item.rows)
    edges_x = item.tile.window.col_off + np.arange(grid + 1) * step
    edges_y = item.tile.window.row_off + np.arange(grid + 1) * step
    wx = overlap_lengths(np.maximum(ix * c, xlo), np.minimum((ix + 1) * c, xhi), edges_x[:-1], edges_x[1:])
    wy = overlap_lengths(np.maximum(iy * c, ylo), np.minimum((iy + 1) * c, yhi), edges_y[:-1], edges_y[1:])
    return pool_cells(embedding, wy, wx, cell_valid_fraction(encoded.valid, grid))


def cell_tiles(layout: CellLayout, tiles: list[Tile], cells: Cells) -> list[CellTile]:
    """One task per tile, in the tiles' order, with what it pools into (computed here, once)."""
    n_rows, n_cols = cells.needed.shape
    items = []
    for tile in tiles:
        xlo, xhi = layout.owned(tile.col, layout.grid.n_cols)
        ylo, yhi = layout.owned(tile.row, layout.grid.n_rows)
        xr = layout.cell_range(xlo, xhi, cells.i0, n_cols)
        yr = layout.cell_range(ylo, yhi, cells.j0, n_rows)
        items.append(
            CellTile(tile, (xlo, xhi, ylo, yhi), (xr.start, xr.stop), (yr.start, yr.stop), layout.cell)
        )
    return items


def tile_pools(
    source: ResampledSource,
    model: LoadedModel,
    cache: EmbeddingCache | None,
    items: list[CellTile],
    is_cancelled: Callable[[], bool] | None = None,
    runner: Runner | None = None,
) -> Iterator[TilePool]:
    """Each task's ``TilePool``, in the order of ``items``: here on ``source`` and ``model`` (default), or
    on ``runner``'s workers, which reopen the raster and load the model once each."""
    runner = runner_or_serial(runner, is_cancelled)
    spec = ModelSpec.of(model, runner.torch_threads)
    job = ClassifyJob(WorkingSpec.of(source), spec, cache_folder(cache))
    state = None if runner.distributed else TileContext(source, model, TileEncoder(model, source, cache))
    return runner.results(job, items, state)
