"""The GIS form of segmentation-head data: a raster plus its classes, either as polygons with a class field or
as a label raster of class codes (+ a region where labelling is complete, + a split field).

This is the fine-tuning GIS form's recipe (``finetune.labels``), applied to classes instead of objects:

- Polygons (any CRS) are reprojected onto the raster's grid and burnt with the pixel-centre rule
  (``evaluation.inputs``). Where polygons overlap, the later feature wins. Text class values become the classes
  sorted, with ``background`` first. The background is what no polygon covers, and a polygon may also name
  it. Integer values are class codes, 0 being the background, named by a ``classes.json`` beside the labels
  (the folder form's, ``semantic.folder``) or ``class <code>``.
- A label raster holds class codes, band 1. One on another grid is resampled nearest-neighbour onto the
  raster's grid. Its nodata, and the pixels past its extent, are unlabelled. Codes are named by a
  ``classes.json`` beside it, else 0 is ``background`` and any other code is ``class <code>``. A label
  raster without a CRS must have the raster's size: it is then taken pixel for pixel.
- Known pixels (the ones that count in the loss) lie inside the ``region`` where one is given. Without a
  region they lie in the labels' bounding box (polygons) or wherever the label raster has data. Outside the
  region only labelled polygons count, or label-raster pixels of a class other than the background code. So an
  unlabelled field out there is never taught as background. Nodata and pixels past the raster's edge never
  count.
- Square chips of ``chip_px`` raster pixels are anchored at the raster's origin and named ``r<row>_c<col>``
  (``geo.chips``). They are read as every raster command reads (``RasterSource``: bands, 2–98 % stretch), so
  the pixels are the ones mapping will later see. The head file records the stretch, bands and ground pixel
  size.
- Splits: the blocks of 2×2 chips get 70/15/15 by a seeded shuffle (``geo.chips``). With a ``split_field``
  (train/val/test per polygon), a chip instead takes the split of the polygons covering most of it. Polygons of
  another split are not known in that chip, so no labelled area is taught in two parts.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.features import rasterize
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from ..errors import SamCoreError, first_line
from ..evaluation.inputs import Grid, polygon_layer
from ..geo.chips import block_splits, chip_name, chip_range, majority_split, split_values
from ..geo.crs import parse_crs
from ..geo.georef import check_georeferencing, open_dataset
from ..geo.gsd import ground_gsd_m
from ..geo.output import split_layer
from ..geo.raster import DEFAULT_PERCENTILES, RasterSource
from ..geo.tiles import PixelWindow
from ..landcover.head import class_colours
from .dataset import ClassImage, ClassSet
from .folder import CLASSES_FILE, ClassCodes, default_classes, read_classes

CHIP_PX = 512


class _Read(NamedTuple):
    codes: np.ndarray  # (P, P) int64 class codes
    known: np.ndarray  # (P, P) bool: counts in the loss (before the raster's own validity)
    labelled: np.ndarray  # (P, P) bool: a polygon or a label-raster value is there
    ids: np.ndarray | None  # (P, P) int32 polygon ids (the split field's), None for a label raster


def open_raster_classes(
    raster: str | os.PathLike,
    labels: str | os.PathLike,
    class_field: str | None = None,
    region: str | os.PathLike | None = None,
    split_field: str | None = None,
    seed: int = 0,
    chip_px: int = CHIP_PX,
    bands=None,
    percentiles=DEFAULT_PERCENTILES,
    warnings: list[str] | None = None,
) -> ClassSet:
    """The chips of ``raster`` with the classes of ``labels`` (see the module docstring); ``warnings``
    collects what was assumed (a layer without a CRS, a multi-band label raster)."""
    if chip_px < 16:
        raise SamCoreError(f"the chip size must be at least 16 px, not {chip_px}")
    notes = [] if warnings is None else warnings
    with RasterSource(raster, bands, percentiles) as source:
        grid = Grid(source.path, source.width, source.height, source.transform, source.crs)
        if _is_vector(labels):
            reader = _PolygonClasses(labels, class_field, split_field, grid, notes)
        elif class_field or split_field:
            raise SamCoreError(
                f"{Path(labels).name} is a raster of class codes: a class field and a split field go with "
                "polygon labels"
            )
        else:
            reader = _RasterClasses(Path(labels), grid, notes)
        try:
            area = polygon_layer(region, "region", grid, notes) if region is not None else None
            chips = _chips(source, grid, reader, area, chip_px)
        finally:
            reader.close()
        if not any(chip["labelled"] for chip in chips):
            raise SamCoreError(f"the labels {reader.name} do not overlap the raster {source.path.name}")
        if area is not None and not any(chip["in_region"] for chip in chips):
            raise SamCoreError(f"the region {area.path.name} does not overlap the raster {source.path.name}")
        found = {int(v) for chip in chips for v in np.unique(chip["codes"][chip["known"]])}
        table = reader.classes(found)
        images = _split(chips, table, reader, seed)
        stretch = source.stretch
        data = ClassSet(
            source=f"{source.path} + {reader.path}",
            form="raster",
            class_names=table.names,
            images=tuple(images),
            colours=table.colours,
            gsd_m=ground_gsd_m(source.transform, source.width, source.height, source.crs),
            stretch=(tuple(map(float, stretch.low)), tuple(map(float, stretch.high))),
            bands=tuple(source.bands),
        )
    data.check()
    return data


def _is_vector(labels) -> bool:
    """Whether GDAL lists a vector layer in ``labels`` (as ``evaluation.inputs.open_input`` decides)."""
    path, _layer = split_layer(labels)
    if not path.exists():
        raise SamCoreError(f"labels not found: {path}")
    try:
        return bool(pyogrio.list_layers(path).size)
    except (DataSourceError, DataLayerError):
        return False


# -- the two kinds of labels -----------------------------------------------------------------------------------
class _PolygonClasses:
    """Polygons burnt on the grid, each feature's class code from ``class_field``."""

    def __init__(self, labels, class_field, split_field, grid: Grid, notes: list[str]) -> None:
        self.layer = polygon_layer(labels, "labels", grid, notes)
        self.path, self.name, self.grid = self.layer.path, self.layer.path.name, grid
        if not self.layer.geometries.size:
            raise SamCoreError(f"the labels in {self.name} hold no polygons")
        if not class_field:
            fields = pyogrio.read_info(self.path, layer=self.layer.layer)["fields"]
            have = ", ".join(map(str, fields)) or "none"
            raise SamCoreError(
                f"name the field of {self.name} that holds each polygon's class (its fields: {have})"
            )
        values = self.layer.field_values(class_field)
        self.table, codes = _field_classes(values, self.layer.ids, class_field, self)
        self.code_of = np.zeros(int(self.layer.ids.max()) + 1, np.int64)  # id 0: no polygon, background
        self.code_of[self.layer.ids] = codes
        self.splits = None
        if split_field:
            values = self.layer.field_values(split_field)
            self.splits = split_values(values, self.layer.ids, split_field, self.name)
        bounds = self.layer.grid_bounds
        self.box = (
            shapely.box(*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0)) if bounds.size else None
        )

    def cells(self, chip_px: int, area) -> set[tuple[int, int]]:
        """The chips the polygons meet, and those of the region or, without one, of the labels' box."""
        if self.box is None:
            return set()
        complete = shapely.bounds(self.box) if area is None else area.grid_bounds
        wanted = np.vstack([self.layer.grid_bounds, np.reshape(complete, (-1, 4))])
        return chip_range(wanted, self.grid.transform, self.grid.width, self.grid.height, chip_px)

    def read(self, window: Window, inside: np.ndarray | None) -> _Read:
        ids = self.layer.read(window, self.grid)
        labelled = ids > 0
        if inside is None:  # the labels' bounding box is complete
            shape = (int(window.height), int(window.width))
            transform = self.grid.window_transform(window)
            inside = rasterize([(self.box, 1)], out_shape=shape, transform=transform, dtype="uint8") > 0
        return _Read(self.code_of[ids], labelled | inside, labelled, ids)

    def classes(self, found: set[int]) -> ClassCodes:
        return self.table

    def close(self) -> None:
        self.layer.close()


