"""Which of TerraSAM's Python dependencies are missing, checked without importing them.

``importlib.util.find_spec`` only locates a package; it never executes it, so the check stays fast even though
``import torch`` takes seconds. It cannot tell whether a found package actually imports (a torch/torchvision
pair that does not match, for instance); the code that uses the model reports such errors when it runs.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from qgis.PyQt.QtCore import QCoreApplication

#: (import name, pip distribution name) of every package the segmentation features need.
REQUIRED_MODULES: tuple[tuple[str, str], ...] = (
    ("torch", "torch"),
    ("torchvision", "torchvision"),
    ("segment_anything", "segment-anything"),
    ("rasterio", "rasterio"),
    ("shapely", "shapely"),
    ("pyproj", "pyproj"),
)

#: requirements.txt ships inside the plugin folder (see tools/package.py).
REQUIREMENTS_FILE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "requirements.txt"
)


def _is_available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError, AttributeError):
        # ValueError: the module sits in sys.modules with __spec__ None (or is None itself in some Pythons);
        # ImportError: a parent package is broken; AttributeError: a parent is not a package.
        return False


def missing_dependencies(modules: tuple[tuple[str, str], ...] = REQUIRED_MODULES) -> list[str]:
    """The pip names (``segment-anything``, ``torch``, ...) of the required packages that cannot be found."""
    return [dist for module, dist in modules if not _is_available(module)]


def install_hint(missing: list[str], requirements: str = REQUIREMENTS_FILE) -> str:
    """A user-facing message naming ``missing`` and the exact commands that install them."""
    if not missing:
        return ""
    # pylupdate5 only extracts literal QCoreApplication.translate("Context", "text") calls, and it loses the
    # text when the argument list ends with a trailing comma, which ruff format would add: keep this call
    # exactly in this shape (no comma after the last string) between the fmt: off / on markers.
    # fmt: off
    text = QCoreApplication.translate(
        "TerraSAM",
        "TerraSAM needs these Python packages, which the Python that "
        "QGIS runs cannot find: {packages}. Segmentation is disabled until they are installed. Install them "
        'with: python3 -m pip install -r "{requirements}" (where the system Python is externally managed, '
        "as on Debian or Ubuntu, use a virtual environment instead: "
        "/usr/bin/python3 -m venv --system-site-packages ~/.terrasam-venv, then "
        '~/.terrasam-venv/bin/python -m pip install -r "{requirements}", and start QGIS with PYTHONPATH '
        "set to that environment's site-packages folder). Then restart QGIS."
    )
    # fmt: on
    return text.format(packages=", ".join(missing), requirements=requirements)


def keep_triton_out() -> None:
    """Make triton unimportable in QGIS before torch is first imported there.

    torch imports triton (a GPU kernel compiler) whenever it is installed, and the registry's torch wheels
    install it. Its bundled LLVM collides with the system LLVM that QGIS's OpenGL (Mesa) has already loaded:
    QGIS dies on a segfault at ``import torch``. TerraSAM's inference never compiles kernels, and torch runs
    without triton (it treats it as absent).
    """
    if "torch" not in sys.modules:
        sys.modules.setdefault("triton", None)
