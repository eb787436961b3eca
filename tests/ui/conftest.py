"""QGIS fixtures for the dock's tests (pytest-qgis: ``qgis_iface``, ``qgis_new_project``).

``opened`` is the dock open with no model (from ui_helpers, shared with tests/plugin); ``ready`` adds RGB.byte.tif
and the tiny model, and a module that needs more (a head, a point grid) extends it under the same name.
"""

from __future__ import annotations

import pytest
from ui_helpers import add_raster, load_model, opened

__all__ = ["opened", "ready"]


@pytest.fixture
def ready(opened, qgis_iface, rgb_tif, tiny_checkpoint):
    """The dock over RGB.byte.tif (canvas in the raster's CRS) with the tiny model loaded."""
    layer = add_raster(rgb_tif, qgis_iface.mapCanvas())
    opened.dock.layer_combo.setLayer(layer)
    load_model(opened, tiny_checkpoint)
    assert opened.controller.state is not None
    return opened, layer
