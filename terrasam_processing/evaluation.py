"""Evaluate a segmentation against a reference: per image and overall metrics, as a table and a JSON file."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
)
from qgis.PyQt.QtCore import QCoreApplication

from ..sam_core.schema import OVERALL_METRICS
from .base import TerraSAMAlgorithm, advanced
from .layers import layer_file, raster_file, rows_to_table_sink

CONNECTIVITY = ["8", "4"]
#: overall figures also returned as outputs (for models and scripts)
OVERALL_OUTPUTS = OVERALL_METRICS


class EvaluateSegmentationAlgorithm(TerraSAMAlgorithm):
    PREDICTIONS = "PREDICTIONS"
    REFERENCES = "REFERENCES"
    GRIDS = "GRIDS"
    INCLUDE_NODATA = "INCLUDE_NODATA"
    CONNECTIVITY = "CONNECTIVITY"
    IOU_THRESHOLD = "IOU_THRESHOLD"
    REPORT = "REPORT"

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("EvaluateSegmentationAlgorithm", text)

    def name(self) -> str:
        return "evaluatesegmentation"

    def displayName(self) -> str:
        return self.tr("Evaluate segmentation")

    def group(self) -> str:
        return self.tr("Evaluation")

    def groupId(self) -> str:
        return "evaluation"

    def shortHelpString(self) -> str:
        return self.tr(
            "<p>Compares predicted segmentations with reference ones, image by image. Each prediction and "
            "reference is a polygon layer or a mask raster (band 1, non-zero = object); they are paired in "
            "the order given. Both are rasterised on the grid of the comparison raster (a pixel is in a "
            "polygon when its centre is): give one raster for all pairs, one per pair, or none when a "
            "reference (else a prediction) is a mask raster. With a comparison raster, its nodata pixels "
            "are left out unless you include them.</p>"
            "<p>Metrics per image and overall (from the summed pixel counts): IoU = TP/(TP+FP+FN), "
            "Dice = 2TP/(2TP+FP+FN), pixel accuracy = (TP+TN)/all, precision = TP/(TP+FP), recall = TPR = "
            "TP/(TP+FN) and FPR = FP/(FP+TN), the standard false positive rate: the share of the "
            "reference's background pixels marked as object (some write-ups print FP/(FP+FN), which is not "
            "a rate over any set of pixels). Overall accuracy is the share of images whose IoU is above the "
            "threshold (0.5); "
            "the object hit rate is the share of reference objects (features, or connected regions of a "
            "mask) matched by one predicted object with IoU above it. A metric whose denominator is 0 takes "
            "its best value (two empty masks have IoU 1).</p>"
            "<p>Outputs: a table with one row per image and a last row 'overall', and the full result as a "
            "JSON file.</p>"
        )

    def initAlgorithm(self, config=None) -> None:
        for name, description in (
            (self.PREDICTIONS, self.tr("Predictions (polygon layers or mask rasters)")),
            (self.REFERENCES, self.tr("References, in the same order")),
        ):
            self.addParameter(
                QgsProcessingParameterMultipleLayers(name, description, QgsProcessing.TypeMapLayer)
            )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.GRIDS,
                self.tr("Comparison rasters (one, one per pair, or none)"),
                QgsProcessing.TypeRaster,
                optional=True,
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterBoolean(self.INCLUDE_NODATA, self.tr("Count nodata pixels too"), False)
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterEnum(
                    self.CONNECTIVITY,
                    self.tr("Connectivity of a mask's objects"),
                    CONNECTIVITY,
                    defaultValue=0,
                )
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterNumber(
                    self.IOU_THRESHOLD,
                    self.tr("IoU threshold of a hit"),
                    QgsProcessingParameterNumber.Double,
                    0.5,
                    minValue=0.0,
                    maxValue=0.999,
                )
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Metrics"), QgsProcessing.TypeVector)
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.REPORT, self.tr("Report"), self.tr("JSON files (*.json)")
            )
        )
        for name in OVERALL_OUTPUTS:
            self.addOutput(QgsProcessingOutputNumber(name.upper(), name))

    def process(self, parameters, context, feedback, workspace, engine) -> dict:
        predictions = self.parameterAsLayerList(parameters, self.PREDICTIONS, context)
        references = self.parameterAsLayerList(parameters, self.REFERENCES, context)
        if len(predictions) != len(references):
            raise QgsProcessingException(
                self.tr("Give as many references as predictions ({predictions} and {references}).").format(
                    predictions=len(predictions), references=len(references)
                )
            )
        args = []
        for prediction, reference in zip(predictions, references):
            args += [layer_file(layer, context, feedback, workspace) for layer in (prediction, reference)]
        for grid in self.parameterAsLayerList(parameters, self.GRIDS, context):
            args += ["--raster", raster_file(grid)]
        report = self.parameterAsFileOutput(parameters, self.REPORT, context)
        args += ["--out", report]
        if self.parameterAsBool(parameters, self.INCLUDE_NODATA, context):
            args.append("--include-nodata")
        args += ["--connectivity", CONNECTIVITY[self.parameterAsEnum(parameters, self.CONNECTIVITY, context)]]
        args += ["--iou-threshold", repr(self.parameterAsDouble(parameters, self.IOU_THRESHOLD, context))]
        result = engine.run("evaluate", args)
        overall = result.get("overall", {})
        rows = [*result.get("images", []), {"image": "overall", **overall}]
        table = rows_to_table_sink(self, parameters, self.OUTPUT, context, rows)
        return {
            self.OUTPUT: table,
            self.REPORT: report,
            **{name.upper(): overall.get(name) for name in OVERALL_OUTPUTS},
        }
