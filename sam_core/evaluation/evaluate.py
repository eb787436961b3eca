"""Evaluate a segmentation against a reference: polygon layers or mask rasters, compared on a raster's grid.

Inputs. Each of the prediction and the reference is either a polygon layer (GeoPackage, GeoJSON, any vector
file GDAL reads; the first layer unless one is named) or a mask raster (band 1; a pixel is positive where its
value is non-zero, not nodata and not NaN).

The grid. Both are rasterised on the grid of ``raster`` (its size, transform and CRS). Without ``raster`` the
reference raster's grid is used, else the prediction raster's; two polygon layers need a ``raster``. Polygons
are reprojected to the grid's CRS (edges densified first, so a straight edge in one CRS follows its true curve
in the other) and burnt with GDAL's rule: a pixel belongs to a polygon when its centre is inside. A mask
raster on another grid is resampled onto it with nearest neighbour. A layer or raster without a CRS is taken
to be in the grid's CRS (with a warning).

Which pixels count. With ``raster`` given, only its valid pixels (not nodata, alpha or mask band) are counted,
unless ``include_nodata`` is set; on a grid taken from a mask raster every pixel counts.

Objects. A polygon layer's objects are its features (a multi-part feature is one object; where features of one
layer overlap, the later feature gets the shared pixels). A mask raster's objects are its connected components
(8-connectivity unless ``connectivity=4``).

Memory stays bounded: the grid is processed in strips of about ``window_pixels`` pixels (full width), and
connected components are joined across strips (see ``metrics``). Metric definitions, and the values used when
a mask is empty or all true, are in ``metrics``; overall figures come from the summed confusion counts.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import rasterio
import shapely
from affine import Affine
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS, Transformer
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.features import rasterize
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from ..errors import Cancelled, SamCoreError, first_line
from ..geo.crs import crs_label, parse_crs
from ..geo.georef import check_georeferencing, open_dataset
from ..geo.output import split_layer, write_json
from ..geo.raster import bound_gdal_cache, read_valid, valid_sample
from ..schema import IMAGE_FIELDS  # noqa: F401 - one image's row; its home was here
from .metrics import (
    IOU_THRESHOLD,
    ConfusionCounts,
    ObjectMatch,
    ObjectOverlap,
    StreamingComponents,
    confusion,
    overall,
)

#: Pixels per strip (full raster width): bounds the memory of an evaluation whatever the raster's size
#: (about 100 MB above the imports for 2 million pixels).
WINDOW_PIXELS = 2_000_000
#: Polygon edges are densified to segments of at most this many grid pixels before reprojection.
DENSIFY_PIXELS = 2.0
_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}
_POLYGONAL = {3, 6}

DEFINITIONS = {
    "iou": "TP / (TP + FP + FN)",
    "dice": "2 TP / (2 TP + FP + FN)",
    "pixel_accuracy": "(TP + TN) / pixels",
    "precision": "TP / (TP + FP)",
    "recall": "TPR = TP / (TP + FN)",
    "fpr": "FP / (FP + TN), the standard false positive rate (seed 001 prints FP / (FP + FN))",
    "zero_denominator": "a metric whose denominator is 0 takes its best value (1, or 0 for FPR)",
    "accuracy": "share of images whose IoU is greater than the threshold (seed 002)",
    "object_hit_rate": "share of reference objects matched by one predicted object with IoU > threshold",
    "objects": "features of a polygon layer; connected components of a mask raster",
    "overall": "metrics of the confusion counts summed over all images (micro average); mean_iou averages "
    "the images' IoU",
}


# -- the grid ------------------------------------------------------------------------------------------------
@dataclass
class _Grid:
    path: Path
    width: int
    height: int
    transform: Affine
    crs: CRS | None
    dataset: rasterio.DatasetReader | None = None  # read for its valid pixels (None: every pixel counts)

    def window_transform(self, window: Window) -> Affine:
        return self.transform @ Affine.translation(window.col_off, window.row_off)

    def window_bounds(self, window: Window) -> tuple[float, float, float, float]:
        t = self.window_transform(window)
        cols, rows = (
            np.array([0, window.width, 0, window.width]),
            np.array([0, 0, window.height, window.height]),
        )
        xs, ys = t.a * cols + t.b * rows + t.c, t.d * cols + t.e * rows + t.f
        return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())

    def valid(self, window: Window) -> np.ndarray | None:
        if self.dataset is None:
            return None
        bands = list(range(1, self.dataset.count + 1))
        return read_valid(self.dataset, bands, window, None, self.path.name)[1]  # NaN/inf are nodata too

    def pixel_size(self) -> float:
        return min(
            math.hypot(self.transform.a, self.transform.d), math.hypot(self.transform.b, self.transform.e)
        )


def _open_raster(path: Path, role: str) -> rasterio.DatasetReader:
    """A grid or mask raster, refused when its georeferencing is missing or broken (a zero pixel size would
    burn every polygon into nothing and report IoU 1; only GCPs would compare in pixel coordinates). A
    missing CRS alone is allowed: it is taken to be the other side's, with a warning."""
    try:
        ds = open_dataset(path)
    except (RasterioError, OSError) as exc:
        raise SamCoreError(f"cannot read {role} {path.name}: {first_line(exc)}") from exc
    try:
        check_georeferencing(ds, path.name, need_crs=False)
    except SamCoreError:
        ds.close()
        raise
    return ds


