"""Jobs over the canvas extent: "Segment everything in view", "Classify view" and "Map view".

Each runs in a task (``tasks.py``), one of a kind at a time with its action disabled meanwhile, and writes
all its results at once when it finishes, or nothing if it is cancelled.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from qgis.core import QgsApplication, QgsProject, QgsRasterLayer
from qgis.PyQt.QtCore import QCoreApplication

from ..sam_core.units import format_area
from .controller_base import reports_errors
from .output_layers import add_records, land_cover_layer, next_id
from .output_target import EVERYTHING
from .tasks import ClassifyTask, EverythingTask, MapTask


class ViewJobs:
    """Segment everything and land cover over the view (a mixin of ``SegmentationController``).
    ``everything_options``: segment everything's options (names of
    ``sam_core.prompting.everything.EverythingOptions``) beyond the dock's "points per side"."""

    everything_options: dict

    @staticmethod
    def tr(text: str) -> str:
        """Translate ``text`` in the context pylupdate5 files ``ViewJobs.tr()`` calls under."""
        return QCoreApplication.translate("ViewJobs", text)

    # -- segment everything -------------------------------------------------------------------------------
    def segment_everything(self) -> None:
        """Segment every object in the canvas extent in the background; ``_everything_done`` writes them."""
        self._start_view_task(
            EverythingTask,
            ViewJobs.tr("Segment everything is already running: wait for it or cancel it."),
            ViewJobs.tr("Segmenting everything in view…"),
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
        if (
            self._view_task_result(task, ViewJobs.tr("Segment everything cancelled: nothing was written"))
            is None
        ):
            return
        if not task.result["objects"]:
            self.dock.show_status(ViewJobs.tr("No objects found in view: nothing was written"))
            return
        self._write_everything(task)

    @reports_errors
    def _write_everything(self, task: EverythingTask) -> None:
        target = self._output_layer(EVERYTHING, task.layer_crs)
        first = next_id(target)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        extra = {"model": task.result["model"], "raster": task.layer_name, "created": created}
        records = [{**record, **extra, "id": first + i} for i, record in enumerate(task.result["objects"])]
        add_records(target, records, task.layer_crs)
        written = (
            ViewJobs.tr("1 object written to {layer}")
            if len(records) == 1
            else ViewJobs.tr("{n} objects written to {layer}")
        )
        self.dock.show_status(written.format(n=len(records), layer=target.name()))

    # -- land cover ---------------------------------------------------------------------------------------
    def classify_view(self) -> None:
        """Classify the canvas extent with the chosen head in the background; ``_classified`` adds the layer."""

        def make(**layer) -> ClassifyTask | None:
            head = self.dock.head_widget.filePath()
            if not head:
                self.error(ViewJobs.tr("Choose a classifier head file first (Land cover → Head)."))
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
            ViewJobs.tr("A classification is already running: wait for it or cancel it."),
            ViewJobs.tr("Classifying the view…"),
            make,
        )

    def _classified(self, task: ClassifyTask) -> None:
        if self._view_task_result(task, ViewJobs.tr("Classification cancelled: no layer was added")) is None:
            return
        if not task.result["features"]:
            self.dock.show_status(
                ViewJobs.tr("Nothing to classify in view (no valid pixels): no layer was added")
            )
            return
        name = ViewJobs.tr("TerraSAM land cover ({raster})").format(raster=task.layer_name)
        QgsProject.instance().addMapLayer(land_cover_layer(name, task.layer_crs, task.result))
        self.dock.show_areas(task.result["classes"])
        summary = task.result["summary"]
        self.dock.show_status(
            ViewJobs.tr("{n} cells classified over {area}").format(
                n=summary["cells"], area=format_area(summary["area_m2"])
            )
        )

    # -- class maps ---------------------------------------------------------------------------------------
    def map_view(self) -> None:
        """Map the segmentation head's classes over the canvas extent in the background into a class
        GeoTIFF (``map_output_path``); ``_mapped`` adds it as a layer, styled by the ``.qml`` beside it."""

        def make(**layer) -> MapTask | None:
            head = self.dock.segmentation_head_widget.filePath()
            if not head:
                self.error(
                    ViewJobs.tr("Choose a segmentation head file first (Land cover → Segmentation head).")
                )
                return None
            raster = self.layer.source()
            extent, crs = self._canvas_extent(), self._canvas_crs()
            out = map_output_path(raster)
            return MapTask(self.engine, raster, head, out, extent, crs, self._mapped, **layer)

        self._start_view_task(
            MapTask,
            ViewJobs.tr("A class map is already running: wait for it or cancel it."),
            ViewJobs.tr("Mapping the classes in view…"),
            make,
        )

    def _mapped(self, task: MapTask) -> None:
        if self._view_task_result(task, ViewJobs.tr("Class map cancelled: no layer was added")) is None:
            return
        out = task.result["out"]
        name = ViewJobs.tr("TerraSAM classes ({raster})").format(raster=task.layer_name)
        layer = QgsRasterLayer(out, name)  # opens with the .qml beside it: the classes' colours and names
        if not layer.isValid():
            self.error(ViewJobs.tr("QGIS cannot open the class map {path}").format(path=out))
            return
        QgsProject.instance().addMapLayer(layer)
        self.dock.show_areas(task.result["classes"])
        self.dock.show_status(
            ViewJobs.tr("Classes mapped over {area}: {file}").format(
                area=format_area(task.result["summary"]["area_m2"]), file=os.path.basename(out)
            )
        )

    # -- the task plumbing they share ---------------------------------------------------------------------
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
        if isinstance(task, EverythingTask):
            return self.dock.everything_action
        return self.dock.map_action if isinstance(task, MapTask) else self.dock.classify_action


def map_output_path(raster: str) -> str:
    """Where Map view writes a class map: beside the raster as ``<raster>_classes.tif`` (then ``_2``, ``_3``,
    …: an earlier map, perhaps still open in the project, is never replaced), or in ``terrasam/maps`` in the
    QGIS profile when the raster's folder cannot be written to."""
    folder = os.path.dirname(os.path.abspath(raster))
    if not os.access(folder, os.W_OK):
        folder = os.path.join(QgsApplication.qgisSettingsDirPath(), "terrasam", "maps")
        os.makedirs(folder, exist_ok=True)
    stem, number = f"{Path(raster).stem}_classes", 1
    while True:
        base = os.path.join(folder, stem if number == 1 else f"{stem}_{number}")
        if not (os.path.exists(base + ".tif") or os.path.exists(base + ".qml")):
            return base + ".tif"
        number += 1
