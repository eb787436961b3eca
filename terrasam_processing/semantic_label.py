"""Label objects with a class (the ``label-objects`` command of the engine): every polygon of a layer, in any
CRS, gets the class a head gives it on the raster, that class's probability and the runner-up."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
)
from qgis.PyQt.QtCore import QCoreApplication

from ..host.layer_style import style_processing_output
from .layers import copy_to_sink, raster_file, vector_parameter_file
from .semantic import MAP_OVERLAP, _SegmentationHeadAlgorithm
from .semantic_map import style_class_polygons

#: the engine's output layer (sam_core/cli/mapping.py cmd_label_objects)
LABELLED_LAYER = "labelled"


class LabelObjectsAlgorithm(_SegmentationHeadAlgorithm):
    DISTRIBUTABLE = True
    OBJECTS = "OBJECTS"
    HEAD = "HEAD"

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("LabelObjectsAlgorithm", text)

    def name(self) -> str:
        return "labelobjects"

    def displayName(self) -> str:
        return self.tr("Label objects with a class")

    def shortHelpString(self) -> str:
        return self.tr(
            "<p>Gives every polygon of a layer a class from the raster under it: e.g. the objects of "
            "<i>Segment from prompt layers</i>, <i>Segment everything</i> or <i>Detect objects</i>, or any "
            "polygon layer, in any CRS. The head must have been trained on the same SAM checkpoint.</p>"
            "<p><b>Head</b>: a segmentation head (<i>Train segmentation head</i>): the object's class is the "
            "majority class of its pixels, on the same blended tiles as <i>Map classes</i> (so it agrees with "
            "the class map), and its probability is that class's mean probability over them; or a land-cover "
            "classifier head (<i>Train land-cover classifier</i>): the encoder cells under the object are "
            "pooled, weighted by the object's area in each. <b>Overlap</b> (segmentation heads): below 1 a "
            "share of the tile, else pixels.</p>"
            "<p>Output: the objects with all their fields (a field named like a new one is renamed "
            "src_&lt;name&gt;) and class, class_probability, runner_up (the next class) and "
            "runner_up_probability, in the raster's CRS. Objects that do not overlap the raster are left out "
            "with a warning. A cancelled run writes nothing.</p>"
        )

    def initAlgorithm(self, config=None) -> None:
        self.add_raster()
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.OBJECTS, self.tr("Objects (polygons, any CRS)"), [QgsProcessing.TypeVectorPolygon]
            )
        )
        self.add_checkpoint()
        self.add_model_file(
            self.HEAD,
            self.tr("Head (.pt): a segmentation head or a land-cover classifier head"),
            "segmentation_head",
            self.tr("Heads (*.pt);;All files (*)"),
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.OVERLAP,
                self.tr("Tile overlap (below 1: share of the tile, else pixels)"),
                QgsProcessingParameterNumber.Double,
                MAP_OVERLAP,
                minValue=0.0,
            )
        )
        self.addParameter(self.cache_parameter())
        self.add_device()
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT, self.tr("Labelled objects"), QgsProcessing.TypeVectorPolygon
            )
        )
        self.addOutput(QgsProcessingOutputNumber("LABELLED", self.tr("Number of labelled objects")))
        self.addOutput(
            QgsProcessingOutputNumber("OUTSIDE_RASTER", self.tr("Objects left out (off the raster)"))
        )

    def process(self, parameters, context, feedback, workspace, engine) -> dict:
        head = self.parameterAsFile(parameters, self.HEAD, context)
        if not head:
            raise QgsProcessingException(
                self.tr("Choose a head file (.pt): a segmentation head or a land-cover classifier head.")
            )
        raster = raster_file(self.parameterAsRasterLayer(parameters, self.RASTER, context))
        objects = vector_parameter_file(self, parameters, self.OBJECTS, context, feedback, workspace)
        out = workspace.file("labelled.gpkg")
        args = [raster, objects, *self.checkpoint_args(parameters, context), "--head", head]
        args += [*self.option_args(parameters, context), "--out", out]
        summary = engine.run("label-objects", args)
        dest = copy_to_sink(self, parameters, self.OUTPUT, context, out, LABELLED_LAYER)
        style_processing_output(dest, context)  # the look of the other object outputs, then by class
        style_class_polygons(dest, context, summary.get("class_colours", []))
        outside = summary.get("outside_raster", 0)
        if outside:
            feedback.pushWarning(
                self.tr("{count} objects do not overlap the raster and are left out.").format(count=outside)
            )
        return {self.OUTPUT: dest, "LABELLED": summary.get("objects", 0), "OUTSIDE_RASTER": outside}
