"""The GIS form of segmentation-head data: a raster plus its classes, as polygons with a class field or as a
label raster of class codes (+ a region where labelling is complete, + a split field).

The fine-tuning GIS form's recipe (``finetune.labels``), with classes instead of objects:

- Polygons (any CRS) are reprojected onto the raster's grid and burnt with the pixel-centre rule
  (``evaluation.inputs``; where they overlap, the later feature wins). Text class values are the classes,
  sorted, ``background`` (what no polygon covers; a polygon may name it too) first. Integer values are codes,
  0 the background, named by a ``classes.json`` beside the labels (the folder form's) or ``class <code>``.
- A label raster's band 1 holds class codes, named as above (0 is ``background`` without a classes.json).
  On another grid it is resampled nearest-neighbour onto the raster's; without a CRS it must have the raster's
  size and is taken pixel for pixel. Its nodata and the pixels past its extent are unlabelled.
- Known pixels (those that count in the loss): inside the ``region``, else in the labels' bounding box
  (polygons) or wherever the label raster has data; outside a region only polygons, or label-raster codes
  other than the background's, so an unlabelled field there is never taught as background. Nodata and pixels
  past the raster's edge never count.
- Chips of ``chip_px`` raster pixels anchored at the raster's origin, ``r<row>_c<col>`` (``geo.chips``), are
  read as every raster command reads (``RasterSource``: bands, 2–98 % stretch), so they are the pixels mapping
  will see; the stretch, bands and ground pixel size go into the head file.
- Splits: blocks of 2×2 chips get 70/15/15 by a seeded shuffle (``geo.chips``); with a ``split_field``
  (train/val/test per polygon) a chip takes the split of the polygons covering most of it, and polygons of
  another split are not known in it, so no polygon is taught in two parts.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import shapely
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.features import rasterize
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from ..errors import SamCoreError, first_line
from ..evaluation.inputs import Grid, polygon_layer, vector_layers
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


class _Chip(NamedTuple):
    row: int
    col: int
    rgb: np.ndarray  # (P, P, 3) uint8 as RasterSource reads it
    codes: np.ndarray  # (P, P) int64 class codes
    known: np.ndarray  # (P, P) bool: counts in the loss
    ids: np.ndarray | None  # (P, P) int32 polygon ids (0: none) for the split field; None: a label raster


#: a reader's ``read(window, inside_region)``: a chip's codes, known (but for the raster's validity), where a
#: label is (polygon or code), ids
_Read = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]


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
            chips, labelled, in_region = _chips(source, grid, reader, area, chip_px)
        finally:
            reader.close()
        if not labelled:
            raise SamCoreError(f"the labels {reader.name} do not overlap the raster {source.path.name}")
        if area is not None and not in_region:
            raise SamCoreError(f"the region {area.path.name} does not overlap the raster {source.path.name}")
        found = {int(v) for chip in chips for v in np.unique(chip.codes[chip.known])}
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
    """Whether GDAL lists a layer in ``labels``, as ``evaluation.inputs.open_input`` decides."""
    path, _layer = split_layer(labels)
    if not path.exists():
        raise SamCoreError(f"labels not found: {path}")
    return bool(vector_layers(path))


# -- the two kinds of labels -----------------------------------------------------------------------------------
class _PolygonClasses:
    """Polygons burnt on the grid, each feature's class code from ``class_field``."""

    def __init__(self, labels, class_field, split_field, grid: Grid, notes: list[str]) -> None:
        self.layer = polygon_layer(labels, "labels", grid, notes)
        self.path, self.name, self.grid = self.layer.path, self.layer.path.name, grid
        if not self.layer.geometries.size:
            raise SamCoreError(f"the labels in {self.name} hold no polygons")
        if not class_field:
            have = ", ".join(self.layer.field_names()) or "none"
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
        return self.code_of[ids], labelled | inside, labelled, ids

    def classes(self, found: set[int]) -> ClassCodes:
        return self.table

    def close(self) -> None:
        self.layer.close()


