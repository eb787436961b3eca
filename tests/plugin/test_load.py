"""The plugin loads in real QGIS (pytest-qgis), adds its action, removes it again, and survives missing torch."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from qgis.core import Qgis, QgsApplication, QgsSettings
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QAction
from ui_helpers import dock_sections

ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """Stands in for an iface method and records its calls."""

    def __init__(self):
        self.calls: list[tuple] = []

    def __call__(self, *args):
        self.calls.append(args)


@pytest.fixture
def iface(qgis_iface, monkeypatch):
    """pytest-qgis's stub iface with recorders for the menu/toolbar methods (the stub lacks some of them)."""
    for name in ("addPluginToRasterMenu", "removePluginRasterMenu", "addToolBarIcon", "removeToolBarIcon"):
        monkeypatch.setattr(qgis_iface, name, Recorder(), raising=False)
    return qgis_iface


def messages(iface, level) -> list[str]:
    return list(iface.messageBar().get_messages(level))


def test_class_factory_init_gui_unload(terrasam, iface):
    plugin = terrasam.classFactory(iface)
    assert type(plugin).__name__ == "TerraSAMPlugin"
    plugin.initGui()

    action = plugin.action
    assert isinstance(action, QAction)
    assert action.text() == "TerraSAM"
    assert not action.icon().isNull(), "icon.png missing or unreadable"
    assert iface.addPluginToRasterMenu.calls == [(plugin.menu_name, action)]
    assert iface.addToolBarIcon.calls == [(action,)]

    plugin.unload()
    assert iface.removePluginRasterMenu.calls == [(plugin.menu_name, action)]
    assert iface.removeToolBarIcon.calls == [(action,)]
    assert plugin.action is None
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert sip.isdeleted(action), "the QAction outlived unload()"


def test_action_opens_the_dock_and_unload_removes_it(terrasam, iface, monkeypatch):
    monkeypatch.setattr(iface, "removeDockWidget", Recorder(), raising=False)
    plugin = terrasam.classFactory(iface)
    plugin.initGui()
    try:
        plugin.action.trigger()
        dock = plugin.dock
        assert dock is not None and dock.objectName() == "TerraSAMDock"
        assert plugin.controller is not None
        plugin.action.trigger()  # a second click shows the same dock
        assert plugin.dock is dock
    finally:
        plugin.unload()
    assert iface.removeDockWidget.calls == [(dock,)]
    assert plugin.dock is None and plugin.controller is None


def test_iface_without_menu_and_toolbar_methods(terrasam, qgis_iface, monkeypatch):
    """pytest-qgis's stub lacks addPluginToRasterMenu/removePluginRasterMenu: initGui/unload must cope."""
    for name in ("addPluginToRasterMenu", "removePluginRasterMenu", "addToolBarIcon", "removeToolBarIcon"):
        monkeypatch.delattr(type(qgis_iface), name, raising=False)
        assert not hasattr(qgis_iface, name)
    plugin = terrasam.classFactory(qgis_iface)
    plugin.initGui()
    assert isinstance(plugin.action, QAction)
    plugin.unload()
    assert plugin.action is None


