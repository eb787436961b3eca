"""Processing fixtures: a tiny SAM checkpoint at 256 px input, the size the algorithms' tests run fast at."""

from __future__ import annotations

import pytest

from sam_core.sam.random_weights import save_random_checkpoint, tiny_config


@pytest.fixture(scope="module")
def sam(tmp_path_factory) -> str:
    """The checkpoint's path as a string: what a Processing parameter and ``qgis_process`` are given."""
    path = tmp_path_factory.mktemp("sam") / "sam256.pth"
    save_random_checkpoint(path, tiny_config(img_size=256), seed=0)
    return str(path)


@pytest.fixture
def provider(terrasam):
    """TerraSAM's provider, registered the way ``qgis_process`` registers it (``initProcessing`` only)."""
    plugin = terrasam.classFactory(None)
    plugin.initProcessing()
    yield plugin.provider
    plugin.unload()


@pytest.fixture(scope="module")
def processing(qgis_processing, terrasam):
    """QGIS's ``processing`` module with the TerraSAM provider registered as QGIS registers it."""
    import processing as qgis_processing_module

    plugin = terrasam.classFactory(None)
    plugin.initProcessing()
    yield qgis_processing_module
    plugin.unload()