def _field_classes(values, ids: np.ndarray, field: str, labels) -> tuple[ClassCodes, np.ndarray]:
    """The class table and each feature's code: numbers are codes (0 = background), text is sorted."""
    empty = [fid for fid, v in zip(ids.tolist(), values) if _empty(v)]
    if empty:
        raise SamCoreError(
            f"field {field!r} of {labels.name} is empty for feature {empty[0]}: every polygon needs a class"
        )
    if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values):
        if not all(float(v).is_integer() for v in values):
            raise SamCoreError(
                f"field {field!r} of {labels.name} holds fractions: numeric classes are whole class codes"
            )
        codes = np.asarray([int(v) for v in values], np.int64)
        table = read_classes(labels.path.parent / CLASSES_FILE) or default_classes({0, *codes.tolist()})
        return table, codes
    text = [str(v).strip() for v in values]
    text = ["background" if t.lower() == "background" else t for t in text]
    names = ("background", *sorted(set(text) - {"background"}))
    index = {name: k for k, name in enumerate(names)}
    codes = np.asarray([index[t] for t in text], np.int64)
    return ClassCodes(tuple(range(len(names))), names, class_colours(names)), codes


def _empty(value) -> bool:
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return value is None or (isinstance(value, str) and not value.strip())


class _RasterClasses:
    """A label raster of class codes read on the grid (resampled nearest-neighbour when its grid differs)."""

    splits = None  # no split field: chips are split by area

    def __init__(self, path: Path, grid: Grid, notes: list[str]) -> None:
        self.path, self.name, self.grid = path, path.name, grid
        self.given = read_classes(path.parent / CLASSES_FILE)
        self.background = self.given.codes[0] if self.given else 0
        try:
            self.dataset = open_dataset(path)
        except (RasterioError, OSError) as exc:
            raise SamCoreError(f"cannot read the labels {path.name}: {first_line(exc)}") from exc
        self.source = ds = self.dataset
        if ds.count > 1:
            notes.append(f"the label raster {path.name} has {ds.count} bands: band 1 holds the class codes")
        same_size = (ds.width, ds.height) == (grid.width, grid.height)
        if ds.crs is None:
            if not same_size:
                self.close()
                raise SamCoreError(
                    f"the label raster {path.name} has no CRS and is {ds.width}×{ds.height} px, not the "
                    f"raster's {grid.width}×{grid.height}: give it a CRS (gdal_edit.py -a_srs) or that size"
                )
            notes.append(f"the label raster {path.name} has no CRS: taken pixel for pixel on the raster")
            return
        try:
            check_georeferencing(ds, path.name)
            aligned = same_size and ds.transform.almost_equals(grid.transform)
            if aligned and parse_crs(ds.crs.to_wkt()) == grid.crs:
                return
            self.source = WarpedVRT(
                ds,
                crs=grid.crs.to_wkt(),
                transform=grid.transform,
                width=grid.width,
                height=grid.height,
                resampling=Resampling.nearest,
                add_alpha=True,  # pixels past the label raster's extent are masked, not code 0
            )
        except (SamCoreError, RasterioError, OSError) as exc:
            self.close()
            if isinstance(exc, SamCoreError):
                raise
            message = f"cannot resample {path.name} onto the raster's grid: {first_line(exc)}"
            raise SamCoreError(message) from exc

    def cells(self, chip_px: int, area) -> set[tuple[int, int]]:
        """Every chip: a code may be anywhere (a chip without one is skipped after its labels are read)."""
        rows, cols = math.ceil(self.grid.height / chip_px), math.ceil(self.grid.width / chip_px)
        return {(row, col) for row in range(rows) for col in range(cols)}

    def read(self, window: Window, inside: np.ndarray | None) -> _Read:
        shape = (int(window.height), int(window.width))
        codes, labelled = np.zeros(shape, np.int64), np.zeros(shape, bool)
        part = PixelWindow(int(window.col_off), int(window.row_off), *shape[::-1]).intersection(
            PixelWindow(0, 0, self.grid.width, self.grid.height)
        )
        if part is not None:
            try:
                where = Window(part.col_off, part.row_off, part.width, part.height)
                data = self.source.read(1, window=where, masked=True)
            except (RasterioError, OSError) as exc:
                raise SamCoreError(f"cannot read pixels of {self.name}: {first_line(exc)}") from exc
            values, has = data.filled(0), ~np.ma.getmaskarray(data)
            if values.dtype.kind == "f":
                has &= np.isfinite(values)
                values = np.where(has, values, 0)
                if (values != np.round(values)).any():
                    raise SamCoreError(
                        f"the label raster {self.name} holds fractions: codes are whole numbers"
                    )
            r0, c0 = part.row_off - int(window.row_off), part.col_off - int(window.col_off)
            codes[r0 : r0 + part.height, c0 : c0 + part.width] = values.astype(np.int64)
            labelled[r0 : r0 + part.height, c0 : c0 + part.width] = has
        complete = labelled if inside is None else labelled & inside
        return _Read(codes, complete | (labelled & (codes != self.background)), labelled, None)

    def classes(self, found: set[int]) -> ClassCodes:
        return self.given or default_classes(found)

    def close(self) -> None:
        if self.source is not self.dataset:
            self.source.close()
        self.dataset.close()