def _raster_crs(ds) -> CRS | None:
    return parse_crs(ds.crs.to_wkt()) if ds.crs else None


# -- inputs --------------------------------------------------------------------------------------------------
class _MaskRaster:
    """A mask raster read on the grid, window by window; objects are connected components."""

    is_vector = False

    def __init__(self, path: Path, role: str) -> None:
        self.path, self.role = path, role
        self.dataset = _open_raster(path, role)
        self.crs = _raster_crs(self.dataset)
        self._source = self.dataset

    def to_grid(self, grid: _Grid, warnings: list[str]) -> None:
        ds = self.dataset
        if self.crs is None and grid.crs is not None:
            warnings.append(f"{self.role} {self.path.name} has no CRS: taken to be in {crs_label(grid.crs)}")
        if ds.count > 1:
            warnings.append(f"{self.role} {self.path.name} has {ds.count} bands: band 1 is the mask")
        same_crs = self.crs is None or grid.crs is None or self.crs == grid.crs
        if (
            same_crs
            and (ds.width, ds.height) == (grid.width, grid.height)
            and ds.transform.almost_equals(grid.transform)
        ):
            self._source = ds
            return
        # nearest-neighbour resampling onto the grid; a missing CRS is taken to be the other one
        dst_crs = grid.crs or self.crs
        src_crs = self.crs or grid.crs
        dummy = "EPSG:3857"  # neither has a CRS: a shared stand-in, so only the transforms matter
        try:
            self._source = WarpedVRT(
                ds,
                src_crs=(src_crs.to_wkt() if src_crs else dummy),
                crs=(dst_crs.to_wkt() if dst_crs else dummy),
                transform=grid.transform,
                width=grid.width,
                height=grid.height,
                resampling=Resampling.nearest,
            )
        except (RasterioError, OSError) as exc:
            raise SamCoreError(
                f"cannot resample {self.role} {self.path.name} onto the grid: {first_line(exc)}"
            ) from exc

    def read(self, window: Window, grid: _Grid) -> np.ndarray:
        try:
            data = self._source.read(1, window=window, masked=True)
        except (RasterioError, OSError) as exc:
            raise SamCoreError(f"cannot read pixels of {self.path.name}: {first_line(exc)}") from exc
        values = data.filled(0)
        positive = values != 0
        if values.dtype.kind == "f":
            positive &= np.isfinite(values)
        return positive

    def close(self) -> None:
        if self._source is not self.dataset:
            self._source.close()
        self.dataset.close()


