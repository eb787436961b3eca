"""Prompts from vector files: many objects in one run, each carrying its source feature's attributes.

A prompt file is any vector file GDAL reads (GeoPackage, GeoJSON, Shapefile, ...; the first layer, or the
one named as ``PATH|layername=NAME``, QGIS's way of writing a layer of a file). Each feature's geometry
says what it is: a point or multipoint gives point prompts, a polygon gives a box prompt (its bounding box,
in the file's CRS). Two optional fields, looked up in every file that has them:

- the *label field*: 1 foreground, 0 background (an empty value counts as 1); points only;
- the *group field*: features with the same value make one object (its points and at most one box).

Without a group value, every box is an object of its own and all ungrouped points make one object. An
object carries the attributes of its box's feature, else of its first point's; a source field whose name
clashes with an output field is renamed ``src_<name>``. Field types (integers, booleans and dates with
empty values too) are kept as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS

from ..errors import SamCoreError
from ..geo.crs import parse_crs, transform_xy
from ..geo.output import split_layer
from .prompts import Point, Prompts


@dataclass
class PromptFile:
    """One layer of prompt features: geometries, CRS and attribute columns with their declared types."""

    name: str
    crs: CRS | None
    geometries: np.ndarray  # shapely geometries (None where a feature has none)
    fields: list[str]
    columns: list[np.ndarray]  # the declared dtype (ints and booleans restored where values were empty)
    masks: list[np.ndarray | None]  # True where an int/bool value is empty; None: empty values are in-band

    def column(self, name: str | None) -> tuple[np.ndarray, np.ndarray | None] | None:
        if name is None or name not in self.fields:
            return None
        index = self.fields.index(name)
        return self.columns[index], self.masks[index]


def read_prompt_file(text: str | Path) -> PromptFile:
    path, layer = split_layer(text)
    if not path.exists():
        raise SamCoreError(f"prompt file not found: {path}")
    try:
        meta, _fids, wkb, columns = pyogrio.raw.read(path, layer=layer, datetime_as_string=False)
    except (DataSourceError, DataLayerError) as exc:
        raise SamCoreError(f"cannot read the prompt file {path.name}: {str(exc).splitlines()[0]}") from exc
    geometries = shapely.force_2d(shapely.from_wkb(wkb)) if wkb is not None else np.array([], object)
    restored, masks = [], []
    for values, dtype in zip(columns, meta["dtypes"]):
        dtype = np.dtype(dtype)
        mask = None
        if dtype.kind in "iub" and values.dtype.kind == "f":  # GDAL gave NaN for empty values
            mask = np.isnan(values)
            values = np.where(mask, 0, values).astype(dtype)
        restored.append(values)
        masks.append(mask)
    name = path.name if layer is None else f"{path.name} (layer {layer})"
    crs = parse_crs(meta["crs"]) if meta.get("crs") else None
    return PromptFile(name, crs, geometries, [str(f) for f in meta["fields"]], restored, masks)


@dataclass
class PromptObject:
    """The prompts of one output object, where they came from, and whose attributes it carries."""

    label: str  # for messages: 'group "A"', 'the box of feature 3 of boxes.gpkg', 'the ungrouped points'
    crs: CRS | None
    points: list[Point] = field(default_factory=list)
    box: tuple[float, float, float, float] | None = None
    box_crs: CRS | None = None
    source: tuple[int, int] | None = None  # (file index, row) of the feature whose attributes it carries

    def prompts(self) -> Prompts:
        """The prompts, in the box's CRS when the object has a box, else in its points' CRS."""
        crs = self.box_crs if self.box is not None else self.crs
        return Prompts(points=tuple(self.points), box=self.box, crs=crs)


def _is_empty(values: np.ndarray, mask: np.ndarray | None, row: int) -> bool:
    if mask is not None:
        return bool(mask[row])
    value = values[row]
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return False


def _label(value, where: str) -> int:
    if isinstance(value, str):
        value = value.strip()
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if number not in (0.0, 1.0):
        raise SamCoreError(f"{where} has label {value!r}: labels are 1 (foreground) or 0 (background)")
    return int(number)


def _group_key(value) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def prompt_objects(
    files: list[PromptFile], label_field: str | None = None, group_field: str | None = None
) -> tuple[list[PromptObject], list[str]]:
    """The objects the features of ``files`` describe, in the order they first appear, and warnings."""
    for name, kind in ((label_field, "label"), (group_field, "group")):
        if name is not None and not any(name in f.fields for f in files):
            raise SamCoreError(f"no prompt file has the {kind} field {name!r}")
    objects: dict[tuple, PromptObject] = {}
    warnings: list[str] = []
    for index, prompt_file in enumerate(files):
        labels, groups = prompt_file.column(label_field), prompt_file.column(group_field)
        for row, geometry in enumerate(prompt_file.geometries):
            where = f"feature {row + 1} of {prompt_file.name}"
            if geometry is None or geometry.is_empty:
                warnings.append(f"{where} has no geometry and was left out")
                continue
            kind = geometry.geom_type
            if kind not in ("Point", "MultiPoint", "Polygon", "MultiPolygon"):
                raise SamCoreError(f"{where} is a {kind}: prompts are points, or polygons for boxes")
            group = None
            if groups is not None and not _is_empty(*groups, row):
                group = _group_key(groups[0][row])
            if group is not None:
                key, label = ("group", group), f"group {group!r}"
            elif kind.endswith("Polygon"):
                key, label = ("box", index, row), f"the box of {where}"
            else:
                key, label = ("points",), "the ungrouped points"
            obj = objects.setdefault(key, PromptObject(label, prompt_file.crs))
            if kind.endswith("Polygon"):
                if obj.box is not None:
                    raise SamCoreError(f"{label} has more than one box ({where}): one box per object")
                obj.box, obj.box_crs = tuple(float(v) for v in geometry.bounds), prompt_file.crs
                obj.source = (index, row)  # a box's attributes win over its group's points'
                continue
            value = 1
            if labels is not None and not _is_empty(*labels, row):
                value = _label(labels[0][row], where)
            coords = shapely.get_coordinates(geometry)
            xs, ys = coords[:, 0], coords[:, 1]
            if not obj.points:
                obj.crs = prompt_file.crs
            elif None not in (obj.crs, prompt_file.crs) and obj.crs != prompt_file.crs:
                xs, ys = transform_xy(xs, ys, prompt_file.crs, obj.crs)
            obj.points.extend(Point(float(x), float(y), value) for x, y in zip(xs, ys))
            if obj.source is None:
                obj.source = (index, row)
    for obj in objects.values():
        _points_to_box_crs(obj)
    if not objects:
        raise SamCoreError("the prompt files hold no point or polygon features")
    return list(objects.values()), warnings


def _points_to_box_crs(obj: PromptObject) -> None:
    """Prompts of one object share one CRS: points from another file than the box follow the box's CRS."""
    if obj.box is None or not obj.points or obj.crs == obj.box_crs or None in (obj.crs, obj.box_crs):
        return
    xs, ys = transform_xy([p.x for p in obj.points], [p.y for p in obj.points], obj.crs, obj.box_crs)
    obj.points = [Point(float(x), float(y), p.label) for x, y, p in zip(xs, ys, obj.points)]
    obj.crs = obj.box_crs


