"""Segmentation algorithms: encode a raster ahead of time, segment from prompt layers, segment everything."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputFolder,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
)
from qgis.PyQt.QtCore import QCoreApplication

from ..host.layer_style import style_processing_output
from ..sam_core import config as defaults
from .base import TerraSAMAlgorithm, advanced
from .layers import copy_to_sink, vector_parameter_file

OBJECTS_LAYER = "objects"


class _SegmentationAlgorithm(TerraSAMAlgorithm):
    """The segmentation group; its own strings go through ``_SegmentationAlgorithm.tr``, never ``self.tr``,
    which is the subclass's (another translation context)."""

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("_SegmentationAlgorithm", text)

    def group(self) -> str:
        return _SegmentationAlgorithm.tr("Segmentation")

    def groupId(self) -> str:
        return "segmentation"

    def add_objects_output(self, description: str) -> None:
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, description, QgsProcessing.TypeVectorPolygon)
        )
        self.addOutput(QgsProcessingOutputNumber("OBJECTS", _SegmentationAlgorithm.tr("Number of objects")))

    def objects_to_output(self, parameters, context, workspace, summary: dict) -> dict:
        path = workspace.file("objects.gpkg")
        dest = copy_to_sink(self, parameters, self.OUTPUT, context, path, OBJECTS_LAYER)
        style_processing_output(dest, context)  # the dock's look, saved in a GeoPackage output
        return {self.OUTPUT: dest, "OBJECTS": summary.get("objects", 0)}


class EncodeRasterAlgorithm(_SegmentationAlgorithm):
    DISTRIBUTABLE = True

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("EncodeRasterAlgorithm", text)

    def name(self) -> str:
        return "encoderaster"

    def displayName(self) -> str:
        return self.tr("Encode raster")

    def shortHelpString(self) -> str:
        return self.tr(
            "<p>Runs SAM's image encoder over every tile of the raster (or of the extent) and keeps the "
            "embeddings in a cache folder, so that later prompts on these tiles, in the TerraSAM dock or in "
            "the other algorithms, skip the slow part (seconds to a minute per 1024 px tile on a CPU).</p>"
            "<p><b>Cache folder</b>: leave it empty to fill the dock's own cache (in your QGIS profile). "
            "Tiles already in the cache are not encoded again. The dock uses the model's tiles (a fine-tuned "
            "model's learned scale, else 1024 pixels) with its default overlap and the raster's default bands: "
            "keep tile size 0, overlap 256 and automatic bands to prepare tiles for it.</p>"
            "<p>The result is the cache folder and the number of tiles encoded. Cancelling keeps the tiles "
            "finished so far (each is written whole or not at all).</p>"
        )

    def initAlgorithm(self, config=None) -> None:
        self.add_raster()
        self.add_checkpoint()
        self.add_extent()
        self.addParameter(
            self.cache_parameter(
                self.tr("Embedding cache folder (default: the TerraSAM dock's cache)"), is_advanced=False
            )
        )
        self.add_bands()
        self.add_tiling(defaults.MODEL_TILE_SIZE, defaults.OVERLAP)
        self.add_device()
        self.addOutput(QgsProcessingOutputFolder("CACHE_FOLDER", self.tr("Embedding cache folder")))
        self.addOutput(QgsProcessingOutputNumber("TILES", self.tr("Tiles covered")))
        self.addOutput(QgsProcessingOutputNumber("ENCODED", self.tr("Tiles encoded in this run")))

    def process(self, parameters, context, feedback, workspace, engine) -> dict:
        summary = engine.run("encode", self.raster_args(parameters, context))
        return {
            "CACHE_FOLDER": summary.get("cache_dir", ""),
            "TILES": summary.get("tiles", 0),
            "ENCODED": summary.get("encoded", 0),
        }


class SegmentPromptsAlgorithm(_SegmentationAlgorithm):
    #: ``segment --prompts``: checkParameterValues asks for a point or box layer, so there is always one
    DISTRIBUTABLE = True
    POINTS = "POINTS"
    LABEL_FIELD = "LABEL_FIELD"
    GROUP_FIELD = "GROUP_FIELD"
    BOXES = "BOXES"

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("SegmentPromptsAlgorithm", text)

    def name(self) -> str:
        return "segmentfromprompts"

    def displayName(self) -> str:
        return self.tr("Segment from prompt layers")

    def shortHelpString(self) -> str:
        return self.tr(
            "<p>Segments objects with SAM from prompts you drew or imported: a <b>point layer</b> (clicks on "
            "objects) and/or a <b>polygon layer</b> whose features' bounding boxes are box prompts. All "
            "objects are segmented in one run, so the model is loaded once and every tile is encoded once. "
            "The layers may be in any CRS.</p>"
            "<p><b>Label field</b> (points, optional): 1 marks a point on the object, 0 a point on the "
            "background; empty counts as 1.</p>"
            "<p><b>Group field</b> (optional): points with the same value describe one object. A polygon "
            "feature with a field of the same name and the same value becomes that object's box. Without a "
            "group field, every polygon is one object and all the points together are one object.</p>"
            "<p>The output has one polygon per object, in the raster's CRS, with the attributes of its "
            "polygon feature (else of its first point) and the fields id, prompt_type, n_fg, n_bg, score, "
            "area_m2 and perimeter_m (geodesic, on the ellipsoid) and model. A field whose name clashes "
            "with these is renamed src_&lt;name&gt;. An object the model does not find is left out with a "
            "warning. A point outside the raster, or the prompts of one object spanning more than one tile, "
            "stop the run with a message naming the object; nothing is written then.</p>"
        )

    def initAlgorithm(self, config=None) -> None:
        self.add_raster()
        self.add_checkpoint()
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.POINTS, self.tr("Point prompts"), [QgsProcessing.TypeVectorPoint], optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.LABEL_FIELD,
                self.tr("Label field (1 object, 0 background)"),
                parentLayerParameterName=self.POINTS,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.GROUP_FIELD,
                self.tr("Group field (one object per value)"),
                parentLayerParameterName=self.POINTS,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.BOXES,
                self.tr("Box prompts (polygons: their bounding boxes)"),
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.add_bands()
        self.add_tiling(defaults.MODEL_TILE_SIZE, None)
        self.add_postprocessing()
        self.addParameter(self.cache_parameter())
        self.add_device()
        self.add_objects_output(self.tr("Segmented objects"))

    def checkParameterValues(self, parameters, context):
        if not parameters.get(self.POINTS) and not parameters.get(self.BOXES):
            return False, self.tr("Give a point layer, a polygon layer of boxes, or both.")
        return super().checkParameterValues(parameters, context)

    def process(self, parameters, context, feedback, workspace, engine) -> dict:
        args = self.raster_args(parameters, context)
        for name in (self.POINTS, self.BOXES):
            if parameters.get(name):
                args += [
                    "--prompts",
                    vector_parameter_file(self, parameters, name, context, feedback, workspace),
                ]
        for name, option in ((self.LABEL_FIELD, "--label-field"), (self.GROUP_FIELD, "--group-field")):
            field = self.parameterAsString(parameters, name, context)
            if field:
                args += [option, field]
        summary = engine.run("segment", [*args, "--out", workspace.file("objects.gpkg")])
        return self.objects_to_output(parameters, context, workspace, summary)


