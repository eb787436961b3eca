"""ui_click_to_preview_ms_p50: from the Point tool's release event to the preview rubber band updated.

Runs the real dock and controller in an offscreen QGIS (started by this script, in its own process), with
pytest-qgis's stand-in iface, a random-weight vit_b, and a tile already encoded. The figure includes the
round trip to the engine process (one request per click on an encoded tile, answered with the preview).
Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

import numpy as np
from plugin_package import load_plugin_package
from pytest_qgis.mock_qgis_classes import MockMessageBar
from pytest_qgis.qgis_interface import QgisInterface
from qgis.core import QgsApplication, QgsPointXY, QgsProject, QgsRasterLayer
from qgis.gui import QgsMapCanvas, QgsMapMouseEvent
from qgis.PyQt.QtCore import QEvent, QPoint, Qt
from qgis.PyQt.QtWidgets import QMainWindow


def wait_until(condition, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        QgsApplication.processEvents()
        if time.monotonic() > deadline:
            raise TimeoutError("QGIS did not finish in time")
        time.sleep(0.005)


def click(tool, canvas, point: QgsPointXY) -> None:
    event = QgsMapMouseEvent(
        canvas, QEvent.MouseButtonRelease, QPoint(), Qt.LeftButton, Qt.LeftButton, Qt.NoModifier
    )
    event.setMapPoint(point)
    tool.canvasReleaseEvent(event)


def time_clicks(controller, canvas, points) -> dict:
    """Release event → rubber band updated, on the encoded tile (the first clicks warm up)."""
    times = []
    for i, point in enumerate(points):
        controller.clear()
        start = time.perf_counter()
        click(controller.point_tool, canvas, point)
        assert not controller.tasks, "the tile should already be encoded"
        assert controller.preview_band.numberOfVertices() > 0
        if i >= 2:
            times.append((time.perf_counter() - start) * 1000)
    step = controller._screen_step()
    return {
        "p50": round(float(np.percentile(times, 50)), 1),
        "p95": round(float(np.percentile(times, 95)), 1),
        "step": step,
    }


def main(raster: str, checkpoint: str, n: int = 30) -> dict:
    app = QgsApplication([], False)
    app.initQgis()
    window = QMainWindow()
    canvas = QgsMapCanvas(window)
    window.setCentralWidget(canvas)
    window.resize(800, 600)  # a typical canvas; it gets its real size only once shown, even offscreen
    window.show()
    QgsApplication.processEvents()
    iface = QgisInterface(canvas, MockMessageBar(), window)
    layer = QgsRasterLayer(raster, "bench")
    QgsProject.instance().addMapLayer(layer)
    canvas.setLayers([layer])
    canvas.setDestinationCrs(layer.crs())
    canvas.setExtent(layer.extent())  # the whole 1024 px tile in view: about 1.7 raster px per screen px
    plugin = load_plugin_package().classFactory(iface)
    plugin.initGui()
    plugin.action.trigger()
    controller = plugin.controller
    plugin.dock.layer_combo.setLayer(layer)
    plugin.dock.checkpoint_widget.setFilePath(checkpoint)
    wait_until(lambda: controller.model is not None)
    extent = layer.extent()
    rng = np.random.default_rng(0)
    corners = ([extent.xMinimum(), extent.yMinimum()], [extent.xMaximum(), extent.yMaximum()])
    points = [QgsPointXY(*xy) for xy in rng.uniform(*corners, size=(n + 3, 2))]
    plugin.dock.point_action.trigger()
    click(controller.point_tool, canvas, points[0])  # encodes the tile in a QgsTask
    wait_until(lambda: not controller.tasks and controller.state["preview"])
    overview = time_clicks(controller, canvas, points)
    canvas.zoomByFactor(0.25)  # zoomed in: about 2.5 screen px per raster px, the preview is exact
    QgsApplication.processEvents()
    zoomed = time_clicks(controller, canvas, points)
    plugin.unload()
    return {
        "ui_canvas_px": [canvas.width(), canvas.height()],
        **{f"ui_click_to_preview_ms_{k}": v for k, v in overview.items() if k != "step"},
        "ui_preview_step": overview["step"],  # raster px per preview cell (1 = exact); Accept is always exact
        **{f"ui_click_to_preview_zoomed_in_ms_{k}": v for k, v in zoomed.items() if k != "step"},
        "ui_preview_step_zoomed_in": zoomed["step"],
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
    sys.stdout.flush()
    os._exit(0)  # skip QGIS's exit-time teardown, which can crash without a full application