# -- chips and splits ------------------------------------------------------------------------------------------
def _chips(source: RasterSource, grid: Grid, reader, area, chip_px: int) -> list[dict]:
    """The chips holding a known pixel, with RGB, class codes, known pixels and polygon ids."""
    chips = []
    for row, col in sorted(reader.cells(chip_px, area)):
        window = Window(col * chip_px, row * chip_px, chip_px, chip_px)
        inside = None if area is None else area.read(window, grid) > 0
        read = reader.read(window, inside)
        if not read.known.any():
            continue  # outside the labelled area
        pixels = source.read_window(PixelWindow(col * chip_px, row * chip_px, chip_px, chip_px))
        known = read.known & pixels.valid
        if not known.any():
            continue  # nodata only
        ids = None if read.ids is None else np.where(pixels.valid, read.ids, 0)
        chips.append(
            {
                "row": row,
                "col": col,
                "rgb": pixels.rgb,
                "codes": read.codes,
                "known": known,
                "ids": ids,
                "labelled": bool((read.labelled & pixels.valid).any()),
                "in_region": inside is not None and bool((inside & pixels.valid).any()),
            }
        )
    return chips


def _split(chips: list[dict], table: ClassCodes, reader, seed: int) -> list[ClassImage]:
    feature_split = reader.splits
    splits = block_splits([(c["row"], c["col"]) for c in chips], seed, required=feature_split is None)
    images = []
    for chip, split in zip(chips, splits):
        known, ids = chip["known"], chip["ids"]
        if feature_split is not None and ids.any():
            counts = dict(zip(*np.unique(ids[ids > 0], return_counts=True)))
            split = majority_split(counts, feature_split)
            other = [fid for fid in counts if feature_split[int(fid)] != split]
            known = known & ~np.isin(ids, other)
        codes = np.where(known, chip["codes"], table.codes[0])
        classes, labelled = table.indexes(codes, f"the labels {reader.name}")
        known = known & labelled
        if not known.any():
            continue
        name = chip_name(chip["row"], chip["col"])
        images.append(ClassImage(name, chip["rgb"], classes, split, None if known.all() else known))
    return images
