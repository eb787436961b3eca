"""The GIS form of fine-tuning data: a raster plus a polygon layer of labelled objects (+ split field, + region).

The polygons (any CRS; a layer without a CRS is taken to be in the raster's, with a warning, as evaluation
does) are reprojected onto the raster's grid and burnt with GDAL's pixel-centre rule, each feature its own id
(``evaluation.inputs.PolygonLayer``). The labelled area is cut into square chips of ``chip_px`` raster pixels on
a grid anchored at the raster's origin, named ``r<row>_c<col>`` by chip row and column. Chips are kept where
they hold an object, and where they meet the ``region`` (where labelling is complete) or, without a region,
the labels' bounding box. Chips are read as every raster command reads (``RasterSource``: its bands and 2–98 %
stretch); pixels past the raster's edge (zero padding) and nodata are not ``known``, nor, with a region, the
pixels outside it (but for labelled objects), so an unlabelled object there is never taught as background.

Splits, so that no object leaks between parts: each object has a split (its ``split_field`` value, else the
split of the spatial blocks, 2×2 chips, that hold most of its area); a chip takes the area-majority split of
the objects it holds (with a split field; ties go train, val, test in that order), else its block's split.
Blocks get 70/15/15 by a seeded shuffle (fewer than 3 blocks: chips are split instead). Pixels of an object of
another split than its chip's are not ``known`` and not an object there.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from ..errors import SamCoreError
from ..evaluation.inputs import Grid, PolygonLayer, open_input
from ..geo.gsd import ground_gsd_m
from ..geo.image_folder import seeded_parts
from ..geo.raster import DEFAULT_PERCENTILES, RasterSource, Stretch
from ..geo.tiles import PixelWindow
from .dataset import SPLITS, TuningImage, TuningSet

#: chips per side of a spatial block for the seeded split by area
BLOCK_CHIPS = 2
CHIP_PX = 512


def open_raster_labels(
    raster: str | os.PathLike,
    labels: str | os.PathLike,
    split_field: str | None = None,
    region: str | os.PathLike | None = None,
    seed: int = 0,
    chip_px: int = CHIP_PX,
    bands=None,
    stretch: Stretch | None = None,
    percentiles=DEFAULT_PERCENTILES,
    warnings: list[str] | None = None,
) -> TuningSet:
    """The chips of ``raster`` labelled by the polygons of ``labels`` (see the module docstring).
    ``stretch``: None for the raster's own percentile stretch; ``warnings`` collects what was assumed."""
    if chip_px < 16:
        raise SamCoreError(f"the chip size must be at least 16 px, not {chip_px}")
    notes = [] if warnings is None else warnings
    with RasterSource(raster, bands, percentiles) as source:
        if stretch is not None:
            source.stretch = stretch
        grid = Grid(source.path, source.width, source.height, source.transform, source.crs)
        layer = _polygons(labels, "labels", grid, notes)
        if not layer.geometries.size:
            raise SamCoreError(f"the labels in {layer.path.name} hold no polygons")
        values = _split_values(layer, split_field) if split_field else None
        area = _polygons(region, "region", grid, notes) if region is not None else None
        chips = _chips(source, grid, layer, area, chip_px) if layer.grid_bounds.size else []
        if not any(chip["objects"].any() for chip in chips):
            raise SamCoreError(
                f"the labels in {layer.path.name} do not overlap the raster {source.path.name}"
            )
        if area is not None and not any(chip["in_region"] for chip in chips):
            raise SamCoreError(f"the region {area.path.name} does not overlap the raster {source.path.name}")
        images = _split(chips, values, seed)
        crs = source.crs
        tuning = TuningSet(
            source=f"{source.path} + {layer.path}",
            form="raster",
            images=tuple(images),
            crs_wkt=crs.to_wkt(),
            gsd_m=ground_gsd_m(source.transform, source.width, source.height, crs),
        )
    tuning.check()
    return tuning


def _polygons(path, role: str, grid: Grid, notes: list[str]) -> PolygonLayer:
    layer = open_input(path, role, None)
    if not isinstance(layer, PolygonLayer):
        layer.close()
        raise SamCoreError(f"{role} {Path(path).name} is not a polygon layer")
    layer.to_grid(grid, notes)
    return layer


def _split_values(layer: PolygonLayer, field: str) -> dict[int, str]:
    """object id → split from the label layer's ``field``; any other value is an error naming it."""
    values = layer.field_values(field)
    splits = {}
    for fid, value in zip(layer.ids.tolist(), values):
        split = str(value).strip().lower() if value is not None else ""
        if split not in SPLITS:
            raise SamCoreError(
                f"field {field!r} of {layer.path.name} holds {value!r} (feature {fid}): use train, val or test"
            )
        splits[fid] = split
    return splits


