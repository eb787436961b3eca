"""Train a pixel-level segmentation head on the frozen SAM encoder (the ``train-segmenter`` command of the
engine): from a folder of images and class masks, or a raster with labelled polygons or a label raster."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)
from qgis.PyQt.QtCore import QCoreApplication

from .base import active_raster, advanced
from .layers import raster_file, vector_parameter_file
from .semantic import _SegmentationHeadAlgorithm

#: the engine's ``train-segmenter --head`` choices (sam_core/cli/segmenter.py HEADS)
SEGMENTATION_HEADS = ["sam-conv", "sam-vit", "unet"]


class TrainSegmentationHeadAlgorithm(_SegmentationHeadAlgorithm):
    DATA_FOLDER = "DATA_FOLDER"
    LABELS = "LABELS"
    CLASS_FIELD = "CLASS_FIELD"
    LABEL_RASTER = "LABEL_RASTER"
    REGION = "REGION"
    SPLIT_FIELD = "SPLIT_FIELD"
    CHIP_PX = "CHIP_PX"
    HEAD_TYPE = "HEAD_TYPE"
    COMPARE = "COMPARE"
    EPOCHS = "EPOCHS"
    LEARNING_RATE = "LEARNING_RATE"
    BATCH_SIZE = "BATCH_SIZE"
    SEED = "SEED"
    DICE = "DICE"
    SKIP = "SKIP"
    HEAD = "HEAD"
    REPORT_FOLDER = "REPORT_FOLDER"
    SHARES_DOCK_CACHE = False  # the engine's segmenter cache by default (~/.cache/terrasam/segmenter)

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("TrainSegmentationHeadAlgorithm", text)

    def name(self) -> str:
        return "trainsegmentationhead"

    def displayName(self) -> str:
        return self.tr("Train segmentation head")

    def shortHelpString(self) -> str:
        return self.tr(
            "<p>Trains a pixel-level segmentation head on the frozen SAM image encoder, for <i>Map classes "
            "(segmentation head)</i>: every pixel gets a class (roads, buildings, water, ...).</p>"
            "<p><b>Training data folder</b>: images/ and masks/ with the same file names; a mask holds one "
            "class code per pixel. Optional split.csv (image,split with train, val, test; else a split from "
            "the seed) and classes.json (the codes' names and colours, and an ignore code for unlabelled "
            "pixels).</p>"
            "<p><b>Or a raster with labels</b>: a raster (a local file) and either <b>labelled polygons</b> "
            "(any CRS) with the <b>class field</b> holding each one's class (names, or integer codes named by "
            "a classes.json beside the layer; what no polygon covers is the background), or a <b>label "
            "raster</b> of class codes (resampled onto the raster; its nodata is unlabelled). "
            "<b>Complete-labelling region</b>: where every pixel is labelled; outside it only labelled pixels "
            "count (default: the polygons' bounding box, or wherever the label raster has data). <b>Split "
            "field</b>: train, val or test per polygon; without it the raster's images are split by area with "
            "the seed. The head records the raster's pixel size, bands and stretch, so that <i>Map "
            "classes</i> sees other rasters as it was trained.</p>"
            "<p><b>Head</b>: sam-conv (convolutions on the SAM embedding), sam-vit (a small transformer on "
            "it) or unet (a UNet on the pixels alone, the baseline without SAM). <b>Compare with</b>: other "
            "heads trained on the same split for the report only. <b>Dice</b> adds a Dice term to the "
            "cross-entropy (helps thin classes such as roads); <b>skip</b> gives the SAM heads a downsampled "
            "copy of the image (sharper edges). The head of the epoch with the best validation mean IoU is "
            "kept; the same seed and data give the same head.</p>"
            "<p>Outputs: the head file (.pt; it goes with this checkpoint) and a report folder: summary.json "
            "(test mean IoU, accuracy, macro F1, per-class figures, beside the majority-class baseline), "
            "curves.png, boxplots.png and examples.png. Encoder embeddings are cached, so another head on "
            "the same data is quick.</p>"
        )

    def initAlgorithm(self, config=None) -> None:
        self.addParameter(
            QgsProcessingParameterFile(
                self.DATA_FOLDER,
                self.tr("Training data folder (images/ and masks/)"),
                QgsProcessingParameterFile.Folder,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.RASTER,
                self.tr("Or: a raster (a local file) with labels"),
                defaultValue=active_raster(),
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.LABELS,
                self.tr("Labelled polygons (one class each)"),
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.CLASS_FIELD,
                self.tr("Class field (names or integer codes)"),
                parentLayerParameterName=self.LABELS,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.LABEL_RASTER, self.tr("Or: a label raster (class codes)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.REGION,
                self.tr("Complete-labelling region"),
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.SPLIT_FIELD,
                self.tr("Split field (train, val, test)"),
                parentLayerParameterName=self.LABELS,
                optional=True,
            )
        )
        self.add_integer(
            self.CHIP_PX, self.tr("Image side cut from the raster (pixels; 0: twice the model's input)"), 0
        )
        self.add_bands()
        self.add_checkpoint()
        self.addParameter(
            QgsProcessingParameterEnum(self.HEAD_TYPE, self.tr("Head"), SEGMENTATION_HEADS, defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.COMPARE,
                self.tr("Compare with (other heads, for the report)"),
                SEGMENTATION_HEADS,
                allowMultiple=True,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.EPOCHS, self.tr("Epochs"), QgsProcessingParameterNumber.Integer, 25, minValue=1
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterNumber(
                    self.LEARNING_RATE,
                    self.tr("Learning rate"),
                    QgsProcessingParameterNumber.Double,
                    3e-4,
                    minValue=1e-9,
                    maxValue=1.0,
                )
            )
        )
        self.add_integer(self.BATCH_SIZE, self.tr("Batch size"), 4, 1)
        self.add_integer(self.SEED, self.tr("Random seed"), 0)
        self.addParameter(
            QgsProcessingParameterBoolean(self.DICE, self.tr("Add a Dice term to the loss"), False)
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterBoolean(
                    self.SKIP, self.tr("Give the SAM heads a copy of the image (skip connection)"), False
                )
            )
        )
        self.addParameter(
            self.cache_parameter(self.tr("Embedding cache folder (default: ~/.cache/terrasam/segmenter)"))
        )
        self.add_device()
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.HEAD, self.tr("Segmentation head"), self.tr("Segmentation heads (*.pt)")
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                self.REPORT_FOLDER, self.tr("Report folder"), optional=True
            )
        )
        self.addOutput(QgsProcessingOutputNumber("MEAN_IOU", self.tr("Test mean IoU of the saved head")))
        self.addOutput(
            QgsProcessingOutputNumber("MAJORITY_MEAN_IOU", self.tr("Test mean IoU of the majority class"))
        )

    def data_problem(self, parameters, context) -> str:
        """What is wrong with the choice of training data ('' when it is one of the two forms)."""
        folder = self.parameterAsFile(parameters, self.DATA_FOLDER, context)
        polygons, codes = bool(parameters.get(self.LABELS)), bool(parameters.get(self.LABEL_RASTER))
        if not (polygons or codes):
            if folder:
                return ""
            return self.tr(
                "Give a training data folder (images/ and masks/), or a raster with labelled polygons or a "
                "label raster."
            )
        if folder:
            return self.tr("Give a training data folder or a raster with labels, not both.")
        if polygons and codes:
            return self.tr("Give labelled polygons or a label raster, not both.")
        if self.parameterAsRasterLayer(parameters, self.RASTER, context) is None:
            return self.tr("Choose the raster the labels describe.")
        if polygons and not self.parameterAsString(parameters, self.CLASS_FIELD, context):
            return self.tr("Choose the field of the labelled polygons that holds their class.")
        return ""

    def checkParameterValues(self, parameters, context):
        problem = self.data_problem(parameters, context)
        if problem:
            return False, problem
        return super().checkParameterValues(parameters, context)

    def data_args(self, parameters, context, feedback, workspace) -> list[str]:
        """The folder, or the raster with ``--labels`` and the GIS form's options."""
        problem = self.data_problem(parameters, context)
        if problem:
            raise QgsProcessingException(problem)
        folder = self.parameterAsFile(parameters, self.DATA_FOLDER, context)
        if folder:
            return [folder]
        args = [raster_file(self.parameterAsRasterLayer(parameters, self.RASTER, context))]
        if parameters.get(self.LABELS):
            labels = vector_parameter_file(self, parameters, self.LABELS, context, feedback, workspace)
            args += ["--labels", labels]
            args += ["--class-field", self.parameterAsString(parameters, self.CLASS_FIELD, context)]
            split = self.parameterAsString(parameters, self.SPLIT_FIELD, context)
            if split:
                args += ["--split-field", split]
        else:
            args += [
                "--labels",
                raster_file(self.parameterAsRasterLayer(parameters, self.LABEL_RASTER, context)),
            ]
        if parameters.get(self.REGION):
            args += [
                "--region",
                vector_parameter_file(self, parameters, self.REGION, context, feedback, workspace),
            ]
        chip = self.parameterAsInt(parameters, self.CHIP_PX, context)
        if chip > 0:
            args += ["--chip-px", chip]
        return args

    def process(self, parameters, context, feedback, workspace, engine) -> dict:
        head = self.parameterAsFileOutput(parameters, self.HEAD, context)
        kind = SEGMENTATION_HEADS[self.parameterAsEnum(parameters, self.HEAD_TYPE, context)]
        args = self.data_args(parameters, context, feedback, workspace)
        args += [*self.checkpoint_args(parameters, context), *self.option_args(parameters, context)]
        args += ["--out", head, "--head", kind]
        compare = [
            SEGMENTATION_HEADS[i]
            for i in self.parameterAsEnums(parameters, self.COMPARE, context)
            if SEGMENTATION_HEADS[i] != kind
        ]
        if compare:
            args += ["--compare", ",".join(dict.fromkeys(compare))]
        args += ["--epochs", self.parameterAsInt(parameters, self.EPOCHS, context)]
        args += ["--lr", repr(self.parameterAsDouble(parameters, self.LEARNING_RATE, context))]
        args += ["--batch-size", self.parameterAsInt(parameters, self.BATCH_SIZE, context)]
        args += ["--seed", self.parameterAsInt(parameters, self.SEED, context)]
        for name, flag in ((self.DICE, "--dice"), (self.SKIP, "--skip")):
            if self.parameterAsBool(parameters, name, context):
                args.append(flag)
        report = self.parameterAsFileOutput(parameters, self.REPORT_FOLDER, context)
        if report:
            args += ["--report-dir", report]
        summary = engine.run("train-segmenter", args)
        saved = next(iter(summary.get("table", [])), {})  # the saved head's row comes first
        return {
            self.HEAD: summary.get("out", head),
            self.REPORT_FOLDER: summary.get("report_dir", report),
            "MEAN_IOU": saved.get("mean_iou"),
            "MAJORITY_MEAN_IOU": summary.get("majority_mean_iou"),
        }
