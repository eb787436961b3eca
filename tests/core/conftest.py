"""Core fixtures: the tiny SAM loaded, a raster source. No QGIS here: the core runs without it (test_isolation)."""

from __future__ import annotations

import pytest

from sam_core.geo.raster import RasterSource
from sam_core.sam.model import load_model


@pytest.fixture(scope="module")
def model(tiny_checkpoint):
    """The tiny random-weight SAM on the CPU, loaded once per test module."""
    return load_model(tiny_checkpoint, "cpu")


@pytest.fixture
def source(rgb_tif):
    """RGB.byte.tif opened as the core reads rasters (a fresh one per test: tests patch its methods)."""
    with RasterSource(rgb_tif) as src:
        yield src
