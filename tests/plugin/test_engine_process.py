"""The core runs in an engine process of its own, never inside QGIS (see ``sam_core/service/engine.py`` for why),
and the dock survives that process dying."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from cli_helpers import fresh_process_report
from qgis.core import QgsTask
from ui_helpers import (
    Messages,
    add_raster,
    engine_held_at,
    load_model,
    raster_centre,
    release,
    wait_for_tasks,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]

# A fresh process: this test process imported all of them long ago.
CODE = """
import json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
root, raster, checkpoint, heavy = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
sys.path[:0] = [root, root + "/tools", root + "/tests"]
from plugin_package import load_plugin_package
from pytest_qgis.mock_qgis_classes import MockMessageBar
from pytest_qgis.qgis_interface import QgisInterface
from qgis.core import QgsApplication, QgsProject, QgsRasterLayer
from qgis.gui import QgsMapCanvas
from qgis.PyQt.QtWidgets import QMainWindow
from ui_helpers import load_model, raster_centre, release, wait_for_tasks
app = QgsApplication([], False)
app.initQgis()
window = QMainWindow()
canvas = QgsMapCanvas(window)
iface = QgisInterface(canvas, MockMessageBar(), window)
plugin = load_plugin_package().classFactory(iface)
plugin.initGui()
plugin.action.trigger()
layer = QgsRasterLayer(raster, "rgb")
QgsProject.instance().addMapLayer(layer)
canvas.setDestinationCrs(layer.crs())
canvas.setExtent(layer.extent())
plugin.dock.layer_combo.setLayer(layer)
load_model(plugin, checkpoint)
plugin.dock.point_action.trigger()
release(plugin.controller.point_tool, canvas, raster_centre(layer))
wait_for_tasks(plugin.controller)
plugin.dock.accept_action.trigger()
report = {
    "features": plugin.controller.output_layer.featureCount(),
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in heavy),
}
plugin.unload()
print(json.dumps(report))
sys.stdout.flush()
os._exit(0)
"""


def test_a_whole_prompt_session_loads_none_of_the_clashing_libraries_into_qgis(rgb_tif, tiny_checkpoint):
    report = fresh_process_report(CODE, ROOT, rgb_tif, tiny_checkpoint)
    assert report == {"features": 1, "loaded": []}


def test_the_engine_dying_mid_encoding_is_one_message_and_the_dock_goes_on(
    opened, qgis_iface, rgb_tif, tiny_checkpoint
):
    canvas = qgis_iface.mapCanvas()
    layer = add_raster(rgb_tif, canvas)
    opened.dock.layer_combo.setLayer(layer)
    load_model(opened, tiny_checkpoint)
    controller, messages = opened.controller, Messages(qgis_iface)
    first_pid = controller.engine.pid
    opened.dock.point_action.trigger()
    with engine_held_at(controller, "encode"):  # killed with the encoding request in its pipe
        release(controller.point_tool, canvas, raster_centre(layer))
        task = controller.tasks[0]
        wait_until(lambda: task.status() == QgsTask.Running, timeout=30)
        os.kill(first_pid, signal.SIGKILL)
        wait_for_tasks(controller)

    assert task.result is None and "stopped unexpectedly" in task.error
    assert len(messages.new()) == 1 and "stopped unexpectedly" in messages.new()[0]
    assert controller.ready == set() and controller.output_layer is None

    # the next click starts a new engine with the same model and raster, and segments as before
    release(controller.point_tool, canvas, raster_centre(layer))
    wait_for_tasks(controller)
    assert controller.engine.pid != first_pid and controller.engine.starts == 2
    assert controller.state["preview"], opened.dock.status_label.text()
    opened.dock.accept_action.trigger()
    assert controller.output_layer.featureCount() == 1
