"""Where accepted objects go: a new memory layer, an existing polygon layer, or a GeoPackage file.

Each target takes the engine's output records (WKB geometry in the raster's CRS plus the TerraSAM fields) and adds
them as features, all in one call. Measures are never recomputed here: ``area_m2`` and ``perimeter_m`` come
from ``sam_core``.
"""

from __future__ import annotations

import os

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsField,
    QgsFields,
    QgsFillSymbol,
    QgsGeometry,
    QgsProject,
    QgsRendererCategory,
    QgsVectorFileWriter,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..host.layer_style import style_objects
from ..sam_core.errors import SamCoreError
from ..sam_core.io import atomic_output
from ..sam_core.schema import CELL_FIELDS, CLASS_FIELDS, DOCK_FIELDS, EVERYTHING_FIELDS, PROMPT_FIELDS

#: QGIS types of the core's field types; the fields themselves are the core's (``sam_core/fields.py``)
QT_TYPES = {int: QVariant.Int, float: QVariant.Double, str: QVariant.String}
#: each product's layer in the dock: the core's fields plus the dock's provenance (raster name, time)
PROMPT_LAYER_FIELDS = {**PROMPT_FIELDS, **DOCK_FIELDS}
EVERYTHING_LAYER_FIELDS = {**EVERYTHING_FIELDS, **DOCK_FIELDS}


def object_fields(fields: dict[str, type] = PROMPT_LAYER_FIELDS) -> QgsFields:
    """QgsFields of one of the core's field lists (name → Python type)."""
    result = QgsFields()
    for name, kind in fields.items():
        result.append(QgsField(name, QT_TYPES[kind]))
    return result


def to_qgs_geometry(wkb: bytes) -> QgsGeometry:
    """The engine's WKB (2-D MultiPolygon, see ``sam_core.service.engine.to_wkb``) as a QgsGeometry, no precision lost."""
    qgs = QgsGeometry()
    qgs.fromWkb(wkb)
    return qgs


def add_record(layer: QgsVectorLayer, record: dict, source_crs: QgsCoordinateReferenceSystem) -> int:
    """Append one record to ``layer`` (see ``add_records``)."""
    return add_records(layer, [record], source_crs)


def add_records(layer: QgsVectorLayer, records: list[dict], source_crs: QgsCoordinateReferenceSystem) -> int:
    """Append ``records`` to ``layer`` in one call (reprojected if needed); fields the layer lacks are skipped.
    Returns the layer's feature count afterwards."""
    fields = layer.fields()
    transform = (
        QgsCoordinateTransform(source_crs, layer.crs(), QgsProject.instance())
        if layer.crs() != source_crs
        else None
    )
    features = []
    for record in records:
        geometry = to_qgs_geometry(record["geometry"])
        if transform is not None:
            geometry.transform(transform)
        feature = QgsFeature(fields)
        feature.setGeometry(geometry)
        for name, value in record.items():
            index = fields.indexOf(name)
            if name != "geometry" and index >= 0:
                feature.setAttribute(index, value)
        features.append(feature)
    if not features:
        return layer.featureCount()
    if layer.isEditable():
        ok = layer.addFeatures(features)
    else:
        ok, _ = layer.dataProvider().addFeatures(features)
        layer.updateExtents()
        layer.triggerRepaint()
    if not ok:
        noun = "feature" if len(features) == 1 else f"{len(features)} features"
        raise SamCoreError(f"the layer {layer.name()!r} refused the new {noun}")
    return layer.featureCount()


def add_missing_fields(layer: QgsVectorLayer, fields: dict[str, type]) -> QgsVectorLayer:
    """``layer`` with the ``fields`` it lacks added (a memory layer or a GeoPackage of TerraSAM's own)."""
    missing = [f for f in object_fields(fields).toList() if layer.fields().indexOf(f.name()) < 0]
    if missing:
        if not layer.dataProvider().addAttributes(missing):
            raise SamCoreError(f"the layer {layer.name()!r} refused the new fields")
        layer.updateFields()
    return layer


