"""Vector output: GeoPackage or GeoJSON through pyogrio (GDAL), written atomically.

Features are written to a temporary file beside the target and renamed over it only after success, so a
failure or a cancel never leaves a half-written file and never damages the user's existing one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import shapely
from pyogrio.errors import DataSourceError
from pyogrio.raw import write
from pyproj import CRS

from .errors import SamCoreError

DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}


def driver_for(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in DRIVERS:
        raise SamCoreError(f"output must end in .gpkg or .geojson, not {Path(path).name!r}")
    return DRIVERS[suffix]


def check_writable(path: str | os.PathLike) -> None:
    """Fail before any heavy work when the output cannot be written."""
    driver_for(path)
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise SamCoreError(f"output folder does not exist: {folder}")
    if not os.access(folder, os.W_OK):
        raise SamCoreError(f"output folder is not writable: {folder}")


def write_polygons(
    path: str | os.PathLike, records: list[dict], crs: CRS | None, layer: str = "objects"
) -> Path:
    """Write ``records`` (each a dict with ``geometry`` plus attribute values) as a MultiPolygon layer."""
    path = Path(path)
    driver = driver_for(path)
    check_writable(path)
    fields = [k for k in (records[0] if records else {"id": 0}) if k != "geometry"]
    geometries = [shapely.MultiPolygon(shapely.get_parts(r["geometry"])) for r in records]
    field_data = [np.asarray([r[f] for r in records], dtype=_dtype(records, f)) for f in fields]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    os.unlink(tmp)  # GDAL creates the file itself
    try:
        write(
            tmp,
            geometry=np.asarray(shapely.to_wkb(geometries), dtype=object),
            field_data=field_data,
            fields=fields,
            layer=layer if driver == "GPKG" else path.stem,
            driver=driver,
            geometry_type="MultiPolygon",
            crs=crs.to_wkt() if crs is not None else None,
        )
        os.replace(tmp, path)
    except DataSourceError as exc:
        raise SamCoreError(f"cannot write {path.name}: {exc}") from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _dtype(records: list[dict], field: str):
    values = [r[field] for r in records]
    if values and all(isinstance(v, (bool, np.bool_)) for v in values):
        return np.int32
    if values and all(isinstance(v, (int, np.integer)) for v in values):
        return np.int64
    if values and all(isinstance(v, (int, float, np.integer, np.floating)) for v in values):
        return np.float64
    return object
