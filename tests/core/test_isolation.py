"""The core stays Qt-free and QGIS-free, so it runs on a server and under ``python -m sam_core``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("qgis", "PyQt5", "PyQt6", "PySide2", "PySide6", "sip")


def test_sam_core_imports_without_qgis_or_qt_in_a_fresh_process():
    # pytest-qgis has already imported qgis in this process, hence the subprocess.
    code = (
        "import sys\n"
        "import sam_core, sam_core.cli.main, sam_core.prompting.segment, sam_core.geo.measures, sam_core.geo.output, sam_core.geo.preview\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_importing_the_package_does_not_import_torch():
    """The plugin imports bits of the core at QGIS start-up; torch (seconds to import) must not come with it."""
    code = "import sys, sam_core, sam_core.geo.raster, sam_core.geo.tiles; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, check=False, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "False", result.stderr


def test_core_sources_use_only_relative_imports_of_their_own_package():
    pattern = re.compile(
        r"^\s*(?:from|import)\s+(qgis|PyQt\d|PySide\d|terrasam|ui|plugin)\b|^\s*from\s+\.\.", re.MULTILINE
    )
    offenders = [p.name for p in (ROOT / "sam_core").glob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_what_the_plugin_imports_inside_qgis_is_standard_library_only():
    """``client``, ``protocol``, ``worker``, ``errors``, ``checkpoints`` (the dock's model download), ``fields``
    ``units``, ``config`` (defaults for Processing and the dock) and ``io`` are all QGIS ever loads of the core: none of the libraries that clash with QGIS's own (GEOS,
    GDAL, PROJ, LLVM) may come with them."""
    code = (
        "import sys\n"
        "import sam_core.service.client, sam_core.service.protocol, sam_core.service.server, sam_core.errors, sam_core.sam.checkpoints\n"
        "import sam_core.schema, sam_core.units, sam_core.config, sam_core.io\n"
        "heavy = ('numpy', 'torch', 'shapely', 'rasterio', 'pyproj', 'segment_anything', 'PIL')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
