"""Canvas tools that turn mouse events into prompts (map coordinates in the canvas CRS).

They only report what the user did; the controller decides what it means. ``canvasReleaseEvent`` with
``e.mapPoint()`` is used rather than ``QgsMapToolEmitPoint``, whose signal gives (0, 0) for synthetic events.
"""

from __future__ import annotations

from qgis.core import QgsGeometry, QgsPointXY, QgsRectangle, QgsWkbTypes
from qgis.gui import QgsMapTool, QgsRubberBand
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor

FOREGROUND, BACKGROUND = 1, 0


class PointPromptTool(QgsMapTool):
    """Left click: foreground point; right click: background point."""

    pointClicked = pyqtSignal(QgsPointXY, int)

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self.setCursor(Qt.CrossCursor)

    def canvasReleaseEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            self.pointClicked.emit(QgsPointXY(event.mapPoint()), FOREGROUND)
        elif event.button() == Qt.RightButton:
            self.pointClicked.emit(QgsPointXY(event.mapPoint()), BACKGROUND)


class BoxPromptTool(QgsMapTool):
    """Drag a rectangle with the left button; a dashed band follows the mouse."""

    boxDrawn = pyqtSignal(QgsRectangle)

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self.setCursor(Qt.CrossCursor)
        self._start: QgsPointXY | None = None
        self._band = QgsRubberBand(canvas, QgsWkbTypes.PolygonGeometry)
        self._band.setColor(QColor(255, 200, 0, 200))
        self._band.setFillColor(QColor(255, 200, 0, 30))
        self._band.setLineStyle(Qt.DashLine)

    def canvasPressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            self._start = QgsPointXY(event.mapPoint())

    def canvasMoveEvent(self, event) -> None:
        if self._start is not None:
            self._band.setToGeometry(
                QgsGeometry.fromRect(QgsRectangle(self._start, QgsPointXY(event.mapPoint())))
            )

    def canvasReleaseEvent(self, event) -> None:
        if event.button() != Qt.LeftButton or self._start is None:
            return
        rect = QgsRectangle(self._start, QgsPointXY(event.mapPoint()))
        self._start = None
        self._band.reset(QgsWkbTypes.PolygonGeometry)
        if rect.width() > 0 and rect.height() > 0:
            self.boxDrawn.emit(rect)

    def deactivate(self) -> None:
        self._start = None
        self._band.reset(QgsWkbTypes.PolygonGeometry)
        super().deactivate()

    def remove_band(self) -> None:
        self.canvas().scene().removeItem(self._band)
