"""Which Python runs the TerraSAM engine, and which of its packages it lacks.

The engine (``sam_core``: torch, rasterio, shapely, pyproj) runs in a process of its own, never inside
QGIS (see ``sam_core/engine.py``), so the packages must be importable by *that* Python, not QGIS's. The
check asks it, in a short subprocess that only locates the packages (``find_spec``, no ``import torch``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from qgis.PyQt.QtCore import QCoreApplication

from . import settings

PLUGIN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: requirements.txt ships inside the plugin folder (see tools/package.py).
REQUIREMENTS_FILE = os.path.join(PLUGIN_DIR, "requirements.txt")
CHECK_TIMEOUT_S = 60
_CHECK = "import json, sys; from sam_core.worker import missing_modules; print(json.dumps(missing_modules()))"


def engine_python() -> str:
    """The interpreter for the engine: the ``TerraSAM/python`` setting, else ``$TERRASAM_PYTHON``, else a
    ``.venv`` inside the plugin folder (a developer checkout), else the Python that QGIS embeds."""
    chosen = settings.value("python") or os.environ.get("TERRASAM_PYTHON", "")
    if chosen:
        return str(chosen)
    for venv_python in (
        os.path.join(PLUGIN_DIR, ".venv", "bin", "python"),
        os.path.join(PLUGIN_DIR, ".venv", "Scripts", "python.exe"),
    ):
        if os.path.isfile(venv_python):
            return venv_python
    return _qgis_python()


def _qgis_python() -> str:
    """The standalone interpreter of the Python QGIS embeds (``sys.executable`` is QGIS itself there)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    if os.name == "nt":
        candidates = [os.path.join(sys.base_exec_prefix, name) for name in ("python3.exe", "python.exe")]
    else:
        candidates = [os.path.join(sys.base_exec_prefix, "bin", f"python{version}")]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    return shutil.which("python3") or "python3"


def missing_dependencies(python: str | None = None) -> list[str]:
    """The pip names of the required packages ``python`` (default: ``engine_python()``) cannot find; every
    package when that Python cannot be run at all."""
    from ..sam_core.client import engine_environment
    from ..sam_core.worker import REQUIRED_MODULES

    python = python or engine_python()
    try:
        result = subprocess.run(
            [python, "-c", _CHECK],
            cwd=PLUGIN_DIR,
            env=engine_environment(python),
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT_S,
            check=False,
        )
        return list(json.loads(result.stdout))
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return [dist for _, dist in REQUIRED_MODULES]


def install_hint(missing: list[str], python: str | None = None, requirements: str = REQUIREMENTS_FILE) -> str:
    """A user-facing message naming ``missing`` and the exact commands that install them."""
    if not missing:
        return ""
    # pylupdate5 only extracts literal QCoreApplication.translate("Context", "text") calls, and it loses the
    # text when the argument list ends with a trailing comma, which ruff format would add: keep this call
    # exactly in this shape (no comma after the last string) between the fmt: off / on markers.
    # fmt: off
    text = QCoreApplication.translate(
        "TerraSAM",
        "TerraSAM runs its engine with the Python at {python}, which cannot find these packages: "
        "{packages}. Segmentation is disabled until they are installed. Install them with: "
        '"{python}" -m pip install -r "{requirements}" (where that Python is externally managed, as on '
        "Debian or Ubuntu, make a virtual environment instead: /usr/bin/python3 -m venv ~/.terrasam-venv, "
        'then ~/.terrasam-venv/bin/python -m pip install -r "{requirements}", and set the QGIS setting '
        "TerraSAM/python, or the environment variable TERRASAM_PYTHON, to ~/.terrasam-venv/bin/python). "
        "Then open TerraSAM again."
    )
    # fmt: on
    return text.format(
        packages=", ".join(missing), requirements=requirements, python=python or engine_python()
    )
