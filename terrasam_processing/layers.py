"""QGIS layers to files the engine reads, and the files it writes back to Processing outputs."""

from __future__ import annotations

import json
import os

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsMapLayer,
    QgsProcessingException,
    QgsProcessingUtils,
    QgsProviderRegistry,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QCoreApplication, QVariant

#: vector formats the engine (GDAL through pyogrio) reads as they are; anything else is exported first
VECTOR_FORMATS = ["gpkg", "geojson", "json", "shp", "fgb", "gml", "kml", "sqlite"]
PREFERRED_FORMAT = "gpkg"
LAYER_SEPARATOR = "|layername="


class LayerFiles:
    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("LayerFiles", text)


def own_file(layer: QgsMapLayer | None) -> str:
    """The file a layer reads, '' when it is not a plain file (a web service, a database, memory)."""
    if layer is None:
        return ""
    parts = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source())
    path = parts.get("path") or ""
    return path if path and os.path.isfile(path) else ""


def raster_file(layer) -> str:
    """A raster layer's local file, or a user error naming the layer."""
    if layer is None:
        raise QgsProcessingException(LayerFiles.tr("No raster layer was given."))
    path = own_file(layer) if layer.providerType() == "gdal" else ""
    if not path:
        raise QgsProcessingException(
            LayerFiles.tr(
                "The raster {name} is not a local file (web, XYZ and database layers cannot be read by the "
                "TerraSAM engine): save it as a GeoTIFF first."
            ).format(name=layer.name())
        )
    return path


def with_layer_name(path: str, layer_name: str) -> str:
    return f"{path}{LAYER_SEPARATOR}{layer_name}" if layer_name else path


def vector_parameter_file(algorithm, parameters, name, context, feedback, workspace) -> str:
    """A feature source parameter as a file the engine reads (``PATH|layername=NAME`` for one layer of a
    multi-layer file): the layer's own file when it is one, unfiltered and not limited to selected
    features, else a temporary GeoPackage (removed with ``workspace``)."""
    path, layer_name = algorithm.parameterAsCompatibleSourceLayerPathAndLayerName(
        parameters, name, context, VECTOR_FORMATS, PREFERRED_FORMAT, feedback
    )
    _note_export(path, algorithm.parameterAsVectorLayer(parameters, name, context), workspace)
    return with_layer_name(path, layer_name)


def layer_file(layer: QgsMapLayer, context, feedback, workspace) -> str:
    """A map layer (vector or raster) as a file the engine reads, exporting vector layers when needed."""
    if layer.type() != QgsMapLayer.VectorLayer:
        return raster_file(layer)
    path, layer_name = QgsProcessingUtils.convertToCompatibleFormatAndLayerName(
        layer, False, layer.name() or "layer", VECTOR_FORMATS, PREFERRED_FORMAT, context, feedback
    )
    _note_export(path, layer, workspace)
    return with_layer_name(path, layer_name)


def _note_export(path: str, layer, workspace) -> None:
    own = own_file(layer)
    if path and (not own or os.path.abspath(path) != os.path.abspath(own)):
        workspace.exported.append(path)  # an export Processing made for us: removed afterwards


def copy_to_sink(algorithm, parameters, name, context, path: str, layer_name: str) -> str:
    """Copy the engine's output layer into the sink parameter ``name`` (memory layer, any format, a
    database); the sink is created only now, after the engine succeeded. Returns the destination id."""
    layer = QgsVectorLayer(with_layer_name(path, layer_name), layer_name, "ogr")
    if not layer.isValid():
        raise QgsProcessingException(
            LayerFiles.tr("The TerraSAM engine's output {path} cannot be read.").format(path=path)
        )
    keys = set(layer.dataProvider().pkAttributeIndexes())  # GeoPackage's fid, which the sink makes itself
    kept = [i for i in range(layer.fields().count()) if i not in keys]
    fields = QgsFields()
    for i in kept:
        fields.append(layer.fields().at(i))
    sink, dest_id = algorithm.parameterAsSink(parameters, name, context, fields, layer.wkbType(), layer.crs())
    if sink is None:
        raise QgsProcessingException(algorithm.invalidSinkError(parameters, name))
    for feature in layer.getFeatures():
        copy = QgsFeature(fields)
        copy.setGeometry(feature.geometry())
        copy.setAttributes([feature.attributes()[i] for i in kept])
        sink.addFeature(copy, QgsFeatureSink.FastInsert)
    del sink, layer
    return dest_id


def _field_type(values: list) -> QVariant.Type:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return QVariant.Bool
    numbers = [v for v in present if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if present and len(numbers) == len(present):
        return QVariant.LongLong if all(isinstance(v, int) for v in numbers) else QVariant.Double
    return QVariant.String


def rows_to_table_sink(algorithm, parameters, name, context, rows: list[dict]) -> str:
    """Write ``rows`` (dicts of plain JSON values) into a table sink (no geometry); the columns are the
    rows' keys in order of first appearance, typed from their values. Returns the destination id."""
    names: list[str] = []
    for row in rows:
        names += [key for key in row if key not in names]
    fields = QgsFields()
    for key in names:
        fields.append(QgsField(key, _field_type([row.get(key) for row in rows])))
    sink, dest_id = algorithm.parameterAsSink(
        parameters, name, context, fields, QgsWkbTypes.NoGeometry, QgsCoordinateReferenceSystem()
    )
    if sink is None:
        raise QgsProcessingException(algorithm.invalidSinkError(parameters, name))
    for row in rows:
        feature = QgsFeature(fields)
        feature.setAttributes([_plain(row.get(key)) for key in names])
        sink.addFeature(feature, QgsFeatureSink.FastInsert)
    del sink
    return dest_id


def _plain(value):
    return json.dumps(value) if isinstance(value, (list, dict)) else value
