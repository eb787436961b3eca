"""What every TerraSAM algorithm shares: the package check, common parameters and their command-line form."""

from __future__ import annotations

import re

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QCoreApplication

from ..host import settings
from ..sam_core import config as defaults
from .layers import raster_file
from .runner import EngineRunner, Workspace, engine_status

#: the dock's settings (ui/controller.py): the same checkpoint, head, device and embedding cache by default
DEVICES = list(defaults.DEVICES)
PRECISIONS = list(defaults.PRECISIONS)


def _setting(name: str) -> str | None:
    return settings.value(name) or None


def active_raster() -> str | None:
    """The source of QGIS's active layer when it is a local raster file, for the raster parameter's default:
    Processing builds a fresh algorithm (``initAlgorithm``) for each dialog, so the dialog opens on the raster
    the user is looking at. None without ``iface`` (``qgis_process``) or when another kind of layer is active."""
    from qgis.utils import iface

    layer = iface.activeLayer() if iface is not None and hasattr(iface, "activeLayer") else None
    if isinstance(layer, QgsRasterLayer) and layer.providerType() == "gdal" and layer.isValid():
        return layer.source()
    return None


def advanced(parameter: QgsProcessingParameterDefinition) -> QgsProcessingParameterDefinition:
    parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return parameter


