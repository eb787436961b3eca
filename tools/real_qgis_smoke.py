"""Drive the dock inside a real QGIS window (not pytest-qgis's stand-in), for the crashes only the real
``qgis`` binary shows. Run it (from the repository root):

    python3 -m venv ... (make env first), then
    TERRASAM_SMOKE_CHECKPOINT=/path/to/sam.pth xvfb-run -a -s "-screen 0 1400x900x24" \\
        make qgis QGIS_PROFILES=/tmp/terrasam-smoke QGIS_ARGS="--nologo --code tools/real_qgis_smoke.py"

It opens RGB.byte.tif, the dock, loads the checkpoint, clicks the centre, waits for the encoding, accepts,
saves a screenshot and writes a JSON report (uncaught Python errors included) to build/real_qgis/, then quits.

Known (2026-11-21): QGIS aborts with "free(): invalid size" at the first preview. Inside the qgis binary,
QGIS's own GEOS/GDAL are in the global symbol scope and interpose the copies bundled in the shapely and
rasterio wheels (pytest-qgis cannot show this: Python loads QGIS's libraries RTLD_LOCAL).
"""

import json
import os
import sys
import time
import traceback
from pathlib import Path

from qgis.core import QgsApplication, QgsProject, QgsRasterLayer
from qgis.gui import QgsMapMouseEvent
from qgis.PyQt.QtCore import QEvent, QPoint, Qt, QTimer
from qgis.utils import iface, plugins

ROOT = Path(os.environ.get("TERRASAM_ROOT", Path.cwd()))
OUT = ROOT / "build" / "real_qgis"
OUT.mkdir(parents=True, exist_ok=True)
report: dict = {}


def _record_uncaught(kind, value, tb) -> None:  # instead of QGIS's modal error dialog
    report.setdefault("uncaught", []).append("".join(traceback.format_exception(kind, value, tb)))
    (OUT / "report.json").write_text(json.dumps(report, indent=1, default=str))


sys.excepthook = _record_uncaught


def wait(condition, timeout: float = 120.0) -> None:
    start = time.monotonic()
    while not condition():
        QgsApplication.processEvents()
        time.sleep(0.02)
        if time.monotonic() - start > timeout:
            raise TimeoutError("QGIS did not finish in time")


def run() -> None:
    try:
        plugin = plugins["terrasam"]
        layer = QgsRasterLayer(str(ROOT.parent / "shared" / "data" / "RGB.byte.tif"), "RGB.byte")
        QgsProject.instance().addMapLayer(layer)
        iface.setActiveLayer(layer)
        iface.mapCanvas().setExtent(layer.extent())
        plugin.action.trigger()
        dock, controller = plugin.dock, plugin.controller
        report["dock_visible"] = dock.isVisible()
        dock.checkpoint_widget.setFilePath(os.environ["TERRASAM_SMOKE_CHECKPOINT"])
        wait(lambda: controller.model is not None)
        report["model"] = dock.model_label.text()
        dock.point_action.trigger()
        event = QgsMapMouseEvent(
            iface.mapCanvas(),
            QEvent.MouseButtonRelease,
            QPoint(),
            Qt.LeftButton,
            Qt.LeftButton,
            Qt.NoModifier,
        )
        event.setMapPoint(layer.extent().center())
        controller.point_tool.canvasReleaseEvent(event)
        wait(lambda: not controller.tasks and controller.session.preview is not None)
        dock.accept_action.trigger()
        report["features"] = controller.output_layer.featureCount()
        iface.mainWindow().grab().save(str(OUT / "qgis.png"))
        plugin.unload()
        report["ok"] = True
    except Exception:  # noqa: BLE001 - everything goes into the report
        report["error"] = traceback.format_exc()
    (OUT / "report.json").write_text(json.dumps(report, indent=1, default=str))
    QgsApplication.exit(0)


QTimer.singleShot(3000, run)