class _PolygonLayer:
    """A polygon layer burnt on the grid, window by window; objects are features (id = position + 1)."""

    is_vector = True

    def __init__(self, path: Path, role: str, layer: str | int | None, layers: list[str]) -> None:
        self.path, self.role = path, role
        self.note = None
        if layer is None and len(layers) > 1:
            self.note = f"{role} {path.name} has {len(layers)} layers: the first, {layers[0]!r}, is used"
        try:
            meta, _fids, wkb, _fields = pyogrio.raw.read(
                path, layer=layers[0] if layer is None else layer, columns=[]
            )
        except (DataSourceError, DataLayerError) as exc:
            raise SamCoreError(f"cannot read {role} {path.name}: {first_line(exc)}") from exc
        geometries = shapely.from_wkb(wkb)
        present = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
        self.ids = np.nonzero(present)[0].astype(np.int64) + 1
        self.geometries = geometries[present]
        other = sorted(set(shapely.get_type_id(self.geometries).tolist()) - _POLYGONAL)
        if other:
            kind = _TYPE_NAMES.get(other[0], "non-polygon")
            raise SamCoreError(f"{role} {path.name} holds {kind} geometries: polygons are needed")
        self.crs = parse_crs(meta["crs"]) if meta.get("crs") else None
        self._on_grid = (self.geometries, self.ids, np.zeros((0, 4)))

    def to_grid(self, grid: _Grid, warnings: list[str]) -> None:
        geometries, ids = self.geometries, self.ids
        if self.note:
            warnings.append(self.note)
        if self.crs is None and grid.crs is not None:
            warnings.append(f"{self.role} {self.path.name} has no CRS: taken to be in {crs_label(grid.crs)}")
        elif self.crs is not None and grid.crs is None:
            warnings.append(
                f"{grid.path.name} has no CRS: {self.role} {self.path.name} is taken to be in its CRS"
            )
        elif self.crs is not None and grid.crs is not None and self.crs != grid.crs and geometries.size:
            geometries, ids = self._reproject(geometries, ids, grid)
        bounds = shapely.bounds(geometries).reshape(-1, 4)
        self._on_grid = (geometries, ids, bounds)

    def _reproject(self, geometries, ids, grid: _Grid):
        to_layer = Transformer.from_crs(grid.crs, self.crs, always_xy=True)
        to_grid = Transformer.from_crs(self.crs, grid.crs, always_xy=True)
        # features far from the grid are left out first (they could lie outside the grid CRS's domain)
        full = Window(0, 0, grid.width, grid.height)
        x0, y0, x1, y1 = grid.window_bounds(full)
        margin = 0.05 * max(x1 - x0, y1 - y0)
        box = to_layer.transform_bounds(x0 - margin, y0 - margin, x1 + margin, y1 + margin, densify_pts=51)
        if all(map(math.isfinite, box)) and box[0] <= box[2]:
            b = shapely.bounds(geometries)
            near = (b[:, 0] <= box[2]) & (b[:, 2] >= box[0]) & (b[:, 1] <= box[3]) & (b[:, 3] >= box[1])
            geometries, ids = geometries[near], ids[near]
            # and cut to that box: only the part over the grid is burnt, and a feature that reaches far
            # beyond the grid CRS's domain (a world polygon on a UTM grid) would not transform
            geometries = shapely.intersection(geometries, shapely.box(*box))
            kept = ~shapely.is_empty(geometries)
            geometries, ids = geometries[kept], ids[kept]
        if not geometries.size:
            return geometries, ids
        # the size of a grid pixel in the layer's units, at the grid's centre
        t = grid.transform
        cx, cy = (
            t.a * grid.width / 2 + t.b * grid.height / 2 + t.c,
            t.d * grid.width / 2 + t.e * grid.height / 2 + t.f,
        )
        step = grid.pixel_size()
        lx, ly = to_layer.transform([cx, cx + step, cx], [cy, cy, cy + step])
        pixel = min(math.hypot(lx[1] - lx[0], ly[1] - ly[0]), math.hypot(lx[2] - lx[0], ly[2] - ly[0]))
        if math.isfinite(pixel) and pixel > 0:
            geometries = shapely.segmentize(geometries, DENSIFY_PIXELS * pixel)
        moved = shapely.transform(geometries, lambda x, y: to_grid.transform(x, y), interleaved=False)
        if not np.all(np.isfinite(shapely.bounds(moved))):
            raise SamCoreError(
                f"features of {self.role} {self.path.name} cannot be transformed from "
                f"{crs_label(self.crs)} to {crs_label(grid.crs)}"
            )
        return moved, ids

    def read(self, window: Window, grid: _Grid) -> np.ndarray:
        geometries, ids, bounds = self._on_grid
        shape = (int(window.height), int(window.width))
        if not geometries.size:
            return np.zeros(shape, np.int32)
        x0, y0, x1, y1 = grid.window_bounds(window)
        near = (bounds[:, 0] <= x1) & (bounds[:, 2] >= x0) & (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0)
        if not near.any():
            return np.zeros(shape, np.int32)
        return rasterize(
            zip(geometries[near], ids[near].tolist()),
            out_shape=shape,
            transform=grid.window_transform(window),
            fill=0,
            dtype="int32",
        )

    def close(self) -> None:
        pass