# -- chips ---------------------------------------------------------------------------------------------------
def _chip_range(bounds: np.ndarray, grid: Grid, chip_px: int) -> set[tuple[int, int]]:
    """(row, col) of the chips that boxes (x0, y0, x1, y1 in the grid's CRS) meet, within the raster."""
    inverse = ~grid.transform
    rows, cols = math.ceil(grid.height / chip_px), math.ceil(grid.width / chip_px)
    found = set()
    for x0, y0, x1, y1 in bounds.reshape(-1, 4):
        corners = [inverse @ xy for xy in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
        us, vs = [c[0] for c in corners], [c[1] for c in corners]
        c0, c1 = max(0, math.floor(min(us) / chip_px)), min(cols - 1, math.floor(max(us) / chip_px))
        r0, r1 = max(0, math.floor(min(vs) / chip_px)), min(rows - 1, math.floor(max(vs) / chip_px))
        found.update((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
    return found


def _chips(source: RasterSource, grid: Grid, layer: PolygonLayer, region, chip_px: int) -> list[dict]:
    """The chips holding an object or meeting the labelled area, with RGB, object ids and known pixels."""
    label_bounds = layer.grid_bounds
    if region is None:  # the labelled area: the labels' bounding box
        area_bounds = np.concatenate([label_bounds[:, :2].min(axis=0), label_bounds[:, 2:].max(axis=0)])
    else:
        area_bounds = region.grid_bounds
    wanted = _chip_range(label_bounds, grid, chip_px) | _chip_range(area_bounds, grid, chip_px)
    chips = []
    for row, col in sorted(wanted):
        window = PixelWindow(col * chip_px, row * chip_px, chip_px, chip_px)
        rio_window = Window(window.col_off, window.row_off, window.width, window.height)
        pixels = source.read_window(window)
        objects = layer.read(rio_window, grid)
        objects[~pixels.valid] = 0
        inside = pixels.valid if region is None else pixels.valid & (region.read(rio_window, grid) > 0)
        known = inside | (objects > 0)  # objects are only where pixels are valid
        if not known.any():
            continue  # outside the labelled area, or nodata only
        chips.append(
            {
                "row": row,
                "col": col,
                "rgb": pixels.rgb,
                "objects": objects,
                "known": known,
                "in_region": inside.any(),
            }
        )
    return chips


# -- splits --------------------------------------------------------------------------------------------------
def _split(chips: list[dict], values: dict[int, str] | None, seed: int) -> list[TuningImage]:
    blocks = sorted({(c["row"] // BLOCK_CHIPS, c["col"] // BLOCK_CHIPS) for c in chips})
    if len(blocks) >= 3:
        units = [(c["row"] // BLOCK_CHIPS, c["col"] // BLOCK_CHIPS) for c in chips]
    else:  # too few blocks for three parts: chips are the units
        units = [(c["row"], c["col"]) for c in chips]
    order = sorted(set(units))
    if values is None and len(order) < 3:
        raise SamCoreError(
            f"the labelled area gives {len(chips)} chip(s): a train/val/test split by area needs at least 3; "
            "use a smaller chip size or give a split field"
        )
    unit_split = dict(zip(order, seeded_parts(len(order), seed)))
    chip_splits = [unit_split[unit] for unit in units]
    areas = [dict(zip(*np.unique(c["objects"][c["objects"] > 0], return_counts=True))) for c in chips]
    if values is None:
        object_split = _majority_unit(areas, chip_splits)
    else:
        object_split = values
        for index, counts in enumerate(areas):
            if counts:
                chip_splits[index] = _majority(counts, object_split)
    return [_image(chip, split, object_split) for chip, split in zip(chips, chip_splits)]


def _majority_unit(areas: list[dict], chip_splits: list[str]) -> dict[int, str]:
    """object id → the split of the chips holding most of its area (chips of one unit share a split)."""
    totals: dict[int, dict[str, int]] = {}
    for counts, split in zip(areas, chip_splits):
        for fid, n in counts.items():
            per = totals.setdefault(int(fid), {})
            per[split] = per.get(split, 0) + int(n)
    return {fid: max(SPLITS, key=lambda s: (per.get(s, 0), -SPLITS.index(s))) for fid, per in totals.items()}


def _majority(counts: dict, object_split: dict[int, str]) -> str:
    per = {split: 0 for split in SPLITS}
    for fid, n in counts.items():
        per[object_split[int(fid)]] += int(n)
    return max(SPLITS, key=lambda s: (per[s], -SPLITS.index(s)))


def _image(chip: dict, split: str, object_split: dict[int, str]) -> TuningImage:
    objects, known = chip["objects"], chip["known"]
    other = [fid for fid in np.unique(objects[objects > 0]).tolist() if object_split[fid] != split]
    if other:
        leaked = np.isin(objects, other)
        objects = np.where(leaked, 0, objects).astype(np.int32)
        known = known & ~leaked
    return TuningImage(
        name=f"r{chip['row']}_c{chip['col']}",
        rgb=chip["rgb"],
        objects=objects.astype(np.int32, copy=False),
        split=split,
        known=None if known.all() else known,
    )
