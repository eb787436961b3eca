"""Land-cover classification of a raster: a grid of cells, each with a class, its probability and its area.

How a raster is classified with a head (``head``) trained on patches of ``patch_px`` pixels at ``input_gsd_m``:

- **Working grid.** The raster's ground resolution is measured (``gsd``); when it differs from the head's by
  more than ``gsd_tolerance``, the raster is seen through a resampled view at the head's resolution
  (``ResampledSource``, anchored at the raster's origin; a factor within the tolerance of a whole number is
  used whole). Bands and stretch follow the head (see ``ClassifyOptions``).
- **Cells** (``cells``). Squares of ``patch_px`` working pixels by default (64 px at 10 m = 640 m for
  EuroSAT), or of ``cell_size_m``, anchored at the raster's origin, never at the extent: a cell's class does
  not depend on where the extent starts. Cells are clipped to the extent (and the raster), so they tile it
  without gaps or overlaps; each clipped cell's ``area_m2`` is geodesic (``measures``).
- **Features from tile embeddings.** The working raster is cut into encoder-sized tiles anchored to the raster
  (``tiles``; no overlap by default), each encoded once through the embedding cache. A cell's feature is the
  mean of the encoder cells under it (area-weighted, nodata counting for nothing; ``features.pool_cells``),
  exactly as packed training patches are pooled. Where tiles overlap, each encoder cell is taken from the
  tile whose centre is nearest. A 1024 px tile is never encoded per cell: k tiles cost k encoder passes.
- **Coarse rasters are refused.** Upsampling a raster adds no detail the head could read, and it multiplies
  the tiles to encode by the factor squared (a 300 m raster seen at 10 m: 900×). A raster whose pixels are
  more than ``allow_upsample`` (default 2) times the head's is refused with the factor and the way to
  insist, before the model is asked for anything.
- **Nodata.** A cell whose valid pixels cover less than ``min_valid_fraction`` of its part inside the raster
  is skipped, not classified.

Where the cells and tiles lie is ``cells``; this module is the inference. One tile is encoded at a time, and
rows of cells are classified and released as soon as no later tile can add to them, so memory follows the
width of the extent, not its area. Nothing is returned until every tile is done: a cancel raises
``Cancelled``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS
from shapely import affinity

from .. import config
from ..errors import SamCoreError
from ..geo.gsd import ResampledSource, ground_gsd_m, refuse_upsampling, working_scale
from ..geo.measures import measure
from ..geo.output import TABLE_SUFFIXES, check_table_writable, write_area_table
from ..progress import TileProgress
from ..sam.embeddings import EmbeddingCache
from ..sam.estimate import seconds_per_tile
from ..sam.model import LoadedModel
from ..schema import CELL_FIELDS, CLASS_CSV_COLUMNS, CLASS_FIELDS  # noqa: F401 - their home was here
from ..tasks import Runner
from .cells import CellLayout, Cells, affine_params
from .classify_tiles import CellTile, cell_tiles, tile_pools
from .features import PACKED
from .head import ClassifierHead

STRETCHES = config.STRETCHES


@dataclass(frozen=True)
class ClassifyOptions:
    """``bands``: None takes the head's bands when they were chosen by hand at training, else the raster's
    RGB bands (B4,B3,B2 for Sentinel-2). ``stretch``: "head" applies the training images' stretch, "raster"
    the raster's own 2–98 % stretch, "auto" the head's when the raster has the training images' sample type
    (8-bit rasters with a head trained on .jpg/.png) and the raster's otherwise."""

    cell_size_m: float | None = None  # default: the head's patch size at the head's resolution
    # tile overlap in working pixels (config.OVERLAP shares tiles with prompting when unresampled)
    overlap: int = config.CLASSIFY_OVERLAP
    bands: tuple[int, ...] | None = None
    stretch: str = config.STRETCH
    min_valid_fraction: float = 0.5
    gsd_tolerance: float = 0.05  # relative GSD difference accepted to keep 1 (or a whole) resampling factor
    max_cells: int = 2_000_000
    allow_upsample: float = 2.0  # the largest factor a raster coarser than the head's GSD is upsampled by

    def validate(self) -> None:
        if self.cell_size_m is not None and not self.cell_size_m > 0:
            raise SamCoreError(f"the cell size must be positive, not {self.cell_size_m:g} m")
        if self.stretch not in STRETCHES:
            raise SamCoreError(f"unknown stretch {self.stretch!r}: use {', '.join(STRETCHES)}")
        if not 0.0 < self.min_valid_fraction <= 1.0:
            raise SamCoreError("the minimum valid fraction of a cell is in (0, 1]")
        if not 0.0 <= self.gsd_tolerance < 1.0:
            raise SamCoreError("the GSD tolerance is in [0, 1)")
        if not (math.isfinite(self.allow_upsample) and self.allow_upsample >= 1.0):
            raise SamCoreError(f"--allow-upsample is a factor of at least 1, not {self.allow_upsample:g}")


