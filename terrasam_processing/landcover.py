"""Land-cover algorithms: train a classifier head on a frozen SAM encoder, classify a raster with it."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)
from qgis.PyQt.QtCore import QCoreApplication

from ..sam_core import config as defaults
from .base import TerraSAMAlgorithm, advanced
from .layers import copy_to_sink, rows_to_table_sink

STRETCHES = list(defaults.STRETCHES)
HEADS = ["linear", "mlp"]
MODES = ["packed", "per-patch"]


class _LandCoverAlgorithm(TerraSAMAlgorithm):
    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("_LandCoverAlgorithm", text)

    def group(self) -> str:
        return _LandCoverAlgorithm.tr("Land cover")

    def groupId(self) -> str:
        return "landcover"


class ClassifyLandCoverAlgorithm(_LandCoverAlgorithm):
    DISTRIBUTABLE = True
    HEAD = "HEAD"
    CELL_SIZE_M = "CELL_SIZE_M"
    DISSOLVE = "DISSOLVE"
    STRETCH = "STRETCH"
    SUMMARY = "SUMMARY"
    ALLOW_UPSAMPLE = "ALLOW_UPSAMPLE"

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("ClassifyLandCoverAlgorithm", text)

    def name(self) -> str:
        return "classifylandcover"

    def displayName(self) -> str:
        return self.tr("Classify land cover")

    def shortHelpString(self) -> str:
        return self.tr(
            "<p>Classifies the raster (or the extent) into a grid of square cells with a classifier head "
            "trained by <i>Train land-cover classifier</i> (or python -m sam_core train-classifier) on the "
            "same SAM checkpoint.</p>"
            "<p><b>Cell size</b>: 0 takes the head's patch size at the head's pixel size (640 m for EuroSAT). "
            "Cells are anchored to the raster's origin and clipped to the extent, so they tile it without "
            "gaps. A raster whose pixel size differs from the head's by more than 5 % is resampled to it; "
            "one more than twice as coarse as the head's is refused (upsampling adds no detail): raise "
            "<i>Upsample … by at most</i> in the advanced settings to insist. Cells that are mostly nodata "
            "are skipped.</p>"
            "<p><b>Dissolve</b>: one polygon per class instead of one per cell.</p>"
            "<p>Outputs: the cells (id, class, class_id, probability, area_m2, colour) or the dissolved "
            "classes (class, class_id, cells, area_m2, area_ha, percent, probability, colour), in the "
            "raster's CRS with geodesic areas; and a table of the area of every class of the head (cells, "
            "m², ha, % of the classified area, mean probability).</p>"
        )

    def initAlgorithm(self, config=None) -> None:
        self.add_raster()
        self.add_checkpoint()
        self.add_model_file(
            self.HEAD,
            self.tr("Classifier head (.pt)"),
            "head",
            self.tr("Classifier heads (*.pt);;All files (*)"),
        )
        self.add_extent()
        self.addParameter(
            QgsProcessingParameterNumber(
                self.CELL_SIZE_M,
                self.tr("Cell size in metres (0: the head's)"),
                QgsProcessingParameterNumber.Double,
                0.0,
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(self.DISSOLVE, self.tr("Dissolve cells by class"), False)
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterEnum(
                    self.STRETCH,
                    self.tr("Contrast stretch"),
                    STRETCHES,
                    defaultValue=STRETCHES.index(defaults.STRETCH),
                )
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterNumber(
                    self.ALLOW_UPSAMPLE,
                    self.tr("Upsample a raster coarser than the head's pixels by at most (factor)"),
                    QgsProcessingParameterNumber.Double,
                    2.0,
                    minValue=1.0,
                )
            )
        )
        self.add_bands()
        self.add_tiling(None, defaults.CLASSIFY_OVERLAP)
        self.addParameter(self.cache_parameter())
        self.add_device()
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT, self.tr("Land cover"), QgsProcessing.TypeVectorPolygon
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.SUMMARY, self.tr("Area per class"), QgsProcessing.TypeVector
            )
        )
        self.addOutput(QgsProcessingOutputNumber("AREA_HA", self.tr("Classified area (ha)")))

    def process(self, parameters, context, feedback, workspace, engine) -> dict:
        head = self.parameterAsFile(parameters, self.HEAD, context)
        if not head:
            raise QgsProcessingException(self.tr("Choose a classifier head file (.pt)."))
        args = [*self.raster_args(parameters, context), "--head", head]
        cell_size = self.parameterAsDouble(parameters, self.CELL_SIZE_M, context)
        if cell_size > 0:
            args += ["--cell-size-m", repr(cell_size)]
        dissolve = self.parameterAsBool(parameters, self.DISSOLVE, context)
        if dissolve:
            args.append("--dissolve")
        args += ["--stretch", STRETCHES[self.parameterAsEnum(parameters, self.STRETCH, context)]]
        args += ["--allow-upsample", repr(self.parameterAsDouble(parameters, self.ALLOW_UPSAMPLE, context))]
        path = workspace.file("classes.gpkg")
        summary = engine.run("classify", [*args, "--out", path])
        output = copy_to_sink(
            self, parameters, self.OUTPUT, context, path, "classes" if dissolve else "cells"
        )
        table = rows_to_table_sink(self, parameters, self.SUMMARY, context, summary.get("classes", []))
        return {self.OUTPUT: output, self.SUMMARY: table, "AREA_HA": summary.get("area_ha", 0.0)}


class TrainClassifierAlgorithm(_LandCoverAlgorithm):
    DATA_FOLDER = "DATA_FOLDER"
    HEAD_TYPE = "HEAD_TYPE"
    TRAIN_FRACTIONS = "TRAIN_FRACTIONS"
    EPOCHS = "EPOCHS"
    SEED = "SEED"
    MODE = "MODE"
    GSD_M = "GSD_M"
    HEAD = "HEAD"
    REPORT_FOLDER = "REPORT_FOLDER"
    SHARES_DOCK_CACHE = False  # the engine's feature cache by default (~/.cache/terrasam/features)

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("TrainClassifierAlgorithm", text)

    def name(self) -> str:
        return "trainclassifier"

    def displayName(self) -> str:
        return self.tr("Train land-cover classifier")

    def shortHelpString(self) -> str:
        return self.tr(
            "<p>Trains a small classifier head on features of the frozen SAM image encoder, from labelled "
            "image patches, for <i>Classify land cover</i>.</p>"
            "<p><b>Training data folder</b>: one sub-folder per class, named after the class, holding square "
            "patches: RGB .jpg/.png (like EuroSAT RGB) or multi-band GeoTIFFs (like EuroSAT MS; choose the "
            "bands in the advanced settings). At least two classes with two patches each.</p>"
            "<p><b>Training fractions</b>: the share of each class used for training, the rest is held out "
            "to score the head; several values separated by commas (0.2,0.5,0.8) run a sweep and the head of "
            "the largest is saved. <b>Head</b>: linear, or mlp (one hidden layer). The same seed and data give "
            "the same head.</p>"
            "<p>Outputs: the head file (.pt) and a report folder with, per fraction, metrics.json (accuracy, "
            "per-class precision, recall and F1, the confusion matrix), curves.png and confusion.png, then "
            "summary.json and sweep.png. Encoder features are cached, so another head on the same data is "
            "quick.</p>"
        )

    def initAlgorithm(self, config=None) -> None:
        self.addParameter(
            QgsProcessingParameterFile(
                self.DATA_FOLDER,
                self.tr("Training data folder (one sub-folder per class)"),
                QgsProcessingParameterFile.Folder,
            )
        )
        self.add_checkpoint()
        self.addParameter(QgsProcessingParameterEnum(self.HEAD_TYPE, self.tr("Head"), HEADS, defaultValue=0))
        self.addParameter(
            QgsProcessingParameterString(
                self.TRAIN_FRACTIONS, self.tr("Training fractions (e.g. 0.2,0.5,0.8)"), "0.8"
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.EPOCHS, self.tr("Epochs"), QgsProcessingParameterNumber.Integer, 50, minValue=1
            )
        )
        self.add_integer(self.SEED, self.tr("Random seed"), 0)
        self.addParameter(
            advanced(
                QgsProcessingParameterEnum(self.MODE, self.tr("Feature extraction"), MODES, defaultValue=0)
            )
        )
        self.addParameter(
            advanced(
                QgsProcessingParameterNumber(
                    self.GSD_M,
                    self.tr("Pixel size of the patches in metres (0: from the GeoTIFFs, else 10)"),
                    QgsProcessingParameterNumber.Double,
                    0.0,
                    minValue=0.0,
                )
            )
        )
        self.add_bands()
        self.addParameter(
            self.cache_parameter(self.tr("Feature cache folder (default: ~/.cache/terrasam/features)"))
        )
        self.add_device()
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.HEAD, self.tr("Classifier head"), self.tr("Classifier heads (*.pt)")
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                self.REPORT_FOLDER, self.tr("Report folder"), optional=True
            )
        )
        self.addOutput(QgsProcessingOutputNumber("ACCURACY", self.tr("Held-out accuracy of the saved head")))
        self.addOutput(QgsProcessingOutputNumber("MACRO_F1", self.tr("Held-out macro F1 of the saved head")))

    def process(self, parameters, context, feedback, workspace, engine) -> dict:
        data = self.parameterAsFile(parameters, self.DATA_FOLDER, context)
        head = self.parameterAsFileOutput(parameters, self.HEAD, context)
        args = [data, *self.checkpoint_args(parameters, context), *self.option_args(parameters, context)]
        args += ["--out", head, "--head", HEADS[self.parameterAsEnum(parameters, self.HEAD_TYPE, context)]]
        args += [
            "--train-fraction",
            self.parameterAsString(parameters, self.TRAIN_FRACTIONS, context).replace(" ", ""),
        ]
        args += ["--mode", MODES[self.parameterAsEnum(parameters, self.MODE, context)]]
        args += ["--epochs", self.parameterAsInt(parameters, self.EPOCHS, context)]
        args += ["--seed", self.parameterAsInt(parameters, self.SEED, context)]
        gsd = self.parameterAsDouble(parameters, self.GSD_M, context)
        if gsd > 0:
            args += ["--gsd-m", repr(gsd)]
        report = self.parameterAsFileOutput(parameters, self.REPORT_FOLDER, context)
        if report:
            args += ["--report-dir", report]
        summary = engine.run("train-classifier", args)
        saved = max(summary.get("runs", []), key=lambda run: run["train_fraction"], default={})
        return {
            self.HEAD: summary.get("out", head),
            self.REPORT_FOLDER: summary.get("report_dir", report),
            "ACCURACY": saved.get("accuracy"),
            "MACRO_F1": saved.get("macro_f1"),
        }
