"""The plugin started the way QGIS desktop starts it: ``qgis.utils.loadPlugin`` + ``startPlugin`` (only
``initGui``, never ``initProcessing``), from a plugins folder on ``sys.path``; the Processing toolbox must show
the provider with every algorithm, and the Raster menu must hold one TerraSAM entry (no one-item submenu)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import qgis.utils
from qgis.core import QgsApplication
from qgis.PyQt.QtWidgets import QMenu

ROOT = Path(__file__).resolve().parents[2]
NAME = "terrasam"


def _package_modules() -> dict:
    return {k: v for k, v in sys.modules.items() if k == NAME or k.startswith(f"{NAME}.")}


@pytest.fixture
def desktop(qgis_iface, monkeypatch, tmp_path):
    """A plugins folder holding the checkout as ``terrasam`` (a clone's folder name need not be an identifier),
    a Raster menu on the stub iface, and the package imported afresh through ``sys.path`` as QGIS does."""
    plugins = tmp_path / "python" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / NAME).symlink_to(ROOT, target_is_directory=True)
    monkeypatch.syspath_prepend(str(plugins))
    monkeypatch.setattr(qgis.utils, "plugin_paths", [str(plugins)])
    for name in ("available_plugins", "plugins_metadata_parser"):
        monkeypatch.setattr(qgis.utils, name, getattr(qgis.utils, name))  # restored afterwards
    qgis.utils.updateAvailablePlugins()  # reads metadata.txt; QGIS's import hook then tracks our modules
    assert NAME in qgis.utils.available_plugins
    menu = QMenu("&Raster")
    monkeypatch.setattr(qgis_iface, "rasterMenu", lambda: menu, raising=False)
    for name in ("addPluginToRasterMenu", "removePluginRasterMenu", "removeDockWidget"):
        monkeypatch.delattr(type(qgis_iface), name, raising=False)
    saved = _package_modules()  # the session's copy (conftest's ``terrasam`` fixture), put back afterwards
    for key in saved:
        del sys.modules[key]
    try:
        yield menu
    finally:
        if NAME in qgis.utils.active_plugins:
            qgis.utils.unloadPlugin(NAME)
        qgis.utils._plugin_modules.pop(NAME, None)
        for key in _package_modules():
            del sys.modules[key]
        sys.modules.update(saved)


def terrasam_providers() -> list:
    return [p for p in QgsApplication.processingRegistry().providers() if p.id() == "terrasam"]


def test_a_desktop_start_registers_the_provider_with_every_algorithm(desktop):
    registry = QgsApplication.processingRegistry()
    assert registry.providerById("terrasam") is None
    assert qgis.utils.loadPlugin(NAME)
    assert Path(sys.modules[NAME].__file__).parent.resolve() == ROOT  # imported through the plugins folder
    assert qgis.utils.startPlugin(NAME), "startPlugin failed (see the message log)"
    plugin = qgis.utils.plugins[NAME]

    provider = registry.providerById("terrasam")
    assert provider is not None and provider is plugin.provider
    algorithms = sys.modules[f"{NAME}.terrasam_processing.provider"].ALGORITHMS
    expected = {f"terrasam:{cls().name()}" for cls in algorithms}
    assert len(expected) == 11
    assert {a.id() for a in provider.algorithms()} == expected
    for algorithm_id in expected:
        assert registry.algorithmById(algorithm_id) is not None, algorithm_id
    assert len(terrasam_providers()) == 1

    assert qgis.utils.unloadPlugin(NAME)
    assert registry.providerById("terrasam") is None and terrasam_providers() == []


@pytest.mark.parametrize("order", [("initProcessing", "initGui"), ("initGui", "initProcessing")])
def test_init_processing_and_init_gui_in_either_order_register_one_provider(desktop, qgis_iface, order):
    assert qgis.utils.loadPlugin(NAME)
    plugin = sys.modules[NAME].classFactory(qgis_iface)
    try:
        for method in order:
            getattr(plugin, method)()
        assert len(terrasam_providers()) == 1 and terrasam_providers()[0] is plugin.provider
    finally:
        plugin.unload()
    assert terrasam_providers() == []


def test_the_raster_menu_has_one_terrasam_entry_not_a_one_item_submenu(desktop):
    menu = desktop
    assert qgis.utils.loadPlugin(NAME) and qgis.utils.startPlugin(NAME)
    plugin = qgis.utils.plugins[NAME]
    entries = [a for a in menu.actions() if "TerraSAM" in a.text().replace("&", "")]
    assert entries == [plugin.action]
    assert entries[0].menu() is None  # an action that opens the dock, not a submenu
    qgis.utils.unloadPlugin(NAME)
    assert menu.actions() == []
