"""Behaviour of the dock: QGIS objects in, engine requests out, engine results back as layers.

The core runs in the engine process (``sam_core/service/engine.py``). This controller wires the dock's
widgets and the canvas to its parts, each with one job, and holds the raster and model the engine was given:

- ``prompt_controller.py``: clicks and boxes, one engine request each, the tiles they need encoded in a
  task, the preview drawn on the canvas;
- ``view_jobs.py``: "Segment everything in view", "Classify view" and "Map view", tasks over the canvas
  extent;
- ``output_target.py``: the layer or GeoPackage objects are written to;
- ``controller_base.py``: the one way errors reach the user, tasks and their progress, the canvas extent.
"""

from __future__ import annotations

import os

from qgis.core import Qgis, QgsMapLayerType, QgsMessageLog, QgsRasterLayer
from qgis.PyQt.QtCore import QCoreApplication, QObject

from ..host import settings
from ..host.dependencies import engine_python
from ..sam_core import config
from ..sam_core.service.client import EngineClient
from .controller_base import ControllerBase, reports_errors
from .dock import TerraSAMDock
from .output_target import OutputTarget
from .prompt_controller import PromptController
from .tasks import LoadModelTask
from .view_jobs import ViewJobs


class SegmentationController(PromptController, ViewJobs, OutputTarget, ControllerBase, QObject):
    @staticmethod
    def tr(text: str) -> str:
        """Translate ``text`` in the context pylupdate5 files ``self.tr()`` calls under: the class name."""
        return QCoreApplication.translate("SegmentationController", text)

    def __init__(self, iface, dock: TerraSAMDock, engine: EngineClient | None = None) -> None:
        super().__init__(dock)
        self.iface, self.dock = iface, dock
        self.canvas = iface.mapCanvas()
        self.engine = engine or EngineClient(engine_python(), log=_log_engine)
        self.engine.start()  # Python and rasterio load while the dock is being built
        self.model: dict | None = None  # the engine's description of the loaded model
        #: the engine's description of the loaded segmentation head (accepted objects get its classes)
        self.segmentation_head: dict | None = None
        self.layer: QgsRasterLayer | None = None
        self.bands: tuple[int, ...] | None = None  # the band choice the engine made or was given
        self.output_layer = None  # the memory layer of prompted objects (Accept), made at the first one
        self.everything_layer = None  # the memory layer of segment everything's objects (other fields)
        self.tasks: list = []  # Python references keep running QgsTasks alive
        self.loading: LoadModelTask | None = None  # the latest model request; older ones are ignored
        self.everything_options: dict = {}  # see ``ViewJobs``
        self.closed = False  # after unload(): tasks still finishing must not touch the deleted dock
        self._make_prompt_tools()  # state, pending, map tools and rubber bands
        self._connect()
        self._configure()

    # -- wiring -------------------------------------------------------------------------------------------
    def _connect(self) -> None:
        d = self.dock
        d.layer_combo.layerChanged.connect(self.set_layer)
        for combo in d.band_combos:
            combo.currentIndexChanged.connect(self._bands_changed)
        d.checkpoint_widget.fileChanged.connect(self.load_model)
        d.device_combo.currentTextChanged.connect(lambda text: self._device_changed("device", text))
        d.precision_combo.currentTextChanged.connect(lambda text: self._device_changed("precision", text))
        d.point_action.triggered.connect(lambda: self.canvas.setMapTool(self.point_tool))
        d.box_action.triggered.connect(lambda: self.canvas.setMapTool(self.box_tool))
        d.undo_action.triggered.connect(self.undo)
        d.clear_action.triggered.connect(self.clear)
        d.accept_action.triggered.connect(self.accept)
        d.encode_view_action.triggered.connect(self.encode_view)
        d.everything_action.triggered.connect(self.segment_everything)
        d.classify_action.triggered.connect(self.classify_view)
        d.map_action.triggered.connect(self.map_view)
        d.head_widget.fileChanged.connect(lambda path: settings.set_value("head", path))
        d.segmentation_head_widget.fileChanged.connect(self.load_segmentation_head)
        d.cancel_button.clicked.connect(self.cancel_tasks)
        self.point_tool.pointClicked.connect(self.add_point)
        self.box_tool.boxDrawn.connect(self.add_box)
        self.canvas.destinationCrsChanged.connect(self._canvas_crs_changed)
        if self.iface is not None and hasattr(self.iface, "currentLayerChanged"):
            self.iface.currentLayerChanged.connect(self.follow_active_layer)

    @reports_errors
    def _configure(self) -> None:
        """Tell the engine where embeddings are kept, then restore the user's choices (a Python without the
        packages stops here, with the message saying how to install them)."""
        self.engine.call("configure", {"cache_dir": settings.cache_dir()})
        self._restore_settings()
        self.set_layer(self.dock.layer_combo.currentLayer())

    def _restore_settings(self) -> None:
        device = settings.value("device", config.DEVICE)
        self.dock.device_combo.setCurrentText(device if device in config.DEVICES else config.DEVICE)
        precision = settings.value("precision", config.PRECISION)
        known = precision in config.PRECISIONS
        self.dock.precision_combo.setCurrentText(precision if known else config.PRECISION)
        self.dock.head_widget.setFilePath(settings.value("head"))
        self.dock.segmentation_head_widget.setFilePath(settings.value("segmentation_head"))
        checkpoint = settings.value("checkpoint")
        if checkpoint:
            self.dock.checkpoint_widget.setFilePath(checkpoint)  # fileChanged → load_model

    def unload(self) -> None:
        """Remove everything this controller put on the canvas, stop its tasks and its engine."""
        self.closed = True
        self.cancel_tasks()
        self._remove_prompt_tools()
        if self.iface is not None and hasattr(self.iface, "currentLayerChanged"):
            self.iface.currentLayerChanged.disconnect(self.follow_active_layer)
        self.canvas.destinationCrsChanged.disconnect(self._canvas_crs_changed)
        self.engine.close()

    # -- raster and model ---------------------------------------------------------------------------------
    def follow_active_layer(self, layer) -> None:
        if layer is not None and layer.type() == QgsMapLayerType.RasterLayer:
            self.dock.layer_combo.setLayer(layer)

    @reports_errors
    def set_layer(self, layer, bands=None) -> None:
        self.clear()
        self.layer, self.bands, self.state = layer, None, None
        if layer is None:
            return
        path = layer.source()
        if layer.providerType() != "gdal" or not os.path.isfile(path):
            self.error(
                self.tr(
                    "TerraSAM reads raster files (GeoTIFF and other GDAL files); "
                    "this layer is not a local file (WMS, XYZ and database layers are not supported)."
                )
            )
            return
        opened = self.engine.call("open_raster", {"path": path, "bands": list(bands) if bands else None})
        self.bands = tuple(opened["bands"])
        names = [layer.bandName(i) for i in range(1, layer.bandCount() + 1)]
        self.dock.set_bands(names, self.bands)
        self._new_session()
        if self.model is None and self.loading is None:  # the raster is chosen: say what is still missing
            self.dock.show_status(
                self.tr("Raster {name} chosen: now choose a SAM checkpoint (Model → Checkpoint)").format(
                    name=layer.name()
                )
            )

    def _bands_changed(self) -> None:
        if self.layer is not None and self.bands is not None and self.dock.bands() != self.bands:
            self.set_layer(self.layer, self.dock.bands())

    @reports_errors
    def _new_session(self) -> None:
        if self.bands is None or self.model is None:
            return
        self.state = self.engine.call("set_prompt_crs", {"crs": self._canvas_crs()})
        self.dock.show_status(self.tr("Ready: choose Point or Box and click on the map"))

    def load_model(self, path: str) -> None:
        settings.set_value("checkpoint", path)
        self.model, self.state, self.loading = None, None, None
        self._show_segmentation_head(None)  # the engine drops it with the model; loaded again after
        if not path:
            return
        self.dock.model_label.setText(self.tr("Loading…"))
        self.loading = LoadModelTask(
            self.engine,
            path,
            self.dock.device_combo.currentText(),
            self._model_loaded,
            self.dock.precision_combo.currentText(),
            settings.threads(),
        )
        self._start(self.loading)

    def _device_changed(self, name: str, value: str) -> None:
        """Device or precision chosen: remembered, and the model loaded again to run there."""
        settings.set_value(name, value)
        if self.dock.checkpoint_widget.filePath():
            self.load_model(self.dock.checkpoint_widget.filePath())

    def _model_loaded(self, task: LoadModelTask) -> None:
        self._forget(task)
        if self.closed or task is not self.loading:
            return  # unloaded, or replaced by a newer checkpoint or device choice
        self.loading = None
        if task.result is None:
            self.dock.model_label.setText(self.tr("No model loaded"))
            self.error(task.error or self.tr("Loading the model was cancelled."))
            return
        self.model = task.result  # the engine forgets which tiles were encoded with the last one
        self.dock.model_label.setText(f"{self.model['describe']} — {self.model['runs_on']}")
        self._new_session()
        self._load_segmentation_head()
        if self.bands is None and self.layer is None:
            self.dock.show_status(self.tr("Model loaded: now choose a raster layer"))

    def load_segmentation_head(self, path: str) -> None:
        """The segmentation head file chosen: remembered, and loaded into the engine once a model is (it is
        checked against the model's encoder there)."""
        settings.set_value("segmentation_head", path)
        self._load_segmentation_head(announce=True)

    def _load_segmentation_head(self, announce: bool = False) -> None:
        path = self.dock.segmentation_head_widget.filePath()
        self._show_segmentation_head(None)
        if self.model is None:
            return
        head = self._call_engine("load_segmentation_head", {"path": path or None})
        self._show_segmentation_head(head)
        if head is not None and announce:
            self.dock.show_status(
                self.tr("Segmentation head loaded: Map view maps its classes, accepted objects get one")
            )

    @reports_errors
    def _call_engine(self, method: str, params: dict):
        return self.engine.call(method, params)

    def _show_segmentation_head(self, head: dict | None) -> None:
        self.segmentation_head = head
        label = self.dock.segmentation_head_label
        if head is None:
            label.setText("")
        else:
            label.setText(
                self.tr("{n} classes: {names}").format(
                    n=len(head["classes"]), names=", ".join(head["classes"])
                )
            )
        label.setVisible(head is not None)


def _log_engine(line: str) -> None:
    """The engine's stderr (warnings, a traceback before a crash) in the TerraSAM log panel."""
    QgsMessageLog.logMessage(line, "TerraSAM", Qgis.Info)
