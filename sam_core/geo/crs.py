"""CRS parsing and coordinate transforms: the single place that talks to pyproj about CRSs."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from ..errors import SamCoreError


def parse_crs(value: str | int | CRS) -> CRS:
    """Accept 'EPSG:4326', 4326, WKT or a PROJ string; an unknown CRS is a user error."""
    if isinstance(value, CRS):
        return value
    try:
        return CRS.from_user_input(value)
    except (CRSError, TypeError, ValueError) as exc:
        raise SamCoreError(f"unknown CRS {value!r}") from exc


@lru_cache(maxsize=64)
def _transformer(src_wkt: str, dst_wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(src_wkt), CRS.from_wkt(dst_wkt), always_xy=True)


def transform_xy(xs, ys, src: CRS, dst: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Transform x/y arrays (easting/longitude first, whatever the CRS's axis order)."""
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float)
    if src == dst:
        return xs, ys
    transformer = _transformer(src.to_wkt(), dst.to_wkt())
    if xs.size == 1:  # pyproj would take a size-1 array for a scalar, a conversion numpy deprecates
        tx, ty = transformer.transform(float(xs.reshape(-1)[0]), float(ys.reshape(-1)[0]))
    else:
        tx, ty = transformer.transform(xs, ys)
    tx, ty = np.asarray(tx, dtype=float).reshape(xs.shape), np.asarray(ty, dtype=float).reshape(ys.shape)
    if not (np.all(np.isfinite(tx)) and np.all(np.isfinite(ty))):
        raise SamCoreError(f"coordinates cannot be transformed from {src.to_string()} to {dst.to_string()}")
    return tx, ty


def crs_label(crs) -> str | None:
    """``EPSG:32633``-style authority code of a pyproj/rasterio CRS, its WKT when it has none; None for no
    CRS (JSON null: "no CRS" is not a CRS named "")."""
    if crs is None:
        return None
    authority = crs.to_authority()
    return f"{authority[0]}:{authority[1]}" if authority else crs.to_wkt()


def transform_geometry(geometry, src: CRS, dst: CRS, pieces: int = 200):
    """A shapely geometry from ``src`` to ``dst``; edges are first split into at most 1/``pieces`` of the
    geometry's size, so a straight edge in one CRS follows its curve in the other."""
    import shapely

    if src == dst or geometry is None or geometry.is_empty:
        return geometry
    xmin, ymin, xmax, ymax = geometry.bounds
    size = max(xmax - xmin, ymax - ymin)
    if size > 0:
        geometry = shapely.segmentize(geometry, size / pieces)
    return shapely.transform(geometry, lambda x, y: transform_xy(x, y, src, dst), interleaved=False)