@dataclass
class ClassifyResult:
    cells: list[dict]  # geometry (raster CRS), id, class, class_id, probability, area_m2, colour
    crs: CRS
    head: ClassifierHead
    extent: shapely.Geometry  # the area classified (extent ∩ raster), raster CRS
    raster: str
    model: str
    raster_gsd_m: float
    scale: float  # raster pixels per working pixel (1: not resampled)
    cell_size_px: float  # working pixels per cell side
    cell_size_m: float  # nominal ground size of a cell side
    tiles: int
    encoder_calls: int
    skipped_cells: int  # mostly nodata
    _areas: list[dict] | None = field(default=None, repr=False)

    def class_areas(self) -> list[dict]:
        """Per class (all of the head's, in its order): cells, area (m², ha), % of the classified area and the
        area-weighted mean probability."""
        if self._areas is None:
            n = len(self.head.class_names)
            area, count, weighted = np.zeros(n), np.zeros(n, int), np.zeros(n)
            for cell in self.cells:
                k = cell["class_id"]
                area[k] += cell["area_m2"]
                count[k] += 1
                weighted[k] += cell["area_m2"] * cell["probability"]
            total = float(area.sum())
            self._areas = [
                {
                    "class": name,
                    "class_id": k,
                    "cells": int(count[k]),
                    "area_m2": float(area[k]),
                    "area_ha": float(area[k] / 1e4),
                    "percent": float(100.0 * area[k] / total) if total > 0 else 0.0,
                    "probability": float(weighted[k] / area[k]) if area[k] > 0 else 0.0,
                    "colour": self.head.colours[k],
                }
                for k, name in enumerate(self.head.class_names)
            ]
        return self._areas

    def summary(self) -> dict:
        total = sum(c["area_m2"] for c in self.cells)
        return {
            "raster": self.raster,
            "model": self.model,
            "head": self.head.describe(),
            "cell_size_m": self.cell_size_m,
            "raster_gsd_m": self.raster_gsd_m,
            "head_gsd_m": self.head.input_gsd_m,
            "resampled": self.scale != 1.0,
            "tiles": self.tiles,
            "encoder_calls": self.encoder_calls,
            "cells": len(self.cells),
            "skipped_nodata_cells": self.skipped_cells,
            "area_m2": total,
            "area_ha": total / 1e4,
            "classes": self.class_areas(),
        }

    def dissolved(self) -> list[dict]:
        """One (multi)polygon per class present, with the class's total area (the sum of its cells)."""
        by_class: dict[int, list] = {}
        for cell in self.cells:
            by_class.setdefault(cell["class_id"], []).append(cell["geometry"])
        records = []
        for row in self.class_areas():
            parts = by_class.get(row["class_id"])
            if parts:
                records.append({**row, "geometry": shapely.union_all(parts)})
        return records


def classify_raster(
    raster: str | os.PathLike,
    model: LoadedModel,
    head: ClassifierHead,
    extent: tuple[float, float, float, float] | None = None,
    extent_crs: CRS | None = None,
    options: ClassifyOptions | None = None,
    cache: EmbeddingCache | None = None,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    runner: Runner | None = None,
) -> ClassifyResult:
    """Classify the cells over ``extent`` (in ``extent_crs``, default the raster's; None: the whole raster).
    Before the first tile is encoded, ``progress`` gets a ``Progress`` of 0 with the number of tiles and an
    estimate of the time they take; then one after each tile. ``runner``: where the tiles are encoded and
    pooled (default here, one after another; ``distributed.DaskRunner``); the cells are classified here."""
    options = options or ClassifyOptions()
    options.validate()
    head.check_encoder(model.info)
    if head.feature_mode != PACKED:
        raise SamCoreError(
            "this head was trained on per-patch features (each patch enlarged to the encoder's input), which "
            "raster tiles never give; retrain it with --mode packed to classify rasters"
        )
    source, raster_gsd = _open_working(raster, head, options)
    with source:
        layout = CellLayout(
            source,
            model.img_size,
            options.overlap,
            raster_gsd,
            head.patch_px,
            options.cell_size_m,
            options.max_cells,
        )
        area = layout.extent_polygon(extent, extent_crs)
        cells = layout.cells(area)
        tiles = layout.tiles_needed(cells)
        tracker = TileProgress(
            len(tiles), progress, len(tiles) * seconds_per_tile(model) if progress else None
        )
        tracker.step(0)  # the tile count and the estimate, before any encoding
        items = cell_tiles(layout, tiles, cells)
        pools = tile_pools(source, model, cache, items, is_cancelled, runner)
        records, skipped, encoder_calls = _classify_tiles(layout, head, options, items, pools, cells, tracker)
        transform = source.transform
        result = ClassifyResult(
            cells=records,
            crs=source.crs,
            head=head,
            extent=affinity.affine_transform(area, affine_params(transform)),
            raster=str(raster),
            model=model.info.name,
            raster_gsd_m=raster_gsd,
            scale=source.scale,
            cell_size_px=layout.cell,
            cell_size_m=layout.cell * layout.working_gsd,
            tiles=len(tiles),
            encoder_calls=encoder_calls,
            skipped_cells=skipped,
        )
    return result


