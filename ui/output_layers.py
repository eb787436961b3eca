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

from ..sam_core.errors import SamCoreError

FIELD_TYPES = {
    "id": QVariant.Int,
    "prompt_type": QVariant.String,
    "n_fg": QVariant.Int,
    "n_bg": QVariant.Int,
    "score": QVariant.Double,
    "area_m2": QVariant.Double,
    "perimeter_m": QVariant.Double,
    "model": QVariant.String,
    "raster": QVariant.String,
    "created": QVariant.String,
    "stability": QVariant.Double,  # segment everything: SAM's stability score
    "tiles": QVariant.String,  # segment everything: the tiles ("col,row;…") the object was found in
}


#: land-cover layers: a cell's fields, or (dissolved) a class's (see ``sam_core.classify``)
CLASS_FIELD_TYPES = {
    "id": QVariant.Int,
    "class": QVariant.String,
    "class_id": QVariant.Int,
    "cells": QVariant.Int,
    "probability": QVariant.Double,
    "area_m2": QVariant.Double,
    "area_ha": QVariant.Double,
    "percent": QVariant.Double,
    "colour": QVariant.String,
}


def object_fields(field_types: dict = FIELD_TYPES) -> QgsFields:
    fields = QgsFields()
    for name, kind in field_types.items():
        fields.append(QgsField(name, kind))
    return fields


def to_qgs_geometry(wkb: bytes) -> QgsGeometry:
    """The engine's WKB (2-D MultiPolygon, see ``sam_core.engine.to_wkb``) as a QgsGeometry, no precision lost."""
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


def next_id(layer: QgsVectorLayer) -> int:
    index = layer.fields().indexOf("id")
    if index < 0 or layer.featureCount() == 0:
        return layer.featureCount() + 1
    return int(layer.maximumValue(index) or 0) + 1


def new_memory_layer(
    name: str, crs: QgsCoordinateReferenceSystem, field_types: dict = FIELD_TYPES
) -> QgsVectorLayer:
    layer = QgsVectorLayer(f"MultiPolygon?crs={crs.authid() or 'EPSG:4326'}", name, "memory")
    if not crs.authid():
        layer.setCrs(crs)
    layer.dataProvider().addAttributes(object_fields(field_types).toList())
    layer.updateFields()
    return layer


def land_cover_layer(name: str, crs: QgsCoordinateReferenceSystem, result: dict) -> QgsVectorLayer:
    """A memory layer of the engine's ``classify`` result, one fixed colour per class (the head's), every
    class of the head in the legend whether found or not, so maps of several runs compare at a glance."""
    first = result["features"][0] if result["features"] else {}
    layer = new_memory_layer(name, crs, {k: v for k, v in CLASS_FIELD_TYPES.items() if k in first})
    add_records(layer, result["features"], crs)
    categories = []
    for row in result["classes"]:
        symbol = QgsFillSymbol.createSimple({"color": row["colour"], "outline_style": "no"})
        categories.append(QgsRendererCategory(row["class"], symbol, row["class"]))
    layer.setRenderer(QgsCategorizedSymbolRenderer("class", categories))
    return layer


def open_or_create_geopackage(path: str, crs: QgsCoordinateReferenceSystem, layer_name: str = "objects"):
    """The GeoPackage's object layer, created (atomically: temp file, then rename) when the file is new."""
    if not os.path.exists(path):
        tmp = f"{path}.tmp.gpkg"
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName, options.layerName = "GPKG", layer_name
        writer = QgsVectorFileWriter.create(
            tmp,
            object_fields(),
            QgsWkbTypes.MultiPolygon,
            crs,
            QgsProject.instance().transformContext(),
            options,
        )
        if writer.hasError() != QgsVectorFileWriter.NoError:
            raise SamCoreError(f"cannot create {path}: {writer.errorMessage()}")
        del writer  # closes the file
        os.replace(tmp, path)
    layer = QgsVectorLayer(
        f"{path}|layername={layer_name}", os.path.splitext(os.path.basename(path))[0], "ogr"
    )
    if not layer.isValid():
        raise SamCoreError(f"{path} is not a GeoPackage with a layer {layer_name!r}")
    return layer
