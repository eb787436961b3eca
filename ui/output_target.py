"""Where the dock's objects are written: a memory layer of TerraSAM's own (made at the first object), a
polygon layer the user chose, or a GeoPackage file; each product its own layer with its own fields. With a
segmentation head loaded, the objects layer of TerraSAM's own and of a GeoPackage gets the class fields
(``LABEL_FIELDS``) too; a layer the user chose keeps the fields it has."""

from __future__ import annotations

from qgis.core import QgsProject
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QCoreApplication

from ..sam_core.errors import SamCoreError
from ..sam_core.schema import LABEL_FIELDS
from .dock import OUTPUT_GPKG, OUTPUT_LAYER
from .output_layers import (
    EVERYTHING_LAYER_FIELDS,
    PROMPT_LAYER_FIELDS,
    add_missing_fields,
    new_memory_layer,
    open_or_create_geopackage,
)

PROMPTS, EVERYTHING = "prompts", "everything"
#: each product's GeoPackage layer name and fields
PRODUCTS = {PROMPTS: ("objects", PROMPT_LAYER_FIELDS), EVERYTHING: ("everything", EVERYTHING_LAYER_FIELDS)}


class OutputTarget:
    """The output choice of the dock (a mixin of ``SegmentationController``): ``output_layer`` and
    ``everything_layer`` are the memory layers it made, None until the first object."""

    dock: object
    layer: object
    output_layer = None
    everything_layer = None

    @staticmethod
    def tr(text: str) -> str:
        """Translate ``text`` in the context pylupdate5 files ``OutputTarget.tr()`` calls under."""
        return QCoreApplication.translate("OutputTarget", text)

    def _output_layer(self, product: str, crs=None, labelled: bool = False):
        """The layer to write ``product``'s objects to (created or added to the project if needed); a new
        layer or GeoPackage gets ``crs``, by default the raster layer's. An existing polygon layer takes the
        fields it has. ``labelled``: TerraSAM's layer has the class fields (added if it lacks them)."""
        crs = crs if crs is not None else self.layer.crs()
        extra = LABEL_FIELDS if labelled else {}
        mode = self.dock.output_mode.currentIndex()
        if mode == OUTPUT_LAYER:
            layer = self.dock.output_layer_combo.currentLayer()
            if layer is None:
                raise SamCoreError(OutputTarget.tr("Choose the polygon layer to write to."))
            return layer
        if mode == OUTPUT_GPKG:
            path = self.dock.output_file_widget.filePath()
            if not path:
                raise SamCoreError(OutputTarget.tr("Choose the GeoPackage file to write to."))
            table, fields = PRODUCTS[product]
            layer = open_or_create_geopackage(path, crs, table, {**fields, **extra})
            return add_missing_fields(_in_project(layer, match_source=True), extra)
        attribute = "output_layer" if product == PROMPTS else "everything_layer"
        layer = getattr(self, attribute)
        # a layer the user removed from the project is deleted with it (its Python wrapper stays behind)
        if layer is None or sip.isdeleted(layer) or QgsProject.instance().mapLayer(layer.id()) is None:
            name = (
                OutputTarget.tr("TerraSAM objects")
                if product == PROMPTS
                else OutputTarget.tr("TerraSAM everything")
            )
            layer = _in_project(new_memory_layer(name, crs, {**PRODUCTS[product][1], **extra}))
            setattr(self, attribute, layer)
        return add_missing_fields(layer, extra)


def _in_project(layer, match_source: bool = False):
    """``layer`` added to the project; ``match_source``: the project's layer on the same source if it has one."""
    project = QgsProject.instance()
    if match_source:
        for existing in project.mapLayers().values():
            if existing.source() == layer.source():
                return existing
    project.addMapLayer(layer)
    return layer