class TerraSAMAlgorithm(QgsProcessingAlgorithm):
    """Base of the TerraSAM algorithms: each subclass names its engine command and builds its arguments
    in ``run``; this class checks the engine's packages, gives each execution a workspace and runner, and
    defines the parameters several algorithms share. An instance keeps no state between executions."""

    RASTER = "RASTER"
    CHECKPOINT = "CHECKPOINT"
    EXTENT = "EXTENT"
    BANDS = "BANDS"
    DEVICE = "DEVICE"
    PRECISION = "PRECISION"
    SCHEDULER = "SCHEDULER"
    CACHE_DIR = "CACHE_DIR"
    TILE_SIZE = "TILE_SIZE"
    OVERLAP = "OVERLAP"
    MIN_AREA_M2 = "MIN_AREA_M2"
    MIN_HOLE_M2 = "MIN_HOLE_M2"
    SIMPLIFY_PX = "SIMPLIFY_PX"
    OUTPUT = "OUTPUT"
    #: without a cache folder of its own, the command uses the dock's embedding cache
    SHARES_DOCK_CACHE = True
    #: the command is a batch command that runs its tiles on an existing Dask cluster when given
    #: ``--scheduler ADDRESS``: ``add_device`` then adds the scheduler parameter beside the device's
    DISTRIBUTABLE = False

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("TerraSAMAlgorithm", text)

    def createInstance(self):
        return type(self)()

    def canExecute(self):
        return engine_status()

    def processAlgorithm(self, parameters, context, feedback):
        feedback = feedback if feedback is not None else QgsProcessingFeedback()
        with Workspace() as workspace:
            result = self.process(parameters, context, feedback, workspace, EngineRunner(feedback))
        feedback.setProgress(100)  # the bar ends full, whatever the command's last line said
        return result

    def process(self, parameters, context, feedback, workspace, engine) -> dict:
        raise NotImplementedError

    # -- shared parameters ----------------------------------------------------------------------------------

    def add_raster(self) -> None:
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.RASTER, TerraSAMAlgorithm.tr("Raster (a local file)"), defaultValue=active_raster()
            )
        )

    def add_checkpoint(self) -> None:
        self.add_model_file(
            self.CHECKPOINT,
            TerraSAMAlgorithm.tr("SAM checkpoint (.pth)"),
            "checkpoint",
            TerraSAMAlgorithm.tr("SAM checkpoints (*.pth *.pt);;All files (*)"),
        )

    def add_model_file(self, name: str, description: str, setting: str, file_filter: str) -> None:
        """A checkpoint or head file, by default the one last chosen in the dock (setting ``setting``)."""
        self.addParameter(
            QgsProcessingParameterFile(
                name,
                description,
                QgsProcessingParameterFile.File,
                defaultValue=_setting(setting),
                fileFilter=file_filter,
            )
        )

    def add_extent(self) -> None:
        self.addParameter(
            QgsProcessingParameterExtent(
                self.EXTENT, TerraSAMAlgorithm.tr("Extent (default: the whole raster)"), optional=True
            )
        )

    def add_bands(self) -> None:
        self.addParameter(
            advanced(
                QgsProcessingParameterString(
                    self.BANDS,
                    TerraSAMAlgorithm.tr(
                        "Bands as red,green,blue, e.g. 4,3,2, or one band (default: automatic)"
                    ),
                    optional=True,
                )
            )
        )

    def add_integer(self, name: str, description: str, default: int, minimum: int = 0) -> None:
        number = QgsProcessingParameterNumber(
            name, description, QgsProcessingParameterNumber.Integer, default, minValue=minimum
        )
        self.addParameter(advanced(number))

    def add_tiling(
        self, tile_size: int | None = defaults.MODEL_TILE_SIZE, overlap: int | None = defaults.OVERLAP
    ) -> None:
        """Tile size 0 (the default) is the model's: a fine-tuned decoder's learned scale, else 1024 px."""
        if tile_size is not None:
            self.add_integer(
                self.TILE_SIZE,
                TerraSAMAlgorithm.tr("Tile size (pixels; 0: the model's)"),
                tile_size,
                defaults.MODEL_TILE_SIZE,
            )
        if overlap is not None:
            self.add_integer(self.OVERLAP, TerraSAMAlgorithm.tr("Tile overlap (pixels)"), overlap)

    def add_postprocessing(self) -> None:
        for name, description in (
            (self.MIN_AREA_M2, TerraSAMAlgorithm.tr("Drop parts smaller than (m²)")),
            (self.MIN_HOLE_M2, TerraSAMAlgorithm.tr("Fill holes smaller than (m²)")),
            (self.SIMPLIFY_PX, TerraSAMAlgorithm.tr("Simplification tolerance (pixels)")),
        ):
            number = QgsProcessingParameterNumber(
                name, description, QgsProcessingParameterNumber.Double, 0.0, minValue=0.0
            )
            self.addParameter(advanced(number))

    def cache_parameter(self, description: str | None = None, is_advanced: bool = True):
        parameter = QgsProcessingParameterFile(
            self.CACHE_DIR,
            description
            or TerraSAMAlgorithm.tr("Embedding cache folder (default: the TerraSAM dock's cache)"),
            QgsProcessingParameterFile.Folder,
            optional=True,
        )
        return advanced(parameter) if is_advanced else parameter

    def add_device(self) -> None:
        """Where and how the command runs: device and precision, and the Dask scheduler if it is
        ``DISTRIBUTABLE``, by default the TerraSAM settings (``device``, ``precision``, ``dask_scheduler``)."""
        device = _setting("device")
        self.addParameter(
            advanced(
                QgsProcessingParameterEnum(
                    self.DEVICE,
                    TerraSAMAlgorithm.tr("Device"),
                    DEVICES,
                    defaultValue=DEVICES.index(device if device in DEVICES else defaults.DEVICE),
                )
            )
        )
        precision = _setting("precision")
        self.addParameter(
            advanced(
                QgsProcessingParameterEnum(
                    self.PRECISION,
                    TerraSAMAlgorithm.tr("Precision (auto: the fastest path that passes the fidelity check)"),
                    PRECISIONS,
                    defaultValue=PRECISIONS.index(precision if precision in PRECISIONS else defaults.PRECISION),
                )
            )
        )
        if self.DISTRIBUTABLE:
            self.addParameter(
                advanced(
                    QgsProcessingParameterString(
                        self.SCHEDULER,
                        TerraSAMAlgorithm.tr("Dask scheduler address (empty: run on this machine)"),
                        defaultValue=settings.dask_scheduler(),
                        optional=True,
                    )
                )
            )

    # -- their command-line form ----------------------------------------------------------------------------

    def checkpoint_args(self, parameters, context) -> list[str]:
        checkpoint = self.parameterAsFile(parameters, self.CHECKPOINT, context)
        if not checkpoint:
            raise QgsProcessingException(
                TerraSAMAlgorithm.tr(
                    "Choose a SAM checkpoint file (.pth), e.g. sam_vit_b_01ec64.pth from "
                    "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth"
                )
            )
        return ["--checkpoint", checkpoint]

    def raster_args(self, parameters, context) -> list[str]:
        """The raster and checkpoint, then every shared option the algorithm defines."""
        args = [raster_file(self.parameterAsRasterLayer(parameters, self.RASTER, context))]
        args += self.checkpoint_args(parameters, context)
        return args + self.option_args(parameters, context)

    def option_args(self, parameters, context) -> list[str]:
        args: list[str] = []
        if self.parameterDefinition(self.BANDS) is not None:
            bands = re.sub(r"[\s;]+", ",", self.parameterAsString(parameters, self.BANDS, context).strip())
            if bands.strip(","):
                args.append(f"--bands={bands.strip(',')}")
        if self.parameterDefinition(self.DEVICE) is not None:
            args += ["--device", DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)]]
            args += ["--precision", PRECISIONS[self.parameterAsEnum(parameters, self.PRECISION, context)]]
        if self.parameterDefinition(self.SCHEDULER) is not None:
            scheduler = self.parameterAsString(parameters, self.SCHEDULER, context).strip()
            if scheduler:
                args += ["--scheduler", scheduler]
        if self.parameterDefinition(self.CACHE_DIR) is not None:
            cache = self.parameterAsFile(parameters, self.CACHE_DIR, context)
            cache = cache or (settings.cache_dir() if self.SHARES_DOCK_CACHE else "")
            if cache:
                args += ["--cache-dir", cache]
        args += self.tiling_args(parameters, context)
        for name, option in (
            (self.MIN_AREA_M2, "--min-area-m2"),
            (self.MIN_HOLE_M2, "--min-hole-m2"),
            (self.SIMPLIFY_PX, "--simplify-px"),
        ):
            if self.parameterDefinition(name) is not None:
                args += [option, _number(self.parameterAsDouble(parameters, name, context))]
        return args + self.extent_args(parameters, context)

    def tiling_args(self, parameters, context) -> list[str]:
        """``--tile-size`` unless it is the model's (0); ``--overlap`` unless the model's tile keeps the
        default overlap, which the command then derives from that tile (256 px, a quarter of smaller tiles)."""
        args: list[str] = []
        tile = None
        if self.parameterDefinition(self.TILE_SIZE) is not None:
            tile = self.parameterAsInt(parameters, self.TILE_SIZE, context)
            if tile != defaults.MODEL_TILE_SIZE:
                args += ["--tile-size", str(tile)]
        if self.parameterDefinition(self.OVERLAP) is not None:
            overlap = self.parameterAsInt(parameters, self.OVERLAP, context)
            if not (tile in (None, defaults.MODEL_TILE_SIZE) and overlap == defaults.OVERLAP):
                args += ["--overlap", str(overlap)]
        return args

    def extent_args(self, parameters, context) -> list[str]:
        if self.parameterDefinition(self.EXTENT) is None or not parameters.get(self.EXTENT):
            return []
        rect = self.parameterAsExtent(parameters, self.EXTENT, context)
        if rect.isNull() or rect.isEmpty():
            return []
        args = [f"--extent={rect.xMinimum()!r},{rect.yMinimum()!r},{rect.xMaximum()!r},{rect.yMaximum()!r}"]
        crs = self.parameterAsExtentCrs(parameters, self.EXTENT, context)
        if crs.isValid():
            args += ["--extent-crs", crs.authid() if crs.authid().startswith("EPSG:") else crs.toWkt()]
        return args


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
