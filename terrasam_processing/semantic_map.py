"""Map a raster's classes with a segmentation head (the ``map`` command of the engine): a styled class
GeoTIFF, optionally polygons and the area per class."""

from __future__ import annotations

import os

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsFillSymbol,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingUtils,
    QgsRasterLayer,
    QgsRendererCategory,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QColor

from .layers import copy_to_sink
from .semantic import MAP_OVERLAP, _SegmentationHeadAlgorithm

POLYGONS_LAYER = "classes"
CLASS_RASTER_SUFFIXES = (".tif", ".tiff")
#: the polygons' fill opacity: the class colours over the imagery
FILL_ALPHA = 160


class MapClassesAlgorithm(_SegmentationHeadAlgorithm):
    DISTRIBUTABLE = True
    HEAD = "HEAD"
    POLYGONS = "POLYGONS"
    DISSOLVE = "DISSOLVE"
    SUMMARY = "SUMMARY"

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("MapClassesAlgorithm", text)

    def name(self) -> str:
        return "mapclasses"

    def displayName(self) -> str:
        return self.tr("Map classes (segmentation head)")

    def shortHelpString(self) -> str:
        return self.tr(
            "<p>Gives every pixel of the raster (or of the extent) a class with a head trained by <i>Train "
            "segmentation head</i> (or python -m sam_core train-segmenter) on the same SAM checkpoint.</p>"
            "<p>The raster is cut into overlapping tiles anchored to its grid, each seen at the ground scale "
            "the head was trained at (a head trained on an image folder: tiles of its patch size in raster "
            "pixels); the class probabilities are blended across the overlaps, so the map has "
            "no seams and does not depend on the extent. <b>Overlap</b>: below 1 a share of the tile, else "
            "pixels. The extent may be in any CRS.</p>"
            "<p>Outputs: the class raster (a GeoTIFF on the input's grid and CRS, one byte per pixel, 255 "
            "where the input has no data), opened with the head's class names and colours (a .qml style "
            "beside it); optionally polygons, one per connected region of a class or, with <b>dissolve</b>, "
            "one per class, with id, class, class_id, geodesic area_m2 and perimeter_m, and length_m for "
            "linear classes such as roads; and optionally a table of the area of every class (.csv: pixels, "
            "m², ha, % of the mapped area, mean probability, road length). Nothing is written unless the "
            "whole extent was mapped.</p>"
        )

    def initAlgorithm(self, config=None) -> None:
        self.add_raster()
        self.add_checkpoint()
        self.add_model_file(
            self.HEAD,
            self.tr("Segmentation head (.pt)"),
            "segmentation_head",
            self.tr("Segmentation heads (*.pt);;All files (*)"),
        )
        self.add_extent()
        self.addParameter(
            QgsProcessingParameterNumber(
                self.OVERLAP,
                self.tr("Tile overlap (below 1: share of the tile, else pixels)"),
                QgsProcessingParameterNumber.Double,
                MAP_OVERLAP,
                minValue=0.0,
            )
        )
        self.add_integer(self.TILE_SIZE, self.tr("Tile size (pixels; 0: the head's scale)"), 0)
        self.add_postprocessing()
        self.add_bands()
        self.addParameter(self.cache_parameter())
        self.add_device()
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Class raster")))
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.POLYGONS,
                self.tr("Class polygons"),
                QgsProcessing.TypeVectorPolygon,
                optional=True,
                createByDefault=False,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(self.DISSOLVE, self.tr("Dissolve polygons per class"), False)
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.SUMMARY,
                self.tr("Area per class"),
                self.tr("CSV files (*.csv)"),
                optional=True,
                createByDefault=False,
            )
        )
        self.addOutput(QgsProcessingOutputNumber("AREA_HA", self.tr("Mapped area (ha)")))
        self.addOutput(QgsProcessingOutputNumber("POLYGON_COUNT", self.tr("Number of polygons")))

    def process(self, parameters, context, feedback, workspace, engine) -> dict:
        head = self.parameterAsFile(parameters, self.HEAD, context)
        if not head:
            raise QgsProcessingException(self.tr("Choose a segmentation head file (.pt)."))
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if not out.lower().endswith(CLASS_RASTER_SUFFIXES):
            raise QgsProcessingException(
                self.tr("The class raster is written as a GeoTIFF: give it a .tif name, not {path}.").format(
                    path=out
                )
            )
        args = [*self.raster_args(parameters, context), "--head", head, "--out", out]
        polygons = self.parameterAsOutputLayer(parameters, self.POLYGONS, context)
        if polygons:
            args += ["--polygons", workspace.file("classes.gpkg")]
            if self.parameterAsBool(parameters, self.DISSOLVE, context):
                args.append("--dissolve")
        table = self.parameterAsFileOutput(parameters, self.SUMMARY, context)
        if table:
            args += ["--summary", table]
        summary = engine.run("map", args)
        classes = summary.get("classes", [])
        result = {
            self.OUTPUT: out,
            "AREA_HA": summary.get("area_ha", 0.0),
            "POLYGON_COUNT": summary.get("polygons", 0),
        }
        style_class_raster(out, context)
        if polygons:
            dest = copy_to_sink(
                self, parameters, self.POLYGONS, context, workspace.file("classes.gpkg"), POLYGONS_LAYER
            )
            style_class_polygons(dest, context, classes)
            result[self.POLYGONS] = dest
        if table:
            result[self.SUMMARY] = table
        return result


def style_class_raster(path: str, context) -> None:
    """Processing loads its output layers without their default style (3.22): give the layer it will add
    the class names and colours of the .qml the engine wrote beside the GeoTIFF."""
    qml = os.path.splitext(path)[0] + ".qml"
    layer = QgsProcessingUtils.mapLayerFromString(path, context)
    if isinstance(layer, QgsRasterLayer) and layer.isValid() and os.path.isfile(qml):
        layer.loadNamedStyle(qml)
        layer.triggerRepaint()


def style_class_polygons(dest_id: str, context, classes: list[dict]) -> None:
    """The polygons in the class colours (a category per class of the head), saved as the default style
    of a GeoPackage output so the file opens styled later too."""
    layer = QgsProcessingUtils.mapLayerFromString(dest_id, context)
    if not isinstance(layer, QgsVectorLayer) or not layer.isValid() or not classes:
        return
    categories = []
    for row in classes:
        colour = QColor(row.get("colour") or "#808080")
        colour.setAlpha(FILL_ALPHA)
        symbol = QgsFillSymbol.createSimple({"color": colour.name(QColor.HexArgb), "outline_style": "no"})
        symbol.setColor(colour)
        categories.append(QgsRendererCategory(row["class"], symbol, row["class"]))
    layer.setRenderer(QgsCategorizedSymbolRenderer("class", categories))
    layer.triggerRepaint()
    provider = layer.dataProvider()
    if provider is not None and provider.isSaveAndLoadStyleToDatabaseSupported():
        layer.saveStyleToDatabase(
            "TerraSAM classes", "TerraSAM: the segmentation head's class colours", True, ""
        )