def _field_classes(values, ids: np.ndarray, field: str, labels) -> tuple[ClassCodes, np.ndarray]:
    """The class table and each feature's code: whole numbers are codes (0 = background), anything else is
    text, sorted, ``background`` first."""
    blank = [v is None or (isinstance(v, float) and math.isnan(v)) or not str(v).strip() for v in values]
    empty = [fid for fid, b in zip(ids.tolist(), blank) if b]
    if empty:
        raise SamCoreError(
            f"field {field!r} of {labels.name} is empty for feature {empty[0]}: every polygon needs a class"
        )
    if all(isinstance(v, (int, float, np.number)) and float(v).is_integer() for v in values):
        codes = np.asarray([int(v) for v in values], np.int64)
        table = read_classes(labels.path.parent / CLASSES_FILE) or default_classes({0, *codes.tolist()})
        return table, codes
    text = [str(v).strip() for v in values]
    text = ["background" if t.lower() == "background" else t for t in text]
    names = ("background", *sorted(set(text) - {"background"}))
    index = {name: k for k, name in enumerate(names)}
    codes = np.asarray([index[t] for t in text], np.int64)
    return ClassCodes(tuple(range(len(names))), names, class_colours(names)), codes


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
        aligned = same_size and ds.transform.almost_equals(grid.transform)
        try:
            check_georeferencing(ds, path.name)
            if not aligned or parse_crs(ds.crs.to_wkt()) != grid.crs:
                self.source = self._warped(grid)
        except BaseException:
            self.close()
            raise

    def _warped(self, grid: Grid) -> WarpedVRT:
        try:
            return WarpedVRT(
                self.dataset,
                crs=grid.crs.to_wkt(),
                transform=grid.transform,
                width=grid.width,
                height=grid.height,
                resampling=Resampling.nearest,
                add_alpha=True,  # pixels past the label raster's extent are masked, not code 0
            )
        except (RasterioError, OSError) as exc:
            raise SamCoreError(
                f"cannot resample {self.name} onto the raster's grid: {first_line(exc)}"
            ) from exc

    def cells(self, chip_px: int, area) -> set[tuple[int, int]]:
        """Every chip: a code may be anywhere (a chip without one is skipped after its labels are read)."""
        rows, cols = math.ceil(self.grid.height / chip_px), math.ceil(self.grid.width / chip_px)
        return {(row, col) for row in range(rows) for col in range(cols)}

    def read(self, window: Window, inside: np.ndarray | None) -> _Read:
        part = window.intersection(Window(0, 0, self.grid.width, self.grid.height))  # a chip starts inside
        try:
            data = self.source.read(1, window=part, masked=True)
        except (RasterioError, OSError) as exc:
            raise SamCoreError(f"cannot read pixels of {self.name}: {first_line(exc)}") from exc
        values, has = data.filled(0), ~np.ma.getmaskarray(data)
        if values.dtype.kind == "f":
            has &= np.isfinite(values)
            values = np.where(has, values, 0)
            if (values != np.round(values)).any():
                raise SamCoreError(f"the label raster {self.name} holds fractions: codes are whole numbers")
        shape, (h, w) = (int(window.height), int(window.width)), values.shape
        codes, labelled = np.zeros(shape, np.int64), np.zeros(shape, bool)  # past the raster's edge: none
        codes[:h, :w], labelled[:h, :w] = values, has
        complete = labelled if inside is None else labelled & inside
        return codes, complete | (labelled & (codes != self.background)), labelled, None

    def classes(self, found: set[int]) -> ClassCodes:
        return self.given or default_classes(found)

    def close(self) -> None:
        if self.source is not self.dataset:
            self.source.close()
        self.dataset.close()


# -- chips and splits ------------------------------------------------------------------------------------------
def _chips(source: RasterSource, grid: Grid, reader, area, chip_px: int) -> tuple[list[_Chip], bool, bool]:
    """The chips holding a known pixel (RGB, class codes, known pixels, polygon ids), and whether any valid
    pixel is labelled, and any inside the region."""
    chips, labelled, in_region = [], False, False
    for row, col in sorted(reader.cells(chip_px, area)):
        window = Window(col * chip_px, row * chip_px, chip_px, chip_px)
        inside = None if area is None else area.read(window, grid) > 0
        codes, known, on_label, ids = reader.read(window, inside)
        if not known.any():
            continue  # outside the labelled area
        pixels = source.read_window(PixelWindow(col * chip_px, row * chip_px, chip_px, chip_px))
        known &= pixels.valid
        if not known.any():
            continue  # nodata only
        labelled |= bool((on_label & pixels.valid).any())
        in_region |= inside is not None and bool((inside & pixels.valid).any())
        ids = None if ids is None else np.where(pixels.valid, ids, 0)
        chips.append(_Chip(row, col, pixels.rgb, codes, known, ids))
    return chips, labelled, in_region


def _split(chips: list[_Chip], table: ClassCodes, reader, seed: int) -> list[ClassImage]:
    """Each chip's split and class indexes (polygons of another split than the chip's are not known)."""
    feature_split = reader.splits
    splits = block_splits([(c.row, c.col) for c in chips], seed, required=feature_split is None)
    images = []
    for chip, split in zip(chips, splits):
        known, ids = chip.known, chip.ids
        if feature_split is not None and ids.any():
            counts = dict(zip(*np.unique(ids[ids > 0], return_counts=True)))
            split = majority_split(counts, feature_split)
            other = [fid for fid in counts if feature_split[int(fid)] != split]
            known = known & ~np.isin(ids, other)
        codes = np.where(known, chip.codes, table.codes[0])
        classes, labelled = table.indexes(codes, f"the labels {reader.name}")
        known = known & labelled
        if not known.any():
            continue
        name = chip_name(chip.row, chip.col)
        images.append(ClassImage(name, chip.rgb, classes, split, None if known.all() else known))
    return images