class SegmentEverythingAlgorithm(_SegmentationAlgorithm):
    DISTRIBUTABLE = True

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("SegmentEverythingAlgorithm", text)

    def name(self) -> str:
        return "segmenteverything"

    def displayName(self) -> str:
        return self.tr("Segment everything")

    def shortHelpString(self) -> str:
        return self.tr(
            "<p>Finds every object over the extent (default: the whole raster) with SAM's automatic mode, "
            "tile by tile. Tiles overlap and are anchored to the raster's grid, and objects cut by a tile "
            "edge are joined again, so the result does not depend on where the extent starts.</p>"
            "<p><b>Points per side</b>: SAM's grid of prompts per tile (32 finds small objects; 8 or 16 are "
            "faster). <b>Predicted IoU</b> and <b>stability</b> thresholds: lower keeps more, less certain "
            "objects. The advanced settings are those of the command line (python -m sam_core everything): "
            "crop layers, regions below a number of pixels removed from each mask, keeping only the largest "
            "part, post-processing in m² and pixels, tiles, bands, the embedding cache and the device.</p>"
            "<p>The output has one polygon per object, in the raster's CRS, with the fields id, score, "
            "stability, area_m2 and perimeter_m (geodesic), tiles (the tiles it was found in) and model. "
            "Nothing is written unless every tile was processed.</p>"
        )

    def initAlgorithm(self, config=None) -> None:
        self.add_raster()
        self.add_checkpoint()
        self.add_extent()
        self.addParameter(
            QgsProcessingParameterNumber(
                "POINTS_PER_SIDE",
                self.tr("Points per side"),
                QgsProcessingParameterNumber.Integer,
                defaults.POINTS_PER_SIDE,
                minValue=1,
            )
        )
        for name, description, default in (
            ("PRED_IOU_THRESH", self.tr("Predicted IoU threshold"), defaults.PRED_IOU_THRESH),
            ("STABILITY_THRESH", self.tr("Stability threshold"), defaults.STABILITY_THRESH),
        ):
            self.addParameter(
                QgsProcessingParameterNumber(
                    name,
                    description,
                    QgsProcessingParameterNumber.Double,
                    default,
                    minValue=0.0,
                    maxValue=1.0,
                )
            )
        self.add_integer("CROP_N_LAYERS", self.tr("Crop layers"), 0)
        self.add_integer(
            "MIN_REGION_PX", self.tr("Remove islands and holes below (pixels)"), defaults.MIN_REGION_PX
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterBoolean(
                    "LARGEST_PART_ONLY", self.tr("Keep only the largest part"), False
                )
            )
        )
        self.add_bands()
        self.add_tiling(defaults.MODEL_TILE_SIZE, defaults.OVERLAP)
        self.add_postprocessing()
        self.addParameter(self.cache_parameter())
        self.add_device()
        self.add_objects_output(self.tr("Objects"))

    def process(self, parameters, context, feedback, workspace, engine) -> dict:
        args = self.raster_args(parameters, context)
        args += ["--points-per-side", self.parameterAsInt(parameters, "POINTS_PER_SIDE", context)]
        args += ["--pred-iou-thresh", self.parameterAsDouble(parameters, "PRED_IOU_THRESH", context)]
        args += ["--stability-thresh", self.parameterAsDouble(parameters, "STABILITY_THRESH", context)]
        args += ["--crop-n-layers", self.parameterAsInt(parameters, "CROP_N_LAYERS", context)]
        args += ["--min-region-px", self.parameterAsInt(parameters, "MIN_REGION_PX", context)]
        if self.parameterAsBool(parameters, "LARGEST_PART_ONLY", context):
            args.append("--largest-part-only")
        summary = engine.run("everything", [*args, "--out", workspace.file("objects.gpkg")])
        return self.objects_to_output(parameters, context, workspace, summary)
