"""Behaviour of the dock: QGIS objects in, engine requests out, engine results back as layers.

The core runs in the engine process (``sam_core/engine.py``); this controller holds only what the dock shows:
the engine's last prompt state (points, box, preview as WKB) and which tiles are encoded. Clicks and boxes
arrive from the map tools in the canvas CRS and go, untouched, to the engine's prompt session (which
transforms, validates and measures). The first prompt on a tile starts an ``EncodeTilesTask``; the prompt
waits and is applied when the tile is ready, so the UI never blocks on the encoder. A preview on an encoded
tile is one short engine call from the UI thread. "Segment everything in view" and "Classify view" run over
the canvas extent in tasks and write all their results at once, or nothing if they are cancelled.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsGeometry,
    QgsMapLayerType,
    QgsMessageLog,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsWkbTypes,
)
from qgis.gui import QgsRubberBand
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QCoreApplication, QObject
from qgis.PyQt.QtGui import QColor

from ..host import settings
from ..host.dependencies import engine_python, missing_message
from ..sam_core.errors import SamCoreError
from ..sam_core.service.client import EngineClient, MissingPackages
from ..sam_core.units import format_area, format_score
from .dock import OUTPUT_GPKG, OUTPUT_LAYER, TerraSAMDock
from .map_tools import FOREGROUND, BoxPromptTool, PointPromptTool
from .output_layers import (
    EVERYTHING_LAYER_FIELDS,
    PROMPT_LAYER_FIELDS,
    add_record,
    add_records,
    land_cover_layer,
    new_memory_layer,
    next_id,
    open_or_create_geopackage,
    to_qgs_geometry,
)
from .prompt_place import box_outside, point_outside
from .tasks import ClassifyTask, EncodeTilesTask, EverythingTask, LoadModelTask

MESSAGE_SECONDS = 8
PROMPTS, EVERYTHING = "prompts", "everything"
#: each product's GeoPackage layer name and fields
PRODUCTS = {PROMPTS: ("objects", PROMPT_LAYER_FIELDS), EVERYTHING: ("everything", EVERYTHING_LAYER_FIELDS)}
PREVIEW_LINE_PX = 2  # width of the preview outline on screen


class SegmentationController(QObject):
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
        self.layer: QgsRasterLayer | None = None
        self.bands: tuple[int, ...] | None = None  # the band choice the engine made or was given
        self.state: dict | None = None  # the engine's prompts and preview; None: no raster or no model
        self.output_layer = None  # the memory layer of prompted objects (Accept), made at the first one
        self.everything_layer = None  # the memory layer of segment everything's objects (other fields)
        self.tasks: list = []  # Python references keep running QgsTasks alive
        self.ready: set = set()  # (raster path, bands, col, row) of tiles already in the engine's cache
        self.pending: list[tuple[Callable, Callable]] = []  # (tile_of, apply) waiting for an encode
        self.loading: LoadModelTask | None = None  # the latest model request; older ones are ignored
        #: segment everything's options (names of ``sam_core.prompting.everything.EverythingOptions``) beyond the
        #: dock's "points per side"
        self.everything_options: dict = {}
        self.closed = False  # after unload(): tasks still finishing must not touch the deleted dock
        self.point_tool = PointPromptTool(self.canvas)
        self.box_tool = BoxPromptTool(self.canvas)
        self.preview_band = _band(self.canvas, QgsWkbTypes.PolygonGeometry, QColor(0, 160, 255, 230), 60)
        self.fg_band = _band(self.canvas, QgsWkbTypes.PointGeometry, QColor(0, 200, 0), 0)
        self.bg_band = _band(self.canvas, QgsWkbTypes.PointGeometry, QColor(230, 0, 0), 0)
        self._connect()
        if self._call("configure", cache_dir=settings.cache_dir()) is not False:
            self._restore_settings()
            self.set_layer(dock.layer_combo.currentLayer())

    # -- wiring -------------------------------------------------------------------------------------------
    def _connect(self) -> None:
        d = self.dock
        d.layer_combo.layerChanged.connect(self.set_layer)
        for combo in d.band_combos:
            combo.currentIndexChanged.connect(self._bands_changed)
        d.checkpoint_widget.fileChanged.connect(self.load_model)
        d.device_combo.currentTextChanged.connect(self._device_changed)
        d.point_action.triggered.connect(lambda: self.canvas.setMapTool(self.point_tool))
        d.box_action.triggered.connect(lambda: self.canvas.setMapTool(self.box_tool))
        d.undo_action.triggered.connect(self.undo)
        d.clear_action.triggered.connect(self.clear)
        d.accept_action.triggered.connect(self.accept)
        d.encode_view_action.triggered.connect(self.encode_view)
        d.everything_action.triggered.connect(self.segment_everything)
        d.classify_action.triggered.connect(self.classify_view)
        d.head_widget.fileChanged.connect(lambda path: settings.set_value("head", path))
        d.cancel_button.clicked.connect(self.cancel_tasks)
        self.point_tool.pointClicked.connect(self.add_point)
        self.box_tool.boxDrawn.connect(self.add_box)
        self.canvas.destinationCrsChanged.connect(self._canvas_crs_changed)
        if self.iface is not None and hasattr(self.iface, "currentLayerChanged"):
            self.iface.currentLayerChanged.connect(self.follow_active_layer)

    def _restore_settings(self) -> None:
        device = settings.value("device", "auto")
        self.dock.device_combo.setCurrentText(device if device in ("auto", "cpu", "cuda") else "auto")
        self.dock.head_widget.setFilePath(settings.value("head"))
        checkpoint = settings.value("checkpoint")
        if checkpoint:
            self.dock.checkpoint_widget.setFilePath(checkpoint)  # fileChanged → load_model

    def unload(self) -> None:
        """Remove everything this controller put on the canvas, stop its tasks and its engine."""
        self.closed = True
        self.cancel_tasks()
        for tool in (self.point_tool, self.box_tool):
            if self.canvas.mapTool() is tool:
                self.canvas.unsetMapTool(tool)
        self.box_tool.remove_band()
        for band in (self.preview_band, self.fg_band, self.bg_band):
            self.canvas.scene().removeItem(band)
        if self.iface is not None and hasattr(self.iface, "currentLayerChanged"):
            self.iface.currentLayerChanged.disconnect(self.follow_active_layer)
        self.canvas.destinationCrsChanged.disconnect(self._canvas_crs_changed)
        self.engine.close()

    # -- raster and model ---------------------------------------------------------------------------------
    def follow_active_layer(self, layer) -> None:
        if layer is not None and layer.type() == QgsMapLayerType.RasterLayer:
            self.dock.layer_combo.setLayer(layer)

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
        opened = self._call("open_raster", path=path, bands=list(bands) if bands else None)
        if opened is False:
            return
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

    def _new_session(self) -> None:
        if self.bands is None or self.model is None:
            return
        state = self._call("set_prompt_crs", crs=self._canvas_crs())
        if state is not False:
            self.state = state
            self.dock.show_status(self.tr("Ready: choose Point or Box and click on the map"))

    def load_model(self, path: str) -> None:
        settings.set_value("checkpoint", path)
        self.model, self.state, self.loading = None, None, None
        if not path:
            return
        self.dock.model_label.setText(self.tr("Loading…"))
        self.loading = LoadModelTask(
            self.engine, path, self.dock.device_combo.currentText(), self._model_loaded
        )
        self._start(self.loading)

    def _device_changed(self, device: str) -> None:
        settings.set_value("device", device)
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
        self.model = task.result
        self.ready.clear()
        self.dock.model_label.setText(f"{self.model['describe']} — {self.model['device']}")
        self._new_session()
        if self.bands is None and self.layer is None:
            self.dock.show_status(self.tr("Model loaded: now choose a raster layer"))

    # -- prompts ------------------------------------------------------------------------------------------
    def add_point(self, point: QgsPointXY, label: int) -> None:
        if self._check_ready() and not self._outside(
            point_outside(point, self._canvas_qgs_crs(), self.layer)
        ):
            x, y = point.x(), point.y()
            self._when_encoded(
                lambda: self.engine.call("tile_for_point", {"x": x, "y": y}),
                lambda: self.engine.call(
                    "add_point", {"x": x, "y": y, "label": label, "step": self._screen_step()}
                ),
            )

    def add_box(self, rect) -> None:
        if self._check_ready() and not self._outside(box_outside(rect, self._canvas_qgs_crs(), self.layer)):
            box = [rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()]
            self._when_encoded(
                lambda: self.engine.call("tile_for_box", {"box": box}),
                lambda: self.engine.call("set_box", {"box": box, "step": self._screen_step()}),
            )

    def _when_encoded(self, tile_of: Callable, apply: Callable) -> None:
        """Apply a prompt now if its tile is encoded, else encode it in the background first."""
        try:
            tile = tile_of()
        except SamCoreError as exc:
            self.error(str(exc))
            return
        if self._key(tile) in self.ready:
            self._apply(apply)
            return
        self.pending.append((tile_of, apply))
        if not any(isinstance(t, EncodeTilesTask) for t in self.tasks):
            self._encode([tile])

    def _apply(self, apply: Callable) -> None:
        """Run one engine call that changes the prompts; its result is the new state to draw."""
        try:
            self.state = apply()
        except SamCoreError as exc:
            self.error(str(exc))
        self._draw()

    def undo(self) -> None:
        if self.state is not None:
            self._apply(lambda: self.engine.call("undo", {"step": self._screen_step()}))

    def clear(self) -> None:
        self.pending.clear()
        if self.state is not None:
            self._apply(lambda: self.engine.call("clear"))

    def accept(self) -> None:
        if not self._check_ready():
            return
        if not self.state["preview"]:
            # checked before the output layer or file is created: a stray Accept leaves no empty layer
            self.error(self.tr("Nothing to accept: click on an object first."))
            return
        try:
            target = self._output_layer(PROMPTS)
            record = self.engine.call(
                "accept", {"feature_id": next_id(target), "raster_name": self.layer.name()}
            )
            self.state = {"points": [], "box": None, "preview": None}
            add_record(target, record, self.layer.crs())
        except SamCoreError as exc:
            self.error(str(exc))
            return
        self._draw()
        self.dock.show_status(
            self.tr("Object {id} written to {layer}: {area}").format(
                id=record["id"], layer=target.name(), area=format_area(record["area_m2"])
            )
        )

    # -- encoding -----------------------------------------------------------------------------------------
    def encode_view(self) -> None:
        if not self._check_ready():
            return
        try:
            tiles = self.engine.call(
                "tiles_for_extent", {"extent": self._canvas_extent(), "crs": self._canvas_crs()}
            )
        except SamCoreError as exc:
            self.error(str(exc))
            return
        todo = [t for t in tiles if self._key(t) not in self.ready]
        if not todo:
            self.dock.show_status(self.tr("The view is already encoded"))
            return
        self._encode(todo)

    def _encode(self, tiles: list[dict]) -> None:
        positions = [(t["col"], t["row"]) for t in tiles]
        task = EncodeTilesTask(self.engine, self.layer.source(), self.bands, positions, self._encoded)
        self._start_with_progress(task, self.tr("Encoding {n} tile(s)…").format(n=len(tiles)))

    def _encoded(self, task: EncodeTilesTask) -> None:
        self._forget(task)
        if self.closed:
            return
        self._hide_progress()
        pending, self.pending = self.pending, []
        if task.error:
            self.error(task.error)
        elif task.result is None:
            self.dock.show_status(self.tr("Encoding cancelled: nothing was changed"))
        else:
            self.ready.update((task.raster, task.bands, col, row) for col, row in task.tiles)
            self.dock.show_status(self.tr("Encoded: click to segment"))
            for tile_of, apply in pending:  # through the check again: a prompt may need another tile
                self._when_encoded(tile_of, apply)

    # -- segment everything -------------------------------------------------------------------------------
    def segment_everything(self) -> None:
        """Segment every object in the canvas extent in the background; ``_everything_done`` writes them."""
        self._start_view_task(
            EverythingTask,
            self.tr("Segment everything is already running: wait for it or cancel it."),
            self.tr("Segmenting everything in view…"),
            lambda **layer: EverythingTask(
                self.engine,
                self.layer.source(),
                self.bands,
                self._canvas_extent(),
                self._canvas_crs(),
                {**self.everything_options, "points_per_side": self.dock.points_per_side.value()},
                self._everything_done,
                **layer,
            ),
        )

    def _everything_done(self, task: EverythingTask) -> None:
        if self._view_task_result(task, self.tr("Segment everything cancelled: nothing was written")) is None:
            return
        objects = task.result["objects"]
        if not objects:
            self.dock.show_status(self.tr("No objects found in view: nothing was written"))
            return
        try:
            target = self._output_layer(EVERYTHING, task.layer_crs)
            first = next_id(target)
            created = datetime.now(UTC).isoformat(timespec="seconds")
            extra = {
                "model": task.result["model"],
                "raster": task.layer_name,
                "created": created,
            }
            records = [{**record, **extra, "id": first + i} for i, record in enumerate(objects)]
            add_records(target, records, task.layer_crs)
        except SamCoreError as exc:
            self.error(str(exc))
            return
        written = (
            self.tr("1 object written to {layer}")
            if len(records) == 1
            else self.tr("{n} objects written to {layer}")
        )
        self.dock.show_status(written.format(n=len(records), layer=target.name()))

    # -- land cover ---------------------------------------------------------------------------------------
    def classify_view(self) -> None:
        """Classify the canvas extent with the chosen head in the background; ``_classified`` adds the layer."""

        def make(**layer) -> ClassifyTask | None:
            head = self.dock.head_widget.filePath()
            if not head:
                self.error(self.tr("Choose a classifier head file first (Land cover → Head)."))
                return None
            extent, crs, dissolve = (
                self._canvas_extent(),
                self._canvas_crs(),
                self.dock.dissolve_box.isChecked(),
            )
            return ClassifyTask(
                self.engine, self.layer.source(), head, extent, crs, dissolve, self._classified, **layer
            )

        self._start_view_task(
            ClassifyTask,
            self.tr("A classification is already running: wait for it or cancel it."),
            self.tr("Classifying the view…"),
            make,
        )

    def _classified(self, task: ClassifyTask) -> None:
        if self._view_task_result(task, self.tr("Classification cancelled: no layer was added")) is None:
            return
        if not task.result["features"]:
            self.dock.show_status(
                self.tr("Nothing to classify in view (no valid pixels): no layer was added")
            )
            return
        name = self.tr("TerraSAM land cover ({raster})").format(raster=task.layer_name)
        QgsProject.instance().addMapLayer(land_cover_layer(name, task.layer_crs, task.result))
        self.dock.show_areas(task.result["classes"])
        summary = task.result["summary"]
        self.dock.show_status(
            self.tr("{n} cells classified over {area}").format(
                n=summary["cells"], area=format_area(summary["area_m2"])
            )
        )

    def _start_view_task(self, task_type: type, running: str, status: str, make: Callable) -> None:
        """Start a job over the canvas extent (``make(layer_name=..., layer_crs=...)`` builds it, or says why
        not and returns None): one of a kind at a time, its action disabled while it runs."""
        if any(isinstance(t, task_type) for t in self.tasks):
            self.error(running)
            return
        if not self._check_ready():
            return
        task = make(layer_name=self.layer.name(), layer_crs=self.layer.crs())
        if task is not None:
            self._action_of(task).setEnabled(False)
            self._start_with_progress(task, status)

    def _view_task_result(self, task, cancelled: str):
        """A finished view job's result, or None once the user has been told why there is none."""
        self._forget(task)
        if self.closed:
            return None
        self._hide_progress()
        self._action_of(task).setEnabled(True)
        if task.error:
            self.error(task.error)
            return None
        if (
            task.isCanceled() or task.result is None
        ):  # even if it finished just before the cancel: the user said no
            self.dock.show_status(cancelled)
            return None
        return task.result

    def _action_of(self, task):
        return self.dock.everything_action if isinstance(task, EverythingTask) else self.dock.classify_action

    def cancel_tasks(self) -> None:
        for task in list(self.tasks):
            task.cancel()

    # -- helpers ------------------------------------------------------------------------------------------
    def _call(self, method: str, **params):
        """An engine call from the UI thread; its error reaches the user and the result is ``False``."""
        try:
            return self.engine.call(method, params)
        except MissingPackages as exc:
            self.error(missing_message(exc.missing, exc.python))
        except SamCoreError as exc:
            self.error(str(exc))
        return False

    def _hide_progress(self) -> None:
        """Hide the progress bar and Cancel unless another long task (not a model load) still runs."""
        if all(isinstance(t, LoadModelTask) for t in self.tasks):
            self.dock.show_progress(None)

    def _check_ready(self) -> bool:
        if self.model is None:
            self.error(self.tr("Choose a SAM checkpoint first (Model → Checkpoint)."))
        elif self.bands is None:
            self.error(self.tr("Choose a raster layer first."))
        return self.state is not None

    def _outside(self, message: str | None) -> bool:
        """Say why a prompt missed the raster (``ui/prompt_place.py``); True if it did."""
        if message:
            self.error(message)
        return bool(message)

    def _canvas_qgs_crs(self) -> QgsCoordinateReferenceSystem:
        return self.canvas.mapSettings().destinationCrs()

    def _key(self, tile: dict) -> tuple:
        return (self.layer.source(), self.bands, tile["col"], tile["row"])

    def _canvas_crs(self) -> str | None:
        crs = self.canvas.mapSettings().destinationCrs()
        return crs.toWkt(QgsCoordinateReferenceSystem.WKT2_2018) if crs.isValid() else None

    def _canvas_crs_changed(self) -> None:
        """Prompts arrive in the canvas CRS: a new one clears them (the engine drops them too)."""
        if self.state is not None:
            self.pending.clear()
            self._apply(lambda: self.engine.call("set_prompt_crs", {"crs": self._canvas_crs()}))

    def _output_layer(self, product: str, crs=None):
        """The layer to write ``product``'s objects to (created or added to the project if needed; each
        product its own layer with its own fields, ``PRODUCTS``); a new layer or GeoPackage gets ``crs``, by
        default the raster layer's. An existing polygon layer takes the fields it has."""
        crs = crs if crs is not None else self.layer.crs()
        mode = self.dock.output_mode.currentIndex()
        if mode == OUTPUT_LAYER:
            layer = self.dock.output_layer_combo.currentLayer()
            if layer is None:
                raise SamCoreError(self.tr("Choose the polygon layer to write to."))
            return layer
        if mode == OUTPUT_GPKG:
            path = self.dock.output_file_widget.filePath()
            if not path:
                raise SamCoreError(self.tr("Choose the GeoPackage file to write to."))
            table, fields = PRODUCTS[product]
            return self._in_project(open_or_create_geopackage(path, crs, table, fields), match_source=True)
        attribute = "output_layer" if product == PROMPTS else "everything_layer"
        layer = getattr(self, attribute)
        # a layer the user removed from the project is deleted with it (its Python wrapper stays behind)
        if layer is None or sip.isdeleted(layer) or QgsProject.instance().mapLayer(layer.id()) is None:
            name = self.tr("TerraSAM objects") if product == PROMPTS else self.tr("TerraSAM everything")
            layer = self._in_project(new_memory_layer(name, crs, PRODUCTS[product][1]))
            setattr(self, attribute, layer)
        return layer

    @staticmethod
    def _in_project(layer, match_source: bool = False):
        project = QgsProject.instance()
        if match_source:
            for existing in project.mapLayers().values():
                if existing.source() == layer.source():
                    return existing
        project.addMapLayer(layer)
        return layer

    def _draw(self) -> None:
        """Preview polygon (raster CRS) and prompt markers (canvas CRS)."""
        self.preview_band.reset(QgsWkbTypes.PolygonGeometry)
        self.fg_band.reset(QgsWkbTypes.PointGeometry)
        self.bg_band.reset(QgsWkbTypes.PointGeometry)
        state = self.state
        if state is None:
            return
        preview = state["preview"]
        if preview:
            self.preview_band.setToGeometry(to_qgs_geometry(preview["wkb"]), self.layer.crs())
            # no area here: geodesic measures are computed at Accept, which keeps each click fast
            self.dock.show_status(
                self.tr("Preview (score {score}): Accept to keep it").format(
                    score=format_score(preview["score"])
                )
            )
        for x, y, label in state["points"]:
            band = self.fg_band if label == FOREGROUND else self.bg_band
            band.addPoint(QgsPointXY(x, y))
        if state["box"] is not None:
            xmin, ymin, xmax, ymax = state["box"]
            self.preview_band.addGeometry(
                QgsGeometry.fromWkt(
                    f"POLYGON(({xmin} {ymin},{xmax} {ymin},{xmax} {ymax},{xmin} {ymax},{xmin} {ymin}))"
                ),
                self.canvas.mapSettings().destinationCrs(),
            )

    def _screen_step(self) -> int:
        """Preview cell size in raster pixels: as many as fit in the band's line width on screen, since finer
        detail cannot be seen under the outline. Zoomed in to full resolution the preview is exact; Accept
        always writes the exact geometry."""
        to_canvas = QgsCoordinateTransform(
            self.layer.crs(), self.canvas.mapSettings().destinationCrs(), QgsProject.instance()
        )
        try:
            width = to_canvas.transformBoundingBox(self.layer.extent()).width()
        except QgsCsException:
            return 1
        screen_pixels = width / max(self.canvas.mapUnitsPerPixel(), 1e-12)
        return max(1, int(PREVIEW_LINE_PX * self.layer.width() / max(screen_pixels, 1.0)))

    def _start_with_progress(self, task, status: str) -> None:
        """Start a long task with its status line, progress bar and Cancel showing."""
        self.dock.show_status(status)
        self.dock.show_progress(0)
        task.progressChanged.connect(self.dock.show_progress)
        task.status_text = status
        task.detailChanged.connect(self.dock.show_status)  # "… — tile 1 of 4, about 3 min left"
        self._start(task)

    def _canvas_extent(self) -> list[float]:
        extent = self.canvas.extent()
        return [extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()]

    def _start(self, task) -> None:
        self.tasks.append(task)
        QgsApplication.taskManager().addTask(task)

    def _forget(self, task) -> None:
        if task in self.tasks:
            self.tasks.remove(task)

    def error(self, text: str) -> None:
        self.dock.show_status(text)
        bar = self.iface.messageBar() if self.iface is not None else None
        if bar is not None:
            bar.pushMessage(self.tr("TerraSAM"), text, Qgis.Warning, MESSAGE_SECONDS)


def _band(canvas, kind, colour: QColor, fill_alpha: int) -> QgsRubberBand:
    band = QgsRubberBand(canvas, kind)
    band.setColor(colour)
    band.setWidth(PREVIEW_LINE_PX)
    if kind == QgsWkbTypes.PolygonGeometry:
        band.setFillColor(QColor(colour.red(), colour.green(), colour.blue(), fill_alpha))
    else:
        band.setIconSize(10)
        band.setIcon(QgsRubberBand.ICON_CIRCLE)
    return band


def _log_engine(line: str) -> None:
    """The engine's stderr (warnings, a traceback before a crash) in the TerraSAM log panel."""
    QgsMessageLog.logMessage(line, "TerraSAM", Qgis.Info)
