"""What every part of the dock's controller shares: the one way errors reach the user, the running tasks
and their progress, and the canvas's extent and CRS in the form the engine takes them.

``SegmentationController`` (``controller.py``) sets the attributes named in ``ControllerBase``; the parts
(``prompt_controller.py``, ``view_jobs.py``, ``output_target.py``) use them through ``self``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from qgis.core import Qgis, QgsApplication, QgsCoordinateReferenceSystem
from qgis.PyQt.QtCore import QCoreApplication

from ..host.dependencies import missing_message
from ..sam_core.errors import SamCoreError
from ..sam_core.service.client import MissingPackages
from .tasks import LoadModelTask

MESSAGE_SECONDS = 8


def reports_errors(method: Callable) -> Callable:
    """The one way an engine or output error reaches the user: the method stops at its first
    ``SamCoreError``, which the status line and the message bar show; it then returns None."""

    @functools.wraps(method)
    def reporting(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except SamCoreError as exc:
            self.error(error_text(exc))
            return None

    return reporting


def error_text(exc: SamCoreError) -> str:
    """What the user reads of an error: a Python without the packages says how to install them."""
    if isinstance(exc, MissingPackages):
        return missing_message(exc.missing, exc.python)
    return str(exc)


class ControllerBase:
    """Errors, tasks and canvas facts for the parts of the controller (a mixin of ``SegmentationController``)."""

    iface: object
    dock: object
    canvas: object
    engine: object
    tasks: list
    model: dict | None
    bands: tuple[int, ...] | None
    state: dict | None

    @staticmethod
    def tr(text: str) -> str:
        """Translate ``text`` in the context pylupdate5 files ``self.tr()`` calls under: the class name."""
        return QCoreApplication.translate("ControllerBase", text)

    def error(self, text: str) -> None:
        self.dock.show_status(text)
        bar = self.iface.messageBar() if self.iface is not None else None
        if bar is not None:
            bar.pushMessage(ControllerBase.tr("TerraSAM"), text, Qgis.Warning, MESSAGE_SECONDS)

    def _check_ready(self) -> bool:
        if self.model is None:
            self.error(ControllerBase.tr("Choose a SAM checkpoint first (Model → Checkpoint)."))
        elif self.bands is None:
            self.error(ControllerBase.tr("Choose a raster layer first."))
        return self.state is not None

    # -- tasks --------------------------------------------------------------------------------------------
    def _start(self, task) -> None:
        self.tasks.append(task)
        QgsApplication.taskManager().addTask(task)

    def _forget(self, task) -> None:
        if task in self.tasks:
            self.tasks.remove(task)

    def _start_with_progress(self, task, status: str) -> None:
        """Start a long task with its status line, progress bar and Cancel showing."""
        self.dock.show_status(status)
        self.dock.show_progress(0)
        task.progressChanged.connect(self.dock.show_progress)
        task.status_text = status
        task.detailChanged.connect(self.dock.show_status)  # "… — tile 1 of 4, about 3 min left"
        self._start(task)

    def _hide_progress(self) -> None:
        """Hide the progress bar and Cancel unless another long task (not a model load) still runs."""
        if all(isinstance(t, LoadModelTask) for t in self.tasks):
            self.dock.show_progress(None)

    def cancel_tasks(self) -> None:
        for task in list(self.tasks):
            task.cancel()

    # -- the canvas, as the engine takes it ---------------------------------------------------------------
    def _canvas_qgs_crs(self) -> QgsCoordinateReferenceSystem:
        return self.canvas.mapSettings().destinationCrs()

    def _canvas_crs(self) -> str | None:
        crs = self.canvas.mapSettings().destinationCrs()
        return crs.toWkt(QgsCoordinateReferenceSystem.WKT2_2018) if crs.isValid() else None

    def _canvas_extent(self) -> list[float]:
        extent = self.canvas.extent()
        return [extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()]