def _open_input(path, role: str, layer) -> _MaskRaster | _PolygonLayer:
    path, named = split_layer(path)  # QGIS's PATH|layername=NAME names the layer of a multi-layer file
    layer = named if named is not None else layer
    if not path.exists():
        raise SamCoreError(f"{role} not found: {path}")
    try:
        layers = [str(name) for name, _kind in pyogrio.list_layers(path)]
    except (DataSourceError, DataLayerError):
        layers = []
    if layers:
        return _PolygonLayer(path, role, layer, layers)
    if layer is not None:
        raise SamCoreError(f"{role} {path.name} is a raster: a layer name applies only to polygon files")
    return _MaskRaster(path, role)


def _grid_for(raster, pred, ref, include_nodata: bool, opened: list) -> _Grid:
    if raster is not None:
        path = Path(raster)
        if not path.exists():
            raise SamCoreError(f"raster not found: {path}")
        ds = _open_raster(path, "raster")
        opened.append(ds)
        if not include_nodata:  # no valid pixel: every metric would take its "best" value from zero counts
            valid_sample(ds, list(range(1, ds.count + 1)), path.name)
        return _Grid(path, ds.width, ds.height, ds.transform, _raster_crs(ds), None if include_nodata else ds)
    for source in (ref, pred):  # the reference raster's grid first
        if not source.is_vector:
            ds = source.dataset
            return _Grid(source.path, ds.width, ds.height, ds.transform, source.crs)
    raise SamCoreError(
        "the prediction and the reference are both polygon layers: give a raster whose grid they are "
        "rasterised on (--raster)"
    )


# -- one image -----------------------------------------------------------------------------------------------
@dataclass
class ImageEvaluation:
    """One image's result: confusion counts, object matches and its row for the report."""

    counts: ConfusionCounts
    objects: ObjectMatch
    row: dict
    warnings: list[str] = field(default_factory=list)


