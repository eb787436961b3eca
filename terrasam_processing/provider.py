"""The ``terrasam`` Processing provider: its name, icon and algorithms."""

from __future__ import annotations

import os

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from .evaluation import EvaluateSegmentationAlgorithm
from .finetune import DetectObjectsAlgorithm, FinetuneDecoderAlgorithm
from .landcover import ClassifyLandCoverAlgorithm, TrainClassifierAlgorithm
from .segmentation import EncodeRasterAlgorithm, SegmentEverythingAlgorithm, SegmentPromptsAlgorithm
from .semantic_label import LabelObjectsAlgorithm
from .semantic_map import MapClassesAlgorithm
from .semantic_train import TrainSegmentationHeadAlgorithm

ICON_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "icon.png")
ALGORITHMS = (
    EncodeRasterAlgorithm,
    SegmentPromptsAlgorithm,
    SegmentEverythingAlgorithm,
    ClassifyLandCoverAlgorithm,
    TrainClassifierAlgorithm,
    EvaluateSegmentationAlgorithm,
    FinetuneDecoderAlgorithm,
    DetectObjectsAlgorithm,
    TrainSegmentationHeadAlgorithm,
    MapClassesAlgorithm,
    LabelObjectsAlgorithm,
)


class TerraSAMProvider(QgsProcessingProvider):
    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("TerraSAMProvider", text)

    def id(self) -> str:
        return "terrasam"

    def name(self) -> str:
        return self.tr("TerraSAM")

    def longName(self) -> str:
        return self.tr("TerraSAM: Segment Anything for rasters")

    def icon(self) -> QIcon:
        return QIcon(ICON_PATH)

    def supportedOutputRasterLayerExtensions(self) -> list[str]:
        """The engine writes GeoTIFF only (the class raster of Map classes)."""
        return ["tif"]

    def loadAlgorithms(self) -> None:
        for algorithm in ALGORITHMS:
            self.addAlgorithm(algorithm())
