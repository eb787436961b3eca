"""The default look of TerraSAM's object layers (dock and Processing alike): a semi-transparent fill with a
clear outline, so the raster stays visible under the objects, instead of QGIS's random opaque fill.

A layer in a GeoPackage (or any provider that stores styles) gets the style saved as its default in the file
(the ``layer_styles`` table, as *Layer Properties → Style → Save as Default* does), so it opens styled later.
"""

from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsFillSymbol,
    QgsMessageLog,
    QgsProcessingUtils,
    QgsSingleSymbolRenderer,
    QgsVectorLayer,
)

STYLE_NAME = "TerraSAM objects"
#: orange (stands out on imagery) at ~30 % opacity, outlined opaque
FILL = (255, 140, 0, 80)
OUTLINE = (255, 90, 0, 255)
OUTLINE_MM = "0.5"


def object_symbol() -> QgsFillSymbol:
    return QgsFillSymbol.createSimple(
        {
            "color": ",".join(map(str, FILL)),
            "outline_color": ",".join(map(str, OUTLINE)),
            "outline_width": OUTLINE_MM,
            "outline_width_unit": "MM",
            "outline_style": "solid",
            "style": "solid",
        }
    )


def style_objects(layer: QgsVectorLayer, store: bool = True) -> None:
    """Give ``layer`` the object style; ``store``: also save it as the default style in the layer's file
    where the provider keeps styles (GeoPackage). A failure to store is logged, not raised: the objects are
    written, only their look is not kept."""
    layer.setRenderer(QgsSingleSymbolRenderer(object_symbol()))
    layer.triggerRepaint()
    provider = layer.dataProvider()
    if store and provider is not None and provider.isSaveAndLoadStyleToDatabaseSupported():
        error = layer.saveStyleToDatabase(
            STYLE_NAME, "TerraSAM: semi-transparent fill, clear outline", True, ""
        )
        if error:
            QgsMessageLog.logMessage(f"{layer.source()}: style not saved: {error}", "TerraSAM", Qgis.Warning)


def style_processing_output(dest_id: str, context) -> None:
    """Style a Processing object output: a memory output in the context's store, a file output (which
    Processing loads afterwards, with the default style it now holds) through a layer on the file."""
    layer = QgsProcessingUtils.mapLayerFromString(dest_id, context)
    if isinstance(layer, QgsVectorLayer) and layer.isValid():
        style_objects(layer)
