"""Fixtures every level needs: the shared rasters, a tiny random-weight SAM, the plugin package under a fixed name.

QGIS fixtures live in the conftest of the level that needs them (tests/ui, tests/plugin, tests/processing);
core ones in tests/core/conftest.py, which needs no QGIS.

The repository root *is* the plugin package, and a clone's folder name need not be a Python identifier,
so the package is loaded explicitly under the name ``terrasam`` (as QGIS would load it from its plugin
folder). ``sam_core`` is importable on its own from the root, exactly as ``python -m sam_core`` sees it.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# sam_core, tools/plugin_package.py, and test helpers such as ui_helpers
for folder in (ROOT, ROOT / "tools", Path(__file__).resolve().parent):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from plugin_package import load_plugin_package  # after the sys.path set-up above


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.fail(f"shared test rasters not found at {DATA} (CI keeps ../shared beside the clone)")
    return DATA


@pytest.fixture(scope="session")
def rgb_tif(data_dir: Path) -> Path:
    return data_dir / "RGB.byte.tif"


@pytest.fixture(scope="session")
def rgba_tif(data_dir: Path) -> Path:
    return data_dir / "RGBA.byte.tif"


@pytest.fixture(scope="session")
def shade_tif(data_dir: Path) -> Path:
    return data_dir / "shade.tif"


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A tiny SAM with random, seeded weights saved as a checkpoint file (loaded by the product's loader)."""
    from sam_core.sam.random_weights import save_random_checkpoint, tiny_config

    path = tmp_path_factory.mktemp("ckpt") / "tiny_sam.pth"
    save_random_checkpoint(path, tiny_config(), seed=0)
    return path


@pytest.fixture(scope="module")
def payload(tiny_checkpoint) -> tuple[bytes, str]:
    """The tiny checkpoint's bytes and their SHA-256, as a download server would serve them."""
    data = Path(tiny_checkpoint).read_bytes()
    return data, hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="session")
def terrasam():
    """The plugin package, imported as QGIS imports it (tests/ui, processing, plugin and project's i18n)."""
    return load_plugin_package()


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models run in milliseconds on one thread; on two cores shared with other jobs, torch's second
    thread mostly waits (ten times slower). Training tests' conftests use it for every module."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