# -- the source attributes of the output objects --------------------------------------------------------------
#: columns a GeoPackage keeps for itself (the feature id and the geometry)
STORAGE_NAMES = ("fid", "geom", "geometry")


def _empty_column(dtype: np.dtype, size: int) -> np.ndarray:
    if dtype.kind in "iub":
        return np.zeros(size, dtype)
    if dtype.kind == "f":
        return np.full(size, np.nan, dtype)
    if dtype.kind in "mM":
        return np.full(size, np.datetime64("NaT"), dtype)
    return np.full(size, None, object)


def source_columns(
    files: list[PromptFile], sources: list[tuple[int, int] | None], reserved
) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """(name, values, empty mask) of every source field, one value per object (``sources`` gives each
    object's feature); names in ``reserved``, or a GeoPackage's own column names (compared
    case-insensitively), become ``src_<name>``."""
    taken = {name.lower() for name in (*reserved, *STORAGE_NAMES)}
    order: dict[str, list[int]] = {}  # output column → indexes of the files holding it
    for index, prompt_file in enumerate(files):
        for name in prompt_file.fields:
            order.setdefault(name, []).append(index)
    out = []
    for name, holders in order.items():
        dtypes = {files[i].columns[files[i].fields.index(name)].dtype for i in holders}
        dtype = dtypes.pop() if len(dtypes) == 1 else np.dtype(object)
        as_text = dtype == np.dtype(object) and any(
            files[i].columns[files[i].fields.index(name)].dtype != object for i in holders
        )
        values, mask = _empty_column(dtype, len(sources)), np.ones(len(sources), bool)
        for k, source in enumerate(sources):
            if source is None or source[0] not in holders:
                continue
            column, empty = files[source[0]].column(name)
            if _is_empty(column, empty, source[1]):
                continue
            value = column[source[1]]
            values[k] = str(value) if as_text else value
            mask[k] = False
        output_name = name
        while output_name.lower() in taken:
            output_name = f"src_{output_name}"
        taken.add(output_name.lower())
        out.append((output_name, values, mask if dtype.kind in "iub" else None))
    return out
