"""Where accepted objects go: a new memory layer, an existing polygon layer, or a GeoPackage file.

Each target takes the core's output records (geometry in the raster's CRS plus the TerraSAM fields) and adds
them as features, all in one call. Measures are never recomputed here: ``area_m2`` and ``perimeter_m`` come
from ``sam_core``.
"""

from __future__ import annotations

import os

import shapely
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsProject,
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


def object_fields() -> QgsFields:
    fields = QgsFields()
    for name, kind in FIELD_TYPES.items():
        fields.append(QgsField(name, kind))
    return fields


def to_qgs_geometry(geometry) -> QgsGeometry:
    """shapely → QgsGeometry through WKB (no precision lost)."""
    qgs = QgsGeometry()
    # 2-D WKB, said explicitly: inside the qgis binary, shapely's GEOS calls resolve to QGIS's own (older) GEOS,
    # which rejects the output dimension shapely 2.2 asks for by default
    qgs.fromWkb(shapely.to_wkb(shapely.MultiPolygon(shapely.get_parts(geometry)), output_dimension=2))
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


def new_memory_layer(name: str, crs: QgsCoordinateReferenceSystem) -> QgsVectorLayer:
    layer = QgsVectorLayer(f"MultiPolygon?crs={crs.authid() or 'EPSG:4326'}", name, "memory")
    if not crs.authid():
        layer.setCrs(crs)
    layer.dataProvider().addAttributes(object_fields().toList())
    layer.updateFields()
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
