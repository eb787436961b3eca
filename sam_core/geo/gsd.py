"""Ground sample distance: a raster's pixel size on the ground, and a view of a raster at another GSD.

A classifier head is trained at one GSD (EuroSAT: 10 m). ``ResampledSource`` shows a raster to the encoder at
that GSD without writing anything: a GDAL warped VRT whose pixels are ``scale`` raster pixels on a side
(average resampling), anchored at the raster's own origin, read window by window like any ``RasterSource``.
The GSD of a pixel is measured on the ellipsoid (``measures``), so geographic and Web-Mercator rasters get their
real ground size, not their nominal one.
"""

from __future__ import annotations

import math
import os

import shapely
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.vrt import WarpedVRT

from ..errors import SamCoreError
from .measures import measure
from .raster import DEFAULT_PERCENTILES, RasterSource, Stretch


def ground_gsd_m(transform: Affine, width: int, height: int, crs: CRS | None) -> float:
    """Side of a square with the geodesic area of the raster's central pixel, in metres."""
    if crs is None:
        raise SamCoreError("the raster has no CRS: its ground resolution cannot be known")
    col, row = width // 2, height // 2
    corners = [transform @ (col + dc, row + dr) for dc, dr in ((0, 0), (1, 0), (1, 1), (0, 1))]
    return math.sqrt(measure(shapely.Polygon(corners), crs).area_m2)


def working_scale(raster_gsd_m: float, head_gsd_m: float, tolerance: float = 0.05) -> float:
    """Raster pixels per working pixel to see the raster at ``head_gsd_m``: a whole number (or its inverse)
    when one is within ``tolerance`` (1 within 5 %: not resampled; 5 m → 10 m: exactly 2, so working pixels
    are whole blocks of raster pixels), else the exact ratio."""
    scale = head_gsd_m / raster_gsd_m
    whole = round(scale) if scale >= 1 else round(1 / scale)
    snapped = float(whole) if scale >= 1 else 1.0 / whole
    return snapped if whole >= 1 and abs(scale / snapped - 1) <= tolerance else scale


def refuse_upsampling(name: str, gsd_m: float, head_gsd_m: float, scale: float, allow: float) -> None:
    """Refuse to see a raster with pixels of ``gsd_m`` at ``head_gsd_m`` when that upsamples it (``scale``
    below 1) by more than ``allow``: no detail is gained, and the tiles to encode grow with the factor
    squared (a 300 m raster at 10 m: 900×)."""
    factor = 1.0 / scale
    if factor > allow * (1 + 1e-9):
        raise SamCoreError(
            f"{name} has {gsd_m:.3g} m pixels, {factor:.3g}× coarser than the {head_gsd_m:g} m the head was "
            f"trained at: classifying it would upsample it {factor:.3g}× (about {factor * factor:,.0f}× the "
            f"tiles) for detail it does not have; use imagery at about {head_gsd_m:g} m or a head trained at "
            f"the raster's resolution, or pass --allow-upsample {math.ceil(factor - 1e-9)} to insist"
        )


class ResampledSource(RasterSource):
    """A raster seen with pixels of ``scale`` raster pixels (``scale`` 1: the raster itself), optionally
    with a given stretch instead of the raster's own percentiles.

    Working pixel (c, r) covers raster pixels [c·scale, (c+1)·scale) × [r·scale, (r+1)·scale); the last column
    and row may reach past the raster's edge (the part outside is nodata where the raster has nodata).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        scale: float = 1.0,
        bands=None,
        stretch: Stretch | None = None,
        percentiles=DEFAULT_PERCENTILES,
    ) -> None:
        super().__init__(path, bands, percentiles)
        self.scale = float(scale)
        self._file = self._ds
        if self.scale != 1.0:
            if self._file.crs is None:
                self.close()
                raise SamCoreError(f"raster {self.path.name} has no CRS: it cannot be resampled")
            try:
                self._ds = WarpedVRT(
                    self._file,
                    crs=self._file.crs,
                    transform=self._file.transform @ Affine.scale(self.scale),
                    width=max(1, math.ceil(self._file.width / self.scale)),
                    height=max(1, math.ceil(self._file.height / self.scale)),
                    resampling=Resampling.average,
                )
            except (RasterioError, OSError, ValueError) as exc:
                self._file.close()
                raise SamCoreError(f"cannot resample {self.path.name}: {exc}") from exc
            self.__dict__.pop("_sample", None)  # the stretch comes from the resampled view, as it did
        if stretch is not None:
            self.stretch = stretch  # overrides the cached percentile stretch

    @property
    def raster_width(self) -> int:
        return self._file.width

    @property
    def raster_height(self) -> int:
        return self._file.height

    @property
    def raster_transform(self) -> Affine:
        return self._file.transform

    @property
    def dtype(self) -> str:
        return self._file.dtypes[0]

    @property
    def band_count(self) -> int:
        return self._file.count

    def close(self) -> None:
        if self._ds is not self._file:
            self._ds.close()
        self._file.close()