def next_id(layer: QgsVectorLayer) -> int:
    index = layer.fields().indexOf("id")
    if index < 0 or layer.featureCount() == 0:
        return layer.featureCount() + 1
    return int(layer.maximumValue(index) or 0) + 1


def new_memory_layer(
    name: str, crs: QgsCoordinateReferenceSystem, fields: dict[str, type] = PROMPT_LAYER_FIELDS
) -> QgsVectorLayer:
    """An empty memory layer with ``fields`` in the object style (a land-cover layer restyles it)."""
    layer = QgsVectorLayer(f"MultiPolygon?crs={crs.authid() or 'EPSG:4326'}", name, "memory")
    if not crs.authid():
        layer.setCrs(crs)
    layer.dataProvider().addAttributes(object_fields(fields).toList())
    layer.updateFields()
    style_objects(layer, store=False)
    return layer


def land_cover_layer(name: str, crs: QgsCoordinateReferenceSystem, result: dict) -> QgsVectorLayer:
    """A memory layer of the engine's ``classify`` result, one fixed colour per class (the head's), every
    class of the head in the legend whether found or not, so maps of several runs compare at a glance."""
    first = result["features"][0] if result["features"] else {}
    layer = new_memory_layer(name, crs, CLASS_FIELDS if "cells" in first else CELL_FIELDS)
    add_records(layer, result["features"], crs)
    categories = []
    for row in result["classes"]:
        symbol = QgsFillSymbol.createSimple({"color": row["colour"], "outline_style": "no"})
        categories.append(QgsRendererCategory(row["class"], symbol, row["class"]))
    layer.setRenderer(QgsCategorizedSymbolRenderer("class", categories))
    return layer


def open_or_create_geopackage(
    path: str,
    crs: QgsCoordinateReferenceSystem,
    layer_name: str = "objects",
    fields: dict[str, type] = PROMPT_LAYER_FIELDS,
):
    """The GeoPackage's layer ``layer_name`` (one per product: "objects", "everything"), created with
    ``fields`` and the object style (saved in the file) when missing: a new file atomically (temp file, then
    rename); a new layer in an existing file beside its other layers, which stay untouched."""
    uri = f"{path}|layername={layer_name}"
    exists = os.path.exists(path)
    if exists and not _has_layer(path, layer_name):
        _create_layer(path, path, crs, layer_name, fields, existing=True)
    elif not exists:
        with atomic_output(path) as target:
            _create_layer(str(target), path, crs, layer_name, fields, existing=False)
    stem = os.path.splitext(os.path.basename(path))[0]
    layer = QgsVectorLayer(uri, stem if layer_name == "objects" else f"{stem} {layer_name}", "ogr")
    if not layer.isValid():
        raise SamCoreError(f"{path} is not a GeoPackage with a layer {layer_name!r}")
    return layer


def _create_layer(
    target: str, path: str, crs, layer_name: str, fields: dict[str, type], existing: bool
) -> None:
    """Write the empty, styled layer into ``target`` (the file itself, or a new file's temporary name)."""
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName, options.layerName = "GPKG", layer_name
    if existing:
        options.actionOnExistingFile = QgsVectorFileWriter.CreateOrOverwriteLayer
    writer = QgsVectorFileWriter.create(
        target,
        object_fields(fields),
        QgsWkbTypes.MultiPolygon,
        crs,
        QgsProject.instance().transformContext(),
        options,
    )
    if writer.hasError() != QgsVectorFileWriter.NoError:
        raise SamCoreError(f"cannot create {path}: {writer.errorMessage()}")
    del writer  # closes the file
    style_objects(QgsVectorLayer(f"{target}|layername={layer_name}", layer_name, "ogr"))


def _has_layer(path: str, layer_name: str) -> bool:
    layer = QgsVectorLayer(f"{path}|layername={layer_name}", layer_name, "ogr")
    return layer.isValid()
