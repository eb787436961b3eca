"""Predictions and references read onto one grid: polygon layers burnt, mask rasters resampled.

The reading half of an evaluation (``evaluate`` does the scoring). Each input is a polygon layer (any vector
file GDAL reads; the first layer unless one is named, also as ``PATH|layername=NAME``) or a mask raster
(band 1; positive where non-zero, not nodata and not NaN). The grid is the ``raster``'s, else the reference
raster's, else the prediction raster's; polygons are reprojected to its CRS with their edges densified first
and burnt with GDAL's pixel-centre rule; a mask raster on another grid is resampled with nearest neighbour.
An input without a CRS is taken to be in the grid's, with a warning. Everything is read strip by strip
(``read(window, grid)``), so memory follows the strip, not the raster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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

from ..errors import SamCoreError, first_line
from ..geo.crs import crs_label, parse_crs
from ..geo.georef import check_georeferencing, open_dataset
from ..geo.output import split_layer
from ..geo.raster import read_valid, valid_sample

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


# -- the grid ------------------------------------------------------------------------------------------------
@dataclass
class Grid:
    """The pixels an evaluation counts: a raster's size, transform and CRS, and its valid pixels."""

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

    @property
    def crs_label(self) -> str:
        """``EPSG:32618`` (or the WKT; "" without a CRS), as the report shows it."""
        return crs_label(self.crs) or ""

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
class MaskRaster:
    """A mask raster read on the grid, window by window; objects are connected components."""

    is_vector = False

    def __init__(self, path: Path, role: str) -> None:
        self.path, self.role = path, role
        self.dataset = _open_raster(path, role)
        self.crs = _raster_crs(self.dataset)
        self._source = self.dataset

    def to_grid(self, grid: Grid, warnings: list[str]) -> None:
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

    def read(self, window: Window, grid: Grid) -> np.ndarray:
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


class PolygonLayer:
    """A polygon layer burnt on the grid, window by window; objects are features (id = position + 1)."""

    is_vector = True

    def __init__(self, path: Path, role: str, layer: str | int | None, layers: list[str]) -> None:
        self.path, self.role = path, role
        self.note = None
        if layer is None and len(layers) > 1:
            self.note = f"{role} {path.name} has {len(layers)} layers: the first, {layers[0]!r}, is used"
        self.layer = layers[0] if layer is None else layer
        try:
            meta, _fids, wkb, _fields = pyogrio.raw.read(path, layer=self.layer, columns=[])
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

    def field_names(self) -> list[str]:
        try:
            return [str(name) for name in pyogrio.read_info(self.path, layer=self.layer)["fields"]]
        except (DataSourceError, DataLayerError) as exc:
            raise SamCoreError(f"cannot read {self.role} {self.path.name}: {first_line(exc)}") from exc

    def field_values(self, field: str) -> np.ndarray:
        """The values of ``field`` for the features with a geometry, in the order of ``ids`` (the
        training labels' split and class fields)."""
        names = self.field_names()
        folded = [name for name in names if name.lower() == field.lower()]
        if field not in names and len(folded) == 1:  # Shapefiles often spell fields in capitals
            field = folded[0]
        if field not in names:
            have = ", ".join(names) or "none"
            raise SamCoreError(f"{self.role} {self.path.name} has no field {field!r} (its fields: {have})")
        try:
            _meta, _fids, _wkb, values = pyogrio.raw.read(
                self.path, layer=self.layer, columns=[field], read_geometry=False
            )
        except (DataSourceError, DataLayerError) as exc:
            raise SamCoreError(f"cannot read {self.role} {self.path.name}: {first_line(exc)}") from exc
        return np.asarray(values[0], dtype=object)[self.ids - 1]

    def to_grid(self, grid: Grid, warnings: list[str]) -> None:
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

    def _reproject(self, geometries, ids, grid: Grid):
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

    @property
    def grid_bounds(self) -> np.ndarray:
        """(n, 4) bounds of the features burnt, in the grid's CRS once ``to_grid`` has run (n = 0: none
        is near the grid)."""
        return self._on_grid[2]

    def read(self, window: Window, grid: Grid) -> np.ndarray:
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


def open_input(path, role: str, layer) -> MaskRaster | PolygonLayer:
    """A prediction or reference (``role``): a polygon layer when GDAL lists a layer in it, else a mask
    raster."""
    path, named = split_layer(path)  # QGIS's PATH|layername=NAME names the layer of a multi-layer file
    layer = named if named is not None else layer
    if not path.exists():
        raise SamCoreError(f"{role} not found: {path}")
    layers = vector_layers(path)
    if layers:
        return PolygonLayer(path, role, layer, layers)
    if layer is not None:
        raise SamCoreError(f"{role} {path.name} is a raster: a layer name applies only to polygon files")
    return MaskRaster(path, role)


def vector_layers(path: Path) -> list[str]:
    """The layers GDAL lists in ``path`` (none: a raster)."""
    try:
        return [str(name) for name, _kind in pyogrio.list_layers(path)]
    except (DataSourceError, DataLayerError):
        return []


def polygon_layer(path, role: str, grid: Grid, warnings: list[str]) -> PolygonLayer:
    """A polygon layer (``role``: labels, region) put on ``grid``; a raster is refused: polygons are needed
    (the training data's GIS form)."""
    layer = open_input(path, role, None)
    if not isinstance(layer, PolygonLayer):
        layer.close()
        raise SamCoreError(f"{role} {Path(path).name} is not a polygon layer")
    layer.to_grid(grid, warnings)
    return layer


def grid_for(raster, pred, ref, include_nodata: bool, opened: list) -> Grid:
    """The grid of ``raster``, else of the reference raster, else of the prediction raster; what is opened
    here is added to ``opened`` for the caller to close."""
    if raster is not None:
        path = Path(raster)
        if not path.exists():
            raise SamCoreError(f"raster not found: {path}")
        ds = _open_raster(path, "raster")
        opened.append(ds)
        if not include_nodata:  # no valid pixel: every metric would take its "best" value from zero counts
            valid_sample(ds, list(range(1, ds.count + 1)), path.name)
        return Grid(path, ds.width, ds.height, ds.transform, _raster_crs(ds), None if include_nodata else ds)
    for source in (ref, pred):  # the reference raster's grid first
        if not source.is_vector:
            ds = source.dataset
            return Grid(source.path, ds.width, ds.height, ds.transform, source.crs)
    raise SamCoreError(
        "the prediction and the reference are both polygon layers: give a raster whose grid they are "
        "rasterised on (--raster)"
    )