def evaluate_image(
    pred,
    ref,
    raster=None,
    *,
    pred_layer: str | int | None = None,
    ref_layer: str | int | None = None,
    include_nodata: bool = False,
    connectivity: int = 8,
    threshold: float = IOU_THRESHOLD,
    window_pixels: int = WINDOW_PIXELS,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> ImageEvaluation:
    """Compare ``pred`` with ``ref`` (paths of polygon files or mask rasters) on one grid (see the module)."""
    bound_gdal_cache()
    opened: list = []
    try:
        pred_in = _open_input(pred, "prediction", pred_layer)
        opened.append(pred_in)
        ref_in = _open_input(ref, "reference", ref_layer)
        opened.append(ref_in)
        grid = _grid_for(raster, pred_in, ref_in, include_nodata, opened)
        warnings: list[str] = []
        pred_in.to_grid(grid, warnings)
        ref_in.to_grid(grid, warnings)
        counts, objects = _compare(
            pred_in, ref_in, grid, connectivity, threshold, window_pixels, progress, is_cancelled
        )
    finally:
        for item in reversed(opened):
            item.close()
    row = {
        "image": (Path(raster) if raster is not None else grid.path).stem,
        "pred": str(pred),
        "ref": str(ref),
        "grid": str(grid.path),
        "crs": crs_label(grid.crs) or "",  # the summary's "no CRS" stays ""
        "width": grid.width,
        "height": grid.height,
        **counts.to_dict(),
        "iou_above_threshold": counts.iou > threshold,
        **objects.to_dict(),
    }
    return ImageEvaluation(counts, objects, row, warnings)


def _compare(pred_in, ref_in, grid, connectivity, threshold, window_pixels, progress, is_cancelled):
    rows_per_strip = max(1, int(window_pixels) // max(grid.width, 1))
    components = {
        "pred": None if pred_in.is_vector else StreamingComponents(connectivity),
        "ref": None if ref_in.is_vector else StreamingComponents(connectivity),
    }
    counts = ConfusionCounts()
    overlap = ObjectOverlap()
    for row_off in range(0, grid.height, rows_per_strip):
        if is_cancelled is not None and is_cancelled():
            raise Cancelled()
        window = Window(0, row_off, grid.width, min(rows_per_strip, grid.height - row_off))
        valid = grid.valid(window)
        labels = {}
        for key, source in (("pred", pred_in), ("ref", ref_in)):
            data = source.read(window, grid)
            labels[key] = components[key].add(data) if components[key] is not None else data
        counts = counts + confusion(labels["pred"] > 0, labels["ref"] > 0, valid)
        overlap.add(labels["pred"], labels["ref"], valid)
        if progress is not None:
            progress(min(1.0, (row_off + window.height) / grid.height))
    final = {k: (c.final_ids() if c is not None else None) for k, c in components.items()}
    return counts, overlap.match(threshold, pred_ids=final["pred"], ref_ids=final["ref"])


# -- several images ------------------------------------------------------------------------------------------
def evaluate(
    images: Sequence[tuple],
    *,
    pred_layer: str | int | None = None,
    ref_layer: str | int | None = None,
    include_nodata: bool = False,
    connectivity: int = 8,
    threshold: float = IOU_THRESHOLD,
    window_pixels: int = WINDOW_PIXELS,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> dict:
    """Evaluate several images, each ``(pred, ref)`` or ``(pred, ref, raster)``; per image and overall.

    Returns plain JSON data: ``images`` (one row per image, fields ``IMAGE_FIELDS``), ``overall`` (metrics of
    the summed confusion counts, ``mean_iou``, seed 002's ``accuracy``, object counts and hit rate),
    ``settings``, ``definitions`` and ``warnings``. Raises ``SamCoreError`` for bad input and ``Cancelled``
    when ``is_cancelled()`` turns true; nothing is returned in part.
    """
    if not images:
        raise SamCoreError("nothing to evaluate: give at least one prediction and reference")
    if connectivity not in (4, 8):
        raise SamCoreError(f"connectivity is 4 or 8, not {connectivity}")
    if not 0.0 <= threshold < 1.0:
        raise SamCoreError(f"the IoU threshold must be in [0, 1), not {threshold}")
    results: list[ImageEvaluation] = []
    for index, image in enumerate(images):
        if len(image) not in (2, 3):
            raise SamCoreError("each image is (prediction, reference) or (prediction, reference, raster)")
        pred, ref, raster = (*image, None) if len(image) == 2 else image

        def image_progress(fraction: float, index=index) -> None:
            if progress is not None:
                progress((index + fraction) / len(images))

        results.append(
            evaluate_image(
                pred,
                ref,
                raster,
                pred_layer=pred_layer,
                ref_layer=ref_layer,
                include_nodata=include_nodata,
                connectivity=connectivity,
                threshold=threshold,
                window_pixels=window_pixels,
                progress=image_progress,
                is_cancelled=is_cancelled,
            )
        )
    n_ref = sum(r.objects.n_reference for r in results)
    n_hit = sum(r.objects.n_hit for r in results)
    summary = overall([r.counts for r in results], threshold)
    summary.update(
        {
            "reference_objects": n_ref,
            "reference_objects_hit": n_hit,
            "object_hit_rate": n_hit / n_ref if n_ref else 1.0,
            "predicted_objects": sum(r.objects.n_predicted for r in results),
            "predicted_objects_matched": sum(r.objects.n_predicted_matched for r in results),
        }
    )
    return {
        "images": [r.row for r in results],
        "overall": summary,
        "settings": {
            "iou_threshold": threshold,
            "connectivity": connectivity,
            "include_nodata": include_nodata,
        },
        "definitions": DEFINITIONS,
        "warnings": [w for r in results for w in r.warnings],
    }


def write_report(path: str | os.PathLike, result: dict) -> Path:
    """Write an evaluation result as JSON, atomically (an existing file is replaced only on success)."""
    return write_json(path, result)
