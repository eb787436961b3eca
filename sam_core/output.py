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


#: Object layers' fields, in order, with their types: the structure never depends on the result.
PROMPT_FIELDS = {
    "id": int,
    "prompt_type": str,
    "n_fg": int,
    "n_bg": int,
    "score": float,
    "area_m2": float,
    "perimeter_m": float,
    "model": str,
}
EVERYTHING_FIELDS = {
    "id": int,
    "score": float,
    "stability": float,
    "area_m2": float,
    "perimeter_m": float,
    "tiles": str,
    "model": str,
}
_NUMPY_TYPES = {int: np.int64, float: np.float64, str: object}


def write_polygons(
    path: str | os.PathLike,
    records: list[dict],
    crs: CRS | None,
    fields: dict[str, type],
    layer: str = "objects",
) -> Path:
    """Write ``records`` (each a dict with ``geometry`` plus the ``fields``) as a MultiPolygon layer."""
    path = Path(path)
    driver = driver_for(path)
    check_writable(path)
    geometries = [shapely.MultiPolygon(shapely.get_parts(r["geometry"])) for r in records]
    field_data = [
        np.asarray([r[name] for r in records], dtype=_NUMPY_TYPES[kind]) for name, kind in fields.items()
    ]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    os.unlink(tmp)  # GDAL creates the file itself
    try:
        write(
            tmp,
            geometry=np.asarray(shapely.to_wkb(geometries), dtype=object),
            field_data=field_data,
            fields=list(fields),
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
