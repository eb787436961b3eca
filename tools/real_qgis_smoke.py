"""Drive the dock inside a real QGIS window (not pytest-qgis's stand-in), for the crashes only the real
``qgis`` binary shows. Run it (from the repository root):

    python3 -m venv ... (make env first), then
    TERRASAM_SMOKE_CHECKPOINT=/path/to/sam.pth xvfb-run -a -s "-screen 0 1400x900x24" \\
        make qgis QGIS_PROFILES=/tmp/terrasam-smoke QGIS_ARGS="--nologo --code tools/real_qgis_smoke.py"

It opens RGB.byte.tif, the dock, loads the checkpoint, clicks the centre, waits for the encoding, accepts,
runs segment everything in view, classifies the view when TERRASAM_SMOKE_HEAD names a head file, saves a screenshot and writes a JSON report (uncaught Python errors and the
modules that must stay out of QGIS included) to build/real_qgis/, then quits.

Why it exists: inside the qgis binary, QGIS's own GEOS/GDAL/PROJ are in the global symbol scope and take
over the calls of the copies bundled in the shapely and rasterio wheels, and torch's LLVM clashes with Mesa's
(pytest-qgis cannot show this: Python loads QGIS's libraries RTLD_LOCAL). That crashed QGIS until the core
moved into its engine process (sam_core/service/engine.py); this run checks that it stays so.
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
OUT = Path(os.environ.get("TERRASAM_SMOKE_OUT", ROOT / "build" / "real_qgis"))
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


def startup_report() -> None:
    """What a user sees after a normal start, before touching anything: the Processing toolbox's TerraSAM
    algorithms (QGIS desktop called only initGui) and the Raster menu's TerraSAM entries."""
    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("terrasam")
    report["provider"] = provider.name() if provider is not None else None
    report["algorithms"] = sorted(a.id() for a in registry.algorithms() if a.provider() is provider)
    menu = iface.rasterMenu()
    report["raster_menu"] = [
        {
            "text": a.text().replace("&", ""),
            "submenu": [b.text() for b in a.menu().actions()] if a.menu() else None,
        }
        for a in menu.actions()
        if "terrasam" in a.text().replace("&", "").lower()
    ]


def run() -> None:
    try:
        startup_report()
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
        wait(lambda: not controller.tasks and bool(controller.state["preview"]))
        dock.accept_action.trigger()
        report["features"] = controller.output_layer.featureCount()
        controller.everything_options = {"pred_iou_thresh": 0.0, "stability_score_thresh": 0.0}
        dock.points_per_side.setValue(4)
        dock.everything_action.trigger()
        wait(lambda: not controller.tasks)
        report["features_after_everything"] = controller.everything_layer.featureCount()
        if os.environ.get("TERRASAM_SMOKE_HEAD"):
            dock.head_widget.setFilePath(os.environ["TERRASAM_SMOKE_HEAD"])
            dock.classify_action.trigger()
            wait(lambda: not controller.tasks)
            report["land_cover_rows"] = dock.area_table.rowCount()
        report["status"] = dock.status_label.text()
        heavy = ("torch", "triton", "shapely", "rasterio", "pyproj", "segment_anything")
        report["heavy_modules_in_qgis"] = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
        report["engine_python"] = controller.engine.python
        iface.mainWindow().grab().save(str(OUT / "qgis.png"))
        plugin.unload()
        report["ok"] = True
    except Exception:  # noqa: BLE001 - everything goes into the report
        report["error"] = traceback.format_exc()
    (OUT / "report.json").write_text(json.dumps(report, indent=1, default=str))
    # as File → Exit does before QGIS tears its windows down: QgsApplication.exit() alone skips it, and
    # QGIS 3.22 then crashes in its layer-styling dock while the project drops its layers
    QgsProject.instance().clear()
    QgsApplication.processEvents()
    QgsApplication.exit(0)


QTimer.singleShot(3000, run)
