"""TerraSAM's QGIS settings (group ``TerraSAM``), one place for the dock and the Processing algorithms.

Keys: ``checkpoint``, ``checkpoint_dir`` (where **Get a model…** saves), ``device``, ``precision``,
``threads`` (CPU threads for the model; unset: the physical cores), ``dask_scheduler`` (the Dask cluster
the Processing batch algorithms run their tiles on by default, e.g. ``tcp://host:8786``; unset: this
machine), ``head`` (the land-cover classifier head), ``segmentation_head`` (the dock remembers the user's
choices; Processing takes them as defaults), ``cache_dir`` (the embedding cache both share, so tiles encoded
in one are instant in the other), ``python`` (the engine's interpreter, chosen in the dock's Set up engine
panel, see ``host/dependencies.py``) and ``engine_dir`` (where that panel installs an engine).
"""

from __future__ import annotations

import os

from qgis.core import QgsApplication, QgsSettings

GROUP = "TerraSAM"


def value(name: str, default: str = "") -> str:
    return str(QgsSettings().value(f"{GROUP}/{name}", default) or default)


def set_value(name: str, new: str) -> None:
    QgsSettings().setValue(f"{GROUP}/{name}", new)


def cache_dir() -> str:
    """The embedding cache folder (default: ``terrasam/embeddings`` in the QGIS profile)."""
    return value("cache_dir", os.path.join(QgsApplication.qgisSettingsDirPath(), "terrasam", "embeddings"))


def checkpoint_dir() -> str:
    """Where **Get a model…** saves checkpoints (default: ``terrasam/checkpoints`` in the QGIS profile)."""
    return value(
        "checkpoint_dir", os.path.join(QgsApplication.qgisSettingsDirPath(), "terrasam", "checkpoints")
    )


def engine_dir() -> str:
    """The engine virtual environment that Set up engine installs (default: ``terrasam/engine-venv`` in the
    QGIS profile, beside the embedding cache)."""
    return value("engine_dir", os.path.join(QgsApplication.qgisSettingsDirPath(), "terrasam", "engine-venv"))


def threads() -> int | None:
    """The ``threads`` setting as a number, or None (the engine then takes the physical cores)."""
    text = value("threads").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def dask_scheduler() -> str:
    """The ``dask_scheduler`` setting, stripped: the default scheduler address of the Processing algorithms
    whose command runs its tiles on a Dask cluster (``--scheduler``), or "" to run them on this machine."""
    return value("dask_scheduler").strip()