def test_headless_qgis_process_path_registers_the_provider_and_unload_removes_it(terrasam):
    """qgis_process calls classFactory(None), then only initProcessing()."""
    registry = QgsApplication.processingRegistry()
    plugin = terrasam.classFactory(None)
    assert plugin.iface is None
    plugin.initProcessing()
    provider = registry.providerById("terrasam")
    assert provider is plugin.provider and provider.name() == "TerraSAM"
    assert not provider.icon().isNull()
    assert registry.algorithmById("terrasam:segmentfromprompts") is not None
    plugin.initGui()  # no iface: nothing to add, must not raise
    assert plugin.action is None
    plugin.unload()
    assert registry.providerById("terrasam") is None and plugin.provider is None


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> Path:
    """A real Python with none of TerraSAM's packages: a venv without the system site-packages or pip."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    base = Path(sys.base_prefix) / "bin" / "python3"
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    return venv / "bin" / "python"


def test_missing_packages_warn_once_and_open_the_setup_panel(terrasam, iface, monkeypatch, bare_python):
    """The plugin keeps loading without torch; the bar says which Python lacks what and where it came from
    (and stays: duration 0), the QGIS log has the whole text with the pip command, and the action opens the
    dock with its Set up engine panel in place of the prompts (no engine process is started)."""
    monkeypatch.setenv("TERRASAM_PYTHON", str(bare_python))
    monkeypatch.setattr(iface, "removeDockWidget", Recorder(), raising=False)
    from terrasam.host.dependencies import missing_dependencies

    everything = ["torch", "torchvision", "segment-anything", "rasterio", "shapely", "pyproj"]
    assert missing_dependencies() == everything
    logged: list[str] = []

    def on_log(message, tag, level):
        if tag == "TerraSAM" and level == Qgis.Warning:
            logged.append(message)

    QgsApplication.messageLog().messageReceived.connect(on_log)
    before = messages(iface, Qgis.Warning)
    plugin = terrasam.classFactory(iface)
    plugin.initGui()
    try:
        new = messages(iface, Qgis.Warning)[len(before) :]
        assert len(new) == 1, new
        assert "torch" in new[0] and str(bare_python) in new[0]
        assert "TERRASAM_PYTHON" in new[0] and "Set up engine" in new[0]
        assert len(logged) == 1, logged
        assert f'"{bare_python}" -m pip install -r' in logged[0]
        assert "requirements.txt" in logged[0] and "Set up engine panel" in logged[0]
        assert isinstance(plugin.action, QAction), "the plugin must keep loading without torch"
        assert iface.addPluginToRasterMenu.calls == [(plugin.menu_name, plugin.action)]
        plugin.action.trigger()  # the dock opens, with the Set up engine panel instead of the prompts
        dock = plugin.dock
        assert dock is not None and plugin.controller is None
        assert plugin.setup is not None and plugin.setup.isVisibleTo(dock)
        assert dock_sections(dock, visible=True) == [plugin.setup] and len(dock_sections(dock)) > 4
        assert "torch" in plugin.setup.problem_label.text()
        assert len(messages(iface, Qgis.Warning)) == len(before) + 1, "warned once"
    finally:
        QgsApplication.messageLog().messageReceived.disconnect(on_log)
        plugin.unload()
    assert plugin.dock is None and plugin.setup is None


def test_an_interpreter_that_cannot_run_counts_as_missing_everything(terrasam, tmp_path):
    from terrasam.host.dependencies import missing_dependencies

    assert len(missing_dependencies(str(tmp_path / "no-such-python"))) == 6


def test_the_engine_check_locates_packages_without_importing_them():
    """find_spec only: the check runs at every QGIS start, so it may not import torch."""
    code = (
        "import sys\n"
        "from sam_core.service.server import missing_modules\n"
        "print(missing_modules(), 'torch' in sys.modules, 'rasterio' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "False", "False"]


def test_all_dependencies_present_in_this_environment(terrasam):
    from terrasam.host.dependencies import install_hint, missing_dependencies

    assert missing_dependencies() == []
    assert install_hint([]) == ""


def test_translation_for_user_locale_is_loaded_and_removed(terrasam, tmp_path, monkeypatch):
    """A terrasam_<locale>.qm in i18n/ is installed for the QGIS user locale and removed again by unload()."""
    lrelease = shutil.which("lrelease")
    if lrelease is None:
        pytest.skip("lrelease (qttools5-dev-tools) is not installed; make i18n-compile installs it")
    ts = tmp_path / "terrasam_xx.ts"
    ts.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n<TS version="2.1" language="xx">\n'
        "<context><name>TerraSAMPlugin</name><message><source>TerraSAM</source>"
        "<translation>TerraSAM-xx</translation></message></context>\n</TS>\n",
        encoding="utf-8",
    )
    subprocess.run([lrelease, "-silent", str(ts)], check=True, timeout=60)
    plugin_module = importlib.import_module("terrasam.plugin")
    monkeypatch.setattr(plugin_module, "I18N_DIR", str(tmp_path))
    settings = QgsSettings()
    old = settings.value("locale/userLocale", "")
    settings.setValue("locale/userLocale", "xx_YY")  # falls back from xx_YY to xx
    try:
        plugin = terrasam.classFactory(None)
        assert plugin.translator is not None
        assert plugin.tr("TerraSAM") == "TerraSAM-xx"
        plugin.unload()
        assert plugin.tr("TerraSAM") == "TerraSAM"
    finally:
        settings.setValue("locale/userLocale", old)