def check_resolution(raster, head: ClassifierHead, options: ClassifyOptions) -> tuple[float, float, str]:
    """(raster pixels per working pixel, the raster's GSD in m, its sample type); a raster more than
    ``options.allow_upsample`` times coarser than the head is refused (call it before loading a model)."""
    probe = ResampledSource(raster, 1.0, options.bands or (head.bands if head.bands_explicit else None))
    try:
        if probe.crs is None:
            raise SamCoreError(f"raster {probe.path.name} has no CRS: cells cannot be measured")
        gsd = ground_gsd_m(probe.transform, probe.width, probe.height, probe.crs)
        dtype, name = probe.dtype, probe.path.name
    finally:
        probe.close()
    scale = working_scale(gsd, head.input_gsd_m, options.gsd_tolerance)
    refuse_upsampling(name, gsd, head.input_gsd_m, scale, options.allow_upsample)
    return scale, gsd, dtype


def _open_working(raster, head: ClassifierHead, options: ClassifyOptions) -> tuple[ResampledSource, float]:
    """The raster at the head's resolution, with the head's (or the raster's) bands and stretch."""
    bands = options.bands or (head.bands if head.bands_explicit else None)
    scale, gsd, dtype = check_resolution(raster, head, options)
    use_head = options.stretch == "head" or (options.stretch == "auto" and dtype == head.source_dtype)
    return ResampledSource(raster, scale, bands, head.stretch if use_head else None), gsd


def _classify_tiles(
    layout: CellLayout,
    head: ClassifierHead,
    options: ClassifyOptions,
    items: list[CellTile],
    pools,
    cells: Cells,
    tracker: TileProgress,
) -> tuple[list[dict], int, int]:
    """Add up each tile's pooled cells (``pools``, in the order of ``items``) and classify each row of cells
    as soon as no later tile can add to it: (cell records, cells skipped as mostly nodata, encoder passes)."""
    c = layout.cell
    n_cols = cells.needed.shape[1]
    pending: dict[int, list[np.ndarray]] = {}  # cell row → [sums (cols, C), valid areas (cols,)]
    records: list[dict] = []
    skipped = encoder_calls = 0
    for k, pool in enumerate(pools):
        item = items[k]
        encoder_calls += pool.encoded
        if pool.sums is not None:
            (x0, x1), (y0, y1) = item.cols, item.rows
            for r, j in enumerate(range(y0, y1)):
                acc = pending.setdefault(j, [np.zeros((n_cols, pool.sums.shape[-1])), np.zeros(n_cols)])
                acc[0][x0 - cells.i0 : x1 - cells.i0] += pool.sums[r]
                acc[1][x0 - cells.i0 : x1 - cells.i0] += pool.areas[r]
        last = k + 1 == len(items)
        if last or items[k + 1].tile.row != item.tile.row:
            yhi = item.owned[3]
            done = sorted(j for j in pending if (j + 1) * c <= yhi or last)
            for j in done:
                sums, areas = pending.pop(j)
                min_valid = options.min_valid_fraction
                skipped += _classify_row(layout, head, min_valid, j, sums, areas, cells, records)
        if not last:
            tracker.step(k + 1)
    tracker.done()
    return records, skipped, encoder_calls


def _classify_row(
    layout: CellLayout, head: ClassifierHead, min_valid: float, j: int, sums, areas, cells: Cells, records
) -> int:
    """Classify cell row ``j`` from its pooled features; the number of cells skipped as mostly nodata."""
    c = layout.cell
    row = j - cells.j0
    cols = np.flatnonzero(cells.needed[row])
    ii = cols + cells.i0
    inside = np.clip(np.minimum((ii + 1) * c, layout.width) - np.maximum(ii * c, 0.0), 0.0, None)
    inside *= max(0.0, min((j + 1) * c, layout.height) - max(j * c, 0.0))
    fraction = np.divide(areas[cols], inside, out=np.zeros(len(cols)), where=inside > 0)
    keep = fraction >= min_valid - 1e-9
    kept = cols[keep]
    features = sums[kept] / areas[kept][:, None]
    probabilities = head.predict_proba(features.astype(np.float32))
    transform = affine_params(layout.source.transform)
    crs = layout.source.crs
    for col, p in zip(kept, probabilities):
        k = int(p.argmax())
        geometry = affinity.affine_transform(cells.shapes[row, col], transform)
        records.append(
            {
                "id": len(records) + 1,
                "geometry": geometry,
                "class": head.class_names[k],
                "class_id": k,
                "probability": float(p[k]),
                "area_m2": measure(geometry, crs).area_m2,
                "colour": head.colours[k],
            }
        )
    return int((~keep).sum())


# -- summary files ----------------------------------------------------------------------------------------
SUMMARY_SUFFIXES = TABLE_SUFFIXES
CSV_COLUMNS = CLASS_CSV_COLUMNS


def check_summary_writable(path: str | os.PathLike) -> None:
    check_table_writable(path, "the summary")


def write_summary(path: str | os.PathLike, result: ClassifyResult) -> Path:
    """Area per class as JSON (the whole summary) or CSV (one row per class), written atomically."""
    return write_area_table(path, result.summary(), result.class_areas(), CSV_COLUMNS)
