"""Vector output (GeoPackage or GeoJSON through pyogrio/GDAL) and JSON reports, written atomically.

Features are written to a temporary file beside the target and renamed over it only after success
(``atomic.atomic_output``), so a failure or a cancel never leaves a half-written file and never damages the
user's existing one.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np
import shapely
from pyogrio import errors as ogr_errors
from pyogrio.raw import write
from pyproj import CRS

from ..errors import SamCoreError
from ..io import atomic_output, check_output_file, write_text
from ..schema import EVERYTHING_FIELDS, PROMPT_FIELDS  # noqa: F401 - the fields live in fields.py

DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}
#: how QGIS names one layer of a multi-layer file (``PATH|layername=NAME``); inputs accept it too
LAYER_SEPARATOR = "|layername="


def split_layer(text: str | os.PathLike) -> tuple[Path, str | None]:
    """``PATH|layername=NAME`` → (PATH, NAME); a plain path → (path, None)."""
    text = str(text)
    if LAYER_SEPARATOR in text:
        path, layer = text.split(LAYER_SEPARATOR, 1)
        return Path(path), layer.split("|", 1)[0] or None
    return Path(text), None


def driver_for(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in DRIVERS:
        raise SamCoreError(f"output must end in .gpkg or .geojson, not {Path(path).name!r}")
    return DRIVERS[suffix]


def check_writable(path: str | os.PathLike) -> None:
    """Fail before any heavy work when the output cannot be written."""
    driver_for(path)
    check_output_file(path, None, "the output")


_NUMPY_TYPES = {int: np.int64, float: np.float64, str: object}
#: what pyogrio raises when GDAL cannot write (disk full, driver refusal)
OGR_ERRORS = (
    ogr_errors.DataSourceError,
    ogr_errors.DataLayerError,
    ogr_errors.FieldError,
    ogr_errors.GeometryError,
    ogr_errors.FeatureError,
    ogr_errors.CRSError,
)


def write_polygons(
    path: str | os.PathLike,
    records: list[dict],
    crs: CRS | None,
    fields: dict[str, type],
    layer: str = "objects",
    columns: list[tuple[str, np.ndarray, np.ndarray | None]] = (),
) -> Path:
    """Write ``records`` (each a dict with ``geometry`` plus the ``fields``) as a MultiPolygon layer;
    ``columns`` adds fields after them: (name, one value per record, True where empty or None)."""
    path = Path(path)
    driver = driver_for(path)
    check_writable(path)
    geometries = [shapely.MultiPolygon(shapely.get_parts(r["geometry"])) for r in records]
    field_data = [
        np.asarray([r[name] for r in records], dtype=_NUMPY_TYPES[kind]) for name, kind in fields.items()
    ]
    masks = [None] * len(field_data) + [mask for _name, _values, mask in columns]
    field_data += [values for _name, values, _mask in columns]
    try:
        with atomic_output(path) as tmp:  # GDAL creates the temporary file itself
            write(
                tmp,
                geometry=np.asarray(shapely.to_wkb(geometries), dtype=object),
                field_data=field_data,
                fields=[*fields, *(name for name, _values, _mask in columns)],
                field_mask=masks if any(m is not None for m in masks) else None,
                layer=layer if driver == "GPKG" else path.stem,
                driver=driver,
                geometry_type="MultiPolygon",
                crs=crs.to_wkt() if crs is not None else None,
                # GeoPackage 1.2: the GDAL of QGIS 3.22 (3.6 and older) warns on the 1.4 files newer GDALs write
                dataset_options={"VERSION": "1.2"} if driver == "GPKG" else None,
            )
    except OGR_ERRORS as exc:
        raise SamCoreError(f"cannot write {path.name}: {exc}") from exc
    return path


def check_json_writable(path: str | os.PathLike) -> None:
    """Fail before any heavy work when a JSON report cannot be written to ``path``."""
    check_output_file(path, (".json",), "the report")


def write_json(path: str | os.PathLike, data) -> Path:
    """Write ``data`` as JSON (strict: no NaN) atomically: a temporary file beside ``path``, then a rename."""
    path = Path(path)
    check_json_writable(path)
    return write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


TABLE_SUFFIXES = (".json", ".csv")


def check_table_writable(path: str | os.PathLike, what: str) -> None:
    check_output_file(path, TABLE_SUFFIXES, what)


def write_area_table(path: str | os.PathLike, summary: dict, rows: list[dict], columns) -> Path:
    """Area per class as JSON (the whole ``summary``) or CSV (``rows``, these ``columns``), atomically;
    hectares to 4 decimals and percentages to 3 in the CSV, as a report quotes them."""
    path = Path(path)
    check_table_writable(path, "the summary")
    if path.suffix.lower() == ".json":
        return write_json(path, summary)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "area_ha": f"{row['area_ha']:.4f}", "percent": f"{row['percent']:.3f}"})
    return write_text(path, buffer.getvalue())
