"""Fine-tuning algorithms: SAM's mask decoder trained on the user's labelled polygons, and objects detected
with the tuned checkpoint (the ``finetune`` and ``detect`` commands of the engine)."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)
from qgis.PyQt.QtCore import QCoreApplication

from .base import TerraSAMAlgorithm, advanced
from .layers import raster_file, vector_parameter_file
from .segmentation import _SegmentationAlgorithm

PROMPTS = ["box", "point", "patch"]


class _FinetuneAlgorithm(TerraSAMAlgorithm):
    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("_FinetuneAlgorithm", text)

    def group(self) -> str:
        return _FinetuneAlgorithm.tr("Fine-tuning")

    def groupId(self) -> str:
        return "finetune"


class FinetuneDecoderAlgorithm(_FinetuneAlgorithm):
    LABELS = "LABELS"
    SPLIT_FIELD = "SPLIT_FIELD"
    REGION = "REGION"
    SIZES = "SIZES"
    PROMPT = "PROMPT"
    EPOCHS = "EPOCHS"
    LEARNING_RATE = "LEARNING_RATE"
    BATCH_SIZE = "BATCH_SIZE"
    SEED = "SEED"
    CHIP_PX = "CHIP_PX"
    TUNED = "TUNED"
    REPORT_FOLDER = "REPORT_FOLDER"
    SHARES_DOCK_CACHE = False  # the engine's fine-tuning cache by default (~/.cache/terrasam/finetune)

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("FinetuneDecoderAlgorithm", text)

    def name(self) -> str:
        return "finetunedecoder"

    def displayName(self) -> str:
        return self.tr("Fine-tune SAM decoder")

    def shortHelpString(self) -> str:
        return self.tr(
            "<p>Adapts SAM to your imagery: trains SAM's mask decoder on your labelled objects while the image "
            "and prompt encoders stay frozen (the SAM fine-tuning recipe of the README's References).</p>"
            "<p><b>Labelled objects</b>: a polygon layer over the raster, in any CRS. <b>Split field</b>: "
            "values train, val and test; without it the raster is split by area with the seed, so neighbouring "
            "objects do not leak between training and test. <b>Complete-labelling region</b>: where every "
            "object is labelled; outside it, unlabelled pixels are not taken as background.</p>"
            "<p><b>Sizes</b>: images (square chips of the raster) are resized to each size, e.g. 512,1024,2048, "
            "and cut into 256 px patches; one decoder is trained per size and the best on validation is saved. "
            "<b>Prompts</b>: box (each object's box), point (one interior point) or patch (the whole patch; what "
            "Detect objects uses). Learning rate 1e-5 is the recipe's for official checkpoints.</p>"
            "<p>Outputs: the tuned checkpoint (a plain SAM .pth that other SAM tools load) with a .pth.json "
            "beside it (threshold, prompt, scale, test figures), and a report folder: summary.json with accuracy "
            "(share of test images with IoU above 0.5), mean IoU and time per image for each size and for the "
            "base model, curves.png, threshold.png and examples.png. Encoder embeddings are computed once.</p>"
        )

    def initAlgorithm(self, config=None) -> None:
        self.add_raster()
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.LABELS, self.tr("Labelled objects"), [QgsProcessing.TypeVectorPolygon]
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.SPLIT_FIELD, self.tr("Split field (train, val, test)"), parentLayerParameterName=self.LABELS,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.REGION, self.tr("Complete-labelling region"), [QgsProcessing.TypeVectorPolygon], optional=True
            )
        )
        self.add_checkpoint()
        self.addParameter(QgsProcessingParameterString(self.SIZES, self.tr("Sizes (e.g. 512,1024,2048)"), "512"))
        self.addParameter(QgsProcessingParameterEnum(self.PROMPT, self.tr("Prompts"), PROMPTS, defaultValue=0))
        self.addParameter(
            QgsProcessingParameterNumber(
                self.EPOCHS, self.tr("Epochs"), QgsProcessingParameterNumber.Integer, 25, minValue=1
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterNumber(
                    self.LEARNING_RATE, self.tr("Learning rate"), QgsProcessingParameterNumber.Double, 1e-5,
                    minValue=1e-9, maxValue=1.0,
                )
            )
        )
        self.add_integer(self.BATCH_SIZE, self.tr("Batch size"), 8, 1)
        self.add_integer(self.SEED, self.tr("Random seed"), 0)
        self.add_integer(self.CHIP_PX, self.tr("Image side cut from the raster (pixels)"), 512, 64)
        self.add_bands()
        self.addParameter(self.cache_parameter(self.tr("Embedding cache folder (default: ~/.cache/terrasam/finetune)")))
        self.add_device()
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.TUNED, self.tr("Fine-tuned checkpoint"), self.tr("SAM checkpoints (*.pth)")
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(self.REPORT_FOLDER, self.tr("Report folder"), optional=True)
        )
        self.addOutput(QgsProcessingOutputNumber("ACCURACY", self.tr("Test accuracy of the saved decoder")))
        self.addOutput(QgsProcessingOutputNumber("BASE_ACCURACY", self.tr("Test accuracy of the base model")))
        self.addOutput(QgsProcessingOutputNumber("THRESHOLD", self.tr("Probability threshold")))

    def process(self, parameters, context, feedback, workspace, engine) -> dict:
        tuned = self.parameterAsFileOutput(parameters, self.TUNED, context)
        args = [raster_file(self.parameterAsRasterLayer(parameters, self.RASTER, context))]
        args += self.checkpoint_args(parameters, context) + self.option_args(parameters, context)
        args += ["--labels", vector_parameter_file(self, parameters, self.LABELS, context, feedback, workspace)]
        split = self.parameterAsString(parameters, self.SPLIT_FIELD, context)
        if split:
            args += ["--split-field", split]
        if parameters.get(self.REGION):
            args += ["--region", vector_parameter_file(self, parameters, self.REGION, context, feedback, workspace)]
        args += ["--sizes", self.parameterAsString(parameters, self.SIZES, context).replace(" ", "")]
        args += ["--prompt", PROMPTS[self.parameterAsEnum(parameters, self.PROMPT, context)]]
        args += ["--epochs", self.parameterAsInt(parameters, self.EPOCHS, context)]
        args += ["--lr", repr(self.parameterAsDouble(parameters, self.LEARNING_RATE, context))]
        args += ["--batch-size", self.parameterAsInt(parameters, self.BATCH_SIZE, context)]
        args += ["--seed", self.parameterAsInt(parameters, self.SEED, context)]
        args += ["--chip-px", self.parameterAsInt(parameters, self.CHIP_PX, context), "--out", tuned]
        report = self.parameterAsFileOutput(parameters, self.REPORT_FOLDER, context)
        if report:
            args += ["--report-dir", report]
        summary = engine.run("finetune", args)
        best = next((row for row in summary.get("table", []) if row.get("size") == summary.get("best_size")), {})
        return {
            self.TUNED: summary.get("out", tuned),
            self.REPORT_FOLDER: summary.get("report_dir", report),
            "ACCURACY": best.get("accuracy"),
            "BASE_ACCURACY": best.get("base_accuracy"),
            "THRESHOLD": best.get("threshold"),
        }


class DetectObjectsAlgorithm(_FinetuneAlgorithm):
    DISTRIBUTABLE = True
    SIZE = "SIZE"

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("DetectObjectsAlgorithm", text)

    def name(self) -> str:
        return "detectobjects"

    def displayName(self) -> str:
        return self.tr("Detect objects (fine-tuned SAM)")

    def shortHelpString(self) -> str:
        return self.tr(
            "<p>Finds every object of the kind a fine-tuned checkpoint (from <i>Fine-tune SAM decoder</i>) was "
            "trained on, with no prompt: the raster is cut into overlapping patches at the scale the decoder "
            "learned, each patch is prompted whole, the probabilities are blended (no seams) and thresholded at "
            "the checkpoint's threshold.</p>"
            "<p><b>Size</b>: 0 keeps the learned scale; a size S treats the extent as one image resized to S, as "
            "the recipe does for whole images.</p>"
            "<p>Output: one polygon per object with its mean probability and geodesic area and perimeter, in the "
            "raster's CRS.</p>"
        )

    def initAlgorithm(self, config=None) -> None:
        self.add_raster()
        self.add_checkpoint()
        self.add_extent()
        self.addParameter(
            QgsProcessingParameterNumber(
                self.SIZE, self.tr("Size (0: the learned scale)"), QgsProcessingParameterNumber.Integer, 0,
                minValue=0,
            )
        )
        self.add_postprocessing()
        self.add_bands()
        self.addParameter(self.cache_parameter())
        self.add_device()
        _SegmentationAlgorithm.add_objects_output(self, self.tr("Objects"))

    def process(self, parameters, context, feedback, workspace, engine) -> dict:
        args = self.raster_args(parameters, context)
        size = self.parameterAsInt(parameters, self.SIZE, context)
        if size > 0:
            args += ["--size", size]
        summary = engine.run("detect", [*args, "--out", workspace.file("objects.gpkg")])
        return _SegmentationAlgorithm.objects_to_output(self, parameters, context, workspace, summary)
