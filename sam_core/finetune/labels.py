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
another split than its chip's are not ``known`` and not an object there. The chips and the split by blocks are
``geo.chips``, shared with the segmentation heads' GIS form.
"""

from __future__ import annotations

import os

import numpy as np
from rasterio.windows import Window

from ..errors import SamCoreError
from ..evaluation.inputs import Grid, PolygonLayer, polygon_layer
from ..geo.chips import block_splits, chip_name, chip_range, majority_split, split_values
from ..geo.gsd import ground_gsd_m
from ..geo.raster import DEFAULT_PERCENTILES, RasterSource, Stretch
from ..geo.tiles import PixelWindow
from .dataset import SPLITS, TuningImage, TuningSet

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
        layer = polygon_layer(labels, "labels", grid, notes)
        if not layer.geometries.size:
            raise SamCoreError(f"the labels in {layer.path.name} hold no polygons")
        values = None
        if split_field:
            values = split_values(layer.field_values(split_field), layer.ids, split_field, layer.path.name)
        area = polygon_layer(region, "region", grid, notes) if region is not None else None
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


# -- chips ---------------------------------------------------------------------------------------------------
def _chips(source: RasterSource, grid: Grid, layer: PolygonLayer, region, chip_px: int) -> list[dict]:
    """The chips holding an object or meeting the labelled area, with RGB, object ids and known pixels."""
    label_bounds = layer.grid_bounds
    if region is None:  # the labelled area: the labels' bounding box
        area_bounds = np.concatenate([label_bounds[:, :2].min(axis=0), label_bounds[:, 2:].max(axis=0)])
    else:
        area_bounds = region.grid_bounds
    wanted = set()
    for bounds in (label_bounds, area_bounds):
        wanted |= chip_range(bounds, grid.transform, grid.width, grid.height, chip_px)
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
    chip_splits = block_splits([(c["row"], c["col"]) for c in chips], seed, required=values is None)
    areas = [dict(zip(*np.unique(c["objects"][c["objects"] > 0], return_counts=True))) for c in chips]
    if values is None:
        object_split = _majority_unit(areas, chip_splits)
    else:
        object_split = values
        for index, counts in enumerate(areas):
            if counts:
                chip_splits[index] = majority_split(counts, object_split)
    return [_image(chip, split, object_split) for chip, split in zip(chips, chip_splits)]


def _majority_unit(areas: list[dict], chip_splits: list[str]) -> dict[int, str]:
    """object id → the split of the chips holding most of its area (chips of one unit share a split)."""
    totals: dict[int, dict[str, int]] = {}
    for counts, split in zip(areas, chip_splits):
        for fid, n in counts.items():
            per = totals.setdefault(int(fid), {})
            per[split] = per.get(split, 0) + int(n)
    return {fid: max(SPLITS, key=lambda s: (per.get(s, 0), -SPLITS.index(s))) for fid, per in totals.items()}


def _image(chip: dict, split: str, object_split: dict[int, str]) -> TuningImage:
    objects, known = chip["objects"], chip["known"]
    other = [fid for fid in np.unique(objects[objects > 0]).tolist() if object_split[fid] != split]
    if other:
        leaked = np.isin(objects, other)
        objects = np.where(leaked, 0, objects).astype(np.int32)
        known = known & ~leaked
    return TuningImage(
        name=chip_name(chip["row"], chip["col"]),
        rgb=chip["rgb"],
        objects=objects.astype(np.int32, copy=False),
        split=split,
        known=None if known.all() else known,
    )
