"""Long work off the UI thread: loading a checkpoint, encoding tiles, segmenting everything in view, land
cover and class maps, the class of accepted objects.

Each task's ``run()`` (a worker thread) makes one call to the engine process (``sam_core.service.client``) and
waits for it, passing progress on and the task's cancel flag in; it touches no layer, project or widget.
Results and errors go back through ``finished()``, on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsTask
from qgis.PyQt.QtCore import QCoreApplication, pyqtSignal

from ..sam_core.errors import Cancelled, SamCoreError
from ..sam_core.progress import format_duration


class EngineTask(QgsTask):
    """A cancellable task around one engine call. ``result`` is the call's result (None after a cancel or
    an error); a ``SamCoreError`` becomes ``error`` (shown by the controller); ``done(task)`` runs on the
    UI thread either way."""

    #: "<status> — tile 1 of 4, about 3 min left", emitted from ``run()`` (connect it to widgets: queued)
    detailChanged = pyqtSignal(str)

    def __init__(self, description: str, engine, method: str, params: dict, done: Callable) -> None:
        super().__init__(description, QgsTask.CanCancel)
        self.engine, self.method, self.params = engine, method, params
        self._done = done
        self.result = None
        self.error: str | None = None
        self.status_text = description  # what the dock's status line says while it runs
        self.detail = ""

    def run(self) -> bool:
        try:
            self.result = self.engine.call(
                self.method, self.params, progress=self._progress, is_cancelled=self.isCanceled
            )
        except Cancelled:
            return False
        except SamCoreError as exc:
            self.error = str(exc)
            return False
        return True

    def _progress(self, fraction) -> None:
        self.setProgress(100.0 * fraction)
        detail = describe(fraction)
        if detail and detail != self.detail:
            self.detail = detail
            self.detailChanged.emit(f"{self.status_text} — {detail}")

    def finished(self, ok: bool) -> None:
        self._done(self)


def describe(progress) -> str:
    """A ``sam_core.progress.Progress`` in the dock's words: "tile 1 of 4, about 3 min left"."""
    tiles, left = getattr(progress, "tiles", None), getattr(progress, "seconds_left", None)
    if not tiles:
        return ""
    if left is None or float(progress) >= 1.0:
        text = QCoreApplication.translate("EngineTask", "tile {tile} of {tiles}")
    else:
        text = QCoreApplication.translate("EngineTask", "tile {tile} of {tiles}, about {time} left")
    return text.format(tile=progress.tile, tiles=tiles, time=format_duration(left or 0.0))


class LoadModelTask(EngineTask):
    def __init__(
        self, engine, checkpoint: str, device: str, done: Callable, precision: str = "auto", threads=None
    ) -> None:
        params = {"checkpoint": checkpoint, "device": device, "precision": precision, "threads": threads}
        super().__init__("TerraSAM: load model", engine, "load_model", params, done)


class EncodeTilesTask(EngineTask):
    """Encode ``tiles`` (grid positions ``(col, row)``) of a raster into the engine's cache."""

    def __init__(self, engine, raster: str, bands, tiles, done: Callable) -> None:
        self.raster, self.bands, self.tiles = raster, tuple(bands), [tuple(t) for t in tiles]
        params = {"path": raster, "bands": list(bands), "tiles": [list(t) for t in self.tiles]}
        super().__init__(f"TerraSAM: encode {len(self.tiles)} tile(s)", engine, "encode", params, done)


class ViewTask(EngineTask):
    """A job over the canvas extent of one raster layer; ``layer_name`` and ``layer_crs`` describe that
    layer, so the result is written for it even if the dock has moved on to another."""

    def __init__(self, description, engine, method, params, done, layer_name: str = "", layer_crs=None):
        super().__init__(description, engine, method, params, done)
        self.layer_name, self.layer_crs = layer_name, layer_crs


class EverythingTask(ViewTask):
    """Segment everything over ``extent`` (in the CRS given as WKT) of a raster. ``result`` holds the
    objects once the whole extent is done; a cancel or an error leaves it None (the core returns nothing
    partial)."""

    def __init__(
        self, engine, raster: str, bands, extent, extent_crs: str | None, options: dict, done, **layer
    ):
        params = {
            "path": raster,
            "bands": list(bands),
            "extent": list(extent),
            "crs": extent_crs,
            "options": options,
        }
        super().__init__("TerraSAM: segment everything", engine, "everything", params, done, **layer)


class ClassifyTask(ViewTask):
    """Land cover over ``extent`` with the head file ``head``: cells, or one feature per class when
    ``dissolve``, and the area per class; None after a cancel or an error."""

    def __init__(
        self, engine, raster: str, head: str, extent, extent_crs: str | None, dissolve: bool, done, **layer
    ):
        params = {
            "path": raster,
            "head": head,
            "extent": list(extent),
            "crs": extent_crs,
            "dissolve": dissolve,
        }
        super().__init__("TerraSAM: classify land cover", engine, "classify", params, done, **layer)


class MapTask(ViewTask):
    """A class map over ``extent`` with the segmentation head file ``head``: the class GeoTIFF ``out`` (and
    its ``.qml`` style) and the area per class; None after a cancel or an error, and no file (the core writes
    both only when the whole map is done)."""

    def __init__(
        self, engine, raster: str, head: str, out: str, extent, extent_crs: str | None, done, **layer
    ):
        params = {"path": raster, "head": head, "out": out, "extent": list(extent), "crs": extent_crs}
        super().__init__("TerraSAM: map classes", engine, "map_classes", params, done, **layer)
        self.out = out


class LabelTask(EngineTask):
    """The class of accepted objects (``records``: the engine's accept records, WKB geometries in the CRS
    ``layer_crs`` of the raster ``raster``) from the engine's segmentation head: ``result`` holds one
    ``LABEL_FIELDS`` dict (or None) per record; None after a cancel or an error."""

    def __init__(self, engine, raster: str, records: list[dict], done: Callable, layer_crs=None) -> None:
        params = {"path": raster, "geometries": [record["geometry"] for record in records]}
        super().__init__("TerraSAM: label objects", engine, "label", params, done)
        self.records, self.layer_crs = records, layer_crs

    def _progress(self, fraction) -> None:
        self.setProgress(100.0 * fraction)  # counted in objects, not tiles: no "tile 1 of 1" detail
