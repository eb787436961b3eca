"""The segmentation-head algorithms' shared parts: their group, and the tiling options of the ones that
apply a head to a raster (``map`` and ``label-objects`` in the engine). The algorithms themselves:
``semantic_train`` (train a head), ``semantic_map`` (map a raster's classes), ``semantic_label`` (a class for
every object of a layer)."""

from __future__ import annotations

from qgis.PyQt.QtCore import QCoreApplication

from .base import TerraSAMAlgorithm

#: the engine's default overlap of ``map`` (and ``label-objects``) tiles: below 1 a share of the tile
MAP_OVERLAP = 0.25


class _SegmentationHeadAlgorithm(TerraSAMAlgorithm):
    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("_SegmentationHeadAlgorithm", text)

    def group(self) -> str:
        return _SegmentationHeadAlgorithm.tr("Segmentation heads")

    def groupId(self) -> str:
        return "segmentationheads"

    def tiling_args(self, parameters, context) -> list[str]:
        """``--tile-size`` unless 0 (the head's scale), ``--overlap`` unless the engine's default: a head's
        overlap is a share of the tile below 1, so it is a double, unlike the other algorithms' pixels."""
        args: list[str] = []
        if self.parameterDefinition(self.TILE_SIZE) is not None:
            tile = self.parameterAsInt(parameters, self.TILE_SIZE, context)
            if tile > 0:
                args += ["--tile-size", str(tile)]
        if self.parameterDefinition(self.OVERLAP) is not None:
            overlap = self.parameterAsDouble(parameters, self.OVERLAP, context)
            if overlap != MAP_OVERLAP:
                args += ["--overlap", repr(overlap)]
        return args
