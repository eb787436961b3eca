"""Opening the dock imports torch inside QGIS; triton must stay out (its LLVM crashes QGIS with Mesa's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A fresh process: this test process has imported torch (and with it triton) long ago.
CODE = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tools"]
from plugin_package import load_plugin_package
from pytest_qgis.mock_qgis_classes import MockMessageBar
from pytest_qgis.qgis_interface import QgisInterface
from qgis.core import QgsApplication
from qgis.gui import QgsMapCanvas
from qgis.PyQt.QtWidgets import QMainWindow
app = QgsApplication([], False)
app.initQgis()
window = QMainWindow()
plugin = load_plugin_package().classFactory(QgisInterface(QgsMapCanvas(window), MockMessageBar(), window))
plugin.initGui()
plugin.action.trigger()
loaded = sorted(m for m in sys.modules if m.startswith("triton."))
print("torch" in sys.modules, plugin.dock is not None, len(loaded))
sys.stdout.flush()
os._exit(0)
"""


def test_opening_the_dock_imports_torch_without_triton():
    result = subprocess.run(
        [sys.executable, "-c", CODE, str(ROOT)], check=False, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-3:] == ["True", "True", "0"], result.stdout
