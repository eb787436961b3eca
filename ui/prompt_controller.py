"""The object being drawn: clicks and boxes to the engine, one request each, its answer drawn on the canvas.

Clicks and boxes arrive from the map tools in the canvas CRS and go, untouched, to the engine's prompt
session (which transforms, validates, chooses the tile and measures). The engine answers each with the new
prompt state (points, box, preview as WKB), or with the tile that must be encoded first: the prompt then
waits in ``pending`` while an ``EncodeTilesTask`` runs, and is sent again when the tile is ready, so the UI
never blocks on the encoder. Which tiles are encoded is the engine's to say; the dock keeps no copy.
"""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateTransform,
    QgsCsException,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsWkbTypes,
)
from qgis.gui import QgsRubberBand
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QColor

from ..sam_core.units import format_area, format_score
from .controller_base import reports_errors
from .map_tools import FOREGROUND, BoxPromptTool, PointPromptTool
from .output_layers import add_record, next_id, to_qgs_geometry
from .output_target import PROMPTS
from .prompt_place import box_outside, point_outside
from .tasks import EncodeTilesTask, LabelTask

PREVIEW_LINE_PX = 2  # width of the preview outline on screen


class PromptController:
    """Prompts, their encoding and their drawing (a mixin of ``SegmentationController``). ``state`` is the
    engine's last answer (None: no raster or no model); ``pending`` the prompts waiting for an encode."""

    state: dict | None
    pending: list[tuple[str, dict]]
    segmentation_head: dict | None  # the engine's loaded head: accepted objects get its classes

    @staticmethod
    def tr(text: str) -> str:
        """Translate ``text`` in the context pylupdate5 files ``PromptController.tr()`` calls under."""
        return QCoreApplication.translate("PromptController", text)

    def _make_prompt_tools(self) -> None:
        self.state = None
        self.pending = []
        self.point_tool = PointPromptTool(self.canvas)
        self.box_tool = BoxPromptTool(self.canvas)
        self.preview_band = _band(self.canvas, QgsWkbTypes.PolygonGeometry, QColor(0, 160, 255, 230), 60)
        self.fg_band = _band(self.canvas, QgsWkbTypes.PointGeometry, QColor(0, 200, 0), 0)
        self.bg_band = _band(self.canvas, QgsWkbTypes.PointGeometry, QColor(230, 0, 0), 0)

    def _remove_prompt_tools(self) -> None:
        for tool in (self.point_tool, self.box_tool):
            if self.canvas.mapTool() is tool:
                self.canvas.unsetMapTool(tool)
        self.box_tool.remove_band()
        for band in (self.preview_band, self.fg_band, self.bg_band):
            self.canvas.scene().removeItem(band)

    # -- prompts ------------------------------------------------------------------------------------------
    def add_point(self, point: QgsPointXY, label: int) -> None:
        if self._check_ready() and not self._outside(
            point_outside(point, self._canvas_qgs_crs(), self.layer)
        ):
            self._prompt("add_point", {"x": point.x(), "y": point.y(), "label": label})

    def add_box(self, rect) -> None:
        if self._check_ready() and not self._outside(box_outside(rect, self._canvas_qgs_crs(), self.layer)):
            box = [rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()]
            self._prompt("set_box", {"box": box})

    @reports_errors
    def _prompt(self, method: str, params: dict) -> None:
        """One engine request per prompt: the answer is the new state, or the tile to encode first (then the
        prompt waits for one encode task and is sent again)."""
        answer = self.engine.call(method, {**params, "step": self._screen_step()})
        if "encode" in answer:
            self.pending.append((method, params))
            if not any(isinstance(t, EncodeTilesTask) for t in self.tasks):
                self._encode([answer["encode"]])
            return
        self.state = answer
        self._draw()

    @reports_errors
    def _apply(self, method: str, params: dict | None = None) -> None:
        """An engine call that changes the prompts (undo, clear, a new prompt CRS); its answer is drawn."""
        self.state = self.engine.call(method, params or {})
        self._draw()

    def undo(self) -> None:
        if self.state is not None:
            self._apply("undo", {"step": self._screen_step()})

    def clear(self) -> None:
        self.pending.clear()
        if self.state is not None:
            self._apply("clear")

    def accept(self) -> None:
        if not self._check_ready():
            return
        if not self.state["preview"]:
            # checked before the output layer or file is created: a stray Accept leaves no empty layer
            self.error(PromptController.tr("Nothing to accept: click on an object first."))
            return
        self._write_accepted()

    @reports_errors
    def _write_accepted(self) -> None:
        """The current object to the output layer; with a segmentation head loaded, its class first, in a
        task (the head's tiles may need encoding), and the object is written when it is labelled."""
        labelled = self.segmentation_head is not None
        target = self._output_layer(PROMPTS, labelled=labelled)  # the class fields appear with a head
        record = self.engine.call("accept", {"feature_id": next_id(target), "raster_name": self.layer.name()})
        self.state = {"points": [], "box": None, "preview": None}
        self._draw()
        if labelled:
            task = LabelTask(self.engine, self.layer.source(), [record], self._labelled, self.layer.crs())
            self._start_with_progress(
                task, PromptController.tr("Object {id}: finding its class…").format(id=record["id"])
            )
            return
        add_record(target, record, self.layer.crs())
        self._written(PromptController.tr("Object {id} written to {layer}: {area}"), record, target)

    def _labelled(self, task: LabelTask) -> None:
        """The object with its class; if the labelling failed or was cancelled, without one: never lost."""
        self._forget(task)
        if self.closed:
            return
        self._hide_progress()
        if task.error:
            self.error(task.error)
        self._write_labelled(task.records[0], (task.result or [None])[0], task.layer_crs)

    @reports_errors
    def _write_labelled(self, record: dict, label: dict | None, crs) -> None:
        target = self._output_layer(PROMPTS, crs, labelled=True)
        # the id is taken now: an object accepted later may have been written first
        record = {**record, **(label or {}), "id": next_id(target)}
        add_record(target, record, crs)
        if label is None:
            written = PromptController.tr("Object {id} written to {layer} without a class: {area}")
        else:
            written = PromptController.tr("Object {id} ({label}) written to {layer}: {area}")
        self._written(written, record, target)

    def _written(self, text: str, record: dict, target) -> None:
        self.dock.show_status(
            text.format(
                id=record["id"],
                label=record.get("class"),
                layer=target.name(),
                area=format_area(record["area_m2"]),
            )
        )

    def _canvas_crs_changed(self) -> None:
        """Prompts arrive in the canvas CRS: a new one clears them (the engine drops them too)."""
        if self.state is not None:
            self.pending.clear()
            self._apply("set_prompt_crs", {"crs": self._canvas_crs()})

    def _outside(self, message: str | None) -> bool:
        """Say why a prompt missed the raster (``ui/prompt_place.py``); True if it did."""
        if message:
            self.error(message)
        return bool(message)

    # -- encoding -----------------------------------------------------------------------------------------
    @property
    def ready(self) -> set:
        """``(raster path, bands, col, row)`` of the tiles the engine holds encoded (asked, not remembered)."""
        if self.state is None:
            return set()
        return {self._key(t) for t in self.engine.call("encoded_tiles")}

    def _key(self, tile: dict) -> tuple:
        return (self.layer.source(), self.bands, tile["col"], tile["row"])

    def encode_view(self) -> None:
        if self._check_ready():
            self._encode_missing()

    @reports_errors
    def _encode_missing(self) -> None:
        """Encode the tiles in view that the engine says are not encoded yet."""
        todo = self.engine.call(
            "tiles_for_extent", {"extent": self._canvas_extent(), "crs": self._canvas_crs(), "missing": True}
        )
        if not todo:
            self.dock.show_status(PromptController.tr("The view is already encoded"))
            return
        self._encode(todo)

    def _encode(self, tiles: list[dict]) -> None:
        positions = [(t["col"], t["row"]) for t in tiles]
        task = EncodeTilesTask(self.engine, self.layer.source(), self.bands, positions, self._encoded)
        self._start_with_progress(task, PromptController.tr("Encoding {n} tile(s)…").format(n=len(tiles)))

    def _encoded(self, task: EncodeTilesTask) -> None:
        self._forget(task)
        if self.closed:
            return
        self._hide_progress()
        pending, self.pending = self.pending, []
        if task.error:
            self.error(task.error)
        elif task.result is None:
            self.dock.show_status(PromptController.tr("Encoding cancelled: nothing was changed"))
        else:
            self.dock.show_status(PromptController.tr("Encoded: click to segment"))
            for method, params in pending:  # sent again: a prompt may need yet another tile
                self._prompt(method, params)

    # -- drawing ------------------------------------------------------------------------------------------
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
                PromptController.tr("Preview (score {score}): Accept to keep it").format(
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
