"""The one georeferencing check of a raster, made when it is opened (segment, everything, classify, encode,
evaluate, and the dock's engine).

Why up front: a raster whose geotransform has a zero pixel size cannot be inverted (a traceback deep in the
tiling), and a raster with only GCPs (or RPCs), or with no georeferencing at all, is read by rasterio with
the identity transform: polygons would come out in pixel coordinates, labelled as map coordinates. Each case
is named with what to do about it.
"""

from __future__ import annotations

import math
import warnings

import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning

from ..errors import SamCoreError

_WARP = "warp it first (gdalwarp)"


def open_dataset(path) -> rasterio.DatasetReader:
    """``rasterio.open`` without its NotGeoreferencedWarning: ``check_georeferencing`` says it in one line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        return rasterio.open(path)


def georeferencing_problem(ds, need_crs: bool = True) -> str | None:
    """What is missing or broken in ``ds``'s georeferencing, as the end of a sentence; None when sound."""
    transform: Affine = ds.transform
    gcps, _gcp_crs = ds.gcps
    identity = transform == Affine.identity()
    if identity and gcps:
        return f"no georeferencing: the raster has only GCPs (ground control points); {_WARP}"
    if identity and ds.rpcs is not None:
        return "no georeferencing: the raster has only RPCs; orthorectify it first (gdalwarp -rpc)"
    if identity and ds.crs is None:
        return "no georeferencing: the raster has neither a geotransform nor a CRS; georeference it first"
    coefficients = tuple(transform)[:6]
    if not all(math.isfinite(c) for c in coefficients):
        return f"broken georeferencing: the geotransform holds a non-finite number {coefficients}"
    determinant = transform.a * transform.e - transform.b * transform.d
    if determinant == 0 or not math.isfinite(determinant):
        size = (math.hypot(transform.a, transform.d), math.hypot(transform.b, transform.e))
        return (
            f"broken georeferencing: the geotransform has a zero pixel size ({size[0]:g} × {size[1]:g}); "
            "fix it (gdal_edit.py -tr or -a_ullr) or warp it"
        )
    if need_crs and ds.crs is None:
        return "no georeferencing: the raster has no CRS; assign one first (gdal_edit.py -a_srs EPSG:...)"
    return None


def check_georeferencing(ds, name: str, need_crs: bool = True) -> None:
    """Raise ``SamCoreError`` naming what the raster ``name`` lacks (see ``georeferencing_problem``)."""
    problem = georeferencing_problem(ds, need_crs)
    if problem is not None:
        raise SamCoreError(f"raster {name}: {problem}")
