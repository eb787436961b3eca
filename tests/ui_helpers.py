"""Helpers for driving the dock in real QGIS: open it, wait for tasks, send map-tool events.

``opened`` (the dock open, no model) is the fixture around ``open_dock`` that tests/ui/conftest.py and
tests/plugin/conftest.py import; a module that needs more set-up extends it under the same name.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest
from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsSettings,
)
from qgis.gui import QgsMapMouseEvent
from qgis.PyQt.QtCore import QCoreApplication, QEvent, QPoint, Qt

SETTINGS_GROUP = "TerraSAM"


class Recorder:
    def __init__(self):
        self.calls: list[tuple] = []

    def __call__(self, *args):
        self.calls.append(args)


def wait_until(condition, timeout: float = 120.0) -> None:
    """Let Qt and the task manager run until ``condition()`` holds (fails the test on timeout)."""
    deadline = time.monotonic() + timeout
    while not condition():
        QgsApplication.processEvents()
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for QGIS")
        time.sleep(0.01)


def wait_for_tasks(controller, timeout: float = 120.0) -> None:
    wait_until(lambda: not controller.tasks and QgsApplication.taskManager().countActiveTasks() == 0, timeout)


@contextmanager
def isolated_settings(tmp_path: Path):
    """The TerraSAM settings group emptied for one test (embeddings cached under ``tmp_path``), then restored.

    pytest-qgis keeps one settings file per session (under QGIS_CUSTOM_CONFIG_PATH), so without this a
    checkpoint chosen by one test would be restored, and loaded, by the next test's dock.
    """
    settings = QgsSettings()
    saved = {key: settings.value(key) for key in settings.allKeys() if key.startswith(f"{SETTINGS_GROUP}/")}
    settings.remove(SETTINGS_GROUP)
    settings.setValue(f"{SETTINGS_GROUP}/cache_dir", str(tmp_path / "embeddings"))
    try:
        yield settings
    finally:
        settings.remove(SETTINGS_GROUP)
        for key, value in saved.items():
            settings.setValue(key, value)


@contextmanager
def open_dock(terrasam, iface, monkeypatch, tmp_path: Path, isolate: bool = True):
    """The plugin with its dock open (no model yet); unloaded afterwards. ``isolate``: in its own settings
    (see ``isolated_settings``); False keeps the settings as they are, for a test that isolates them itself.

    Exceptions raised in Qt callbacks (task ``finished``, slots) go to ``sys.excepthook`` rather than to the
    test; they are collected here and fail the test at teardown.
    """
    for name in ("addPluginToRasterMenu", "removePluginRasterMenu", "removeDockWidget"):
        monkeypatch.setattr(iface, name, Recorder(), raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    errors: list[tuple] = []
    monkeypatch.setattr(sys, "excepthook", lambda *info: errors.append(info))
    with isolated_settings(tmp_path) if isolate else nullcontext():
        plugin = terrasam.classFactory(iface)
        plugin.initGui()
        plugin.action.trigger()
        try:
            yield plugin
        finally:
            if plugin.controller is not None:
                wait_for_tasks(plugin.controller)
            plugin.unload()
            flush_deletes()
    assert not errors, "".join(traceback.format_exception(*errors[0]))


@pytest.fixture
def opened(terrasam, qgis_iface, qgis_new_project, monkeypatch, tmp_path):
    """The plugin with its dock open (no model yet); torn down with unload()."""
    with open_dock(terrasam, qgis_iface, monkeypatch, tmp_path) as plugin:
        yield plugin


def flush_deletes() -> None:
    """Run pending ``deleteLater()``s now, as QGIS's event loop would (``processEvents`` does not)."""
    QgsApplication.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)


def load_model(plugin, checkpoint) -> None:
    plugin.dock.checkpoint_widget.setFilePath(str(checkpoint))
    wait_until(lambda: plugin.controller.model is not None or "Loading" not in plugin.dock.model_label.text())
    assert plugin.controller.model is not None, plugin.dock.status_label.text()


@contextmanager
def engine_held_at(controller, method: str):
    """Inside the block, the engine process is stopped (SIGSTOP) the moment the dock sends it ``method``
    (e.g. ``encode``); after it, resumed. What the dock sends meanwhile (that request, a cancel) waits in
    the pipe, so a test can cancel before the engine can do any of the work. The client's ``call`` is
    wrapped, not replaced: every call still goes to the real engine."""
    engine = controller.engine
    real_call = engine.call

    def call(name, *args, **kwargs):
        if name == method:
            os.kill(engine.pid, signal.SIGSTOP)
        return real_call(name, *args, **kwargs)

    engine.call = call
    try:
        yield
        time.sleep(0.3)  # a task polls its cancel flag every 50 ms: let the cancel reach the pipe
    finally:
        del engine.call
        try:
            os.kill(engine.pid, signal.SIGCONT)
        except (ProcessLookupError, TypeError):  # ended meanwhile (the plugin was unloaded)
            pass


def is_empty(controller) -> bool:
    """No prompt in the dock's current object."""
    return not controller.state["points"] and controller.state["box"] is None


def exact_geometry(controller) -> QgsGeometry:
    """The current preview at full resolution (what Accept writes), in the raster's CRS."""
    geometry = QgsGeometry()
    geometry.fromWkb(controller.engine.call("state", {"step": 1})["preview"]["wkb"])
    return geometry


def raster_centre(layer) -> QgsPointXY:
    return layer.extent().center()


def add_raster(path, canvas, canvas_crs: str | None = None) -> QgsRasterLayer:
    layer = QgsRasterLayer(str(path), path.stem)
    assert layer.isValid()
    QgsProject.instance().addMapLayer(layer)
    canvas.setLayers([layer])
    canvas.setDestinationCrs(QgsCoordinateReferenceSystem(canvas_crs) if canvas_crs else layer.crs())
    canvas.setExtent(canvas.mapSettings().layerExtentToOutputExtent(layer, layer.extent()))
    return layer


def release(tool, canvas, point, button=Qt.LeftButton) -> None:
    event = QgsMapMouseEvent(canvas, QEvent.MouseButtonRelease, QPoint(), button, button, Qt.NoModifier)
    event.setMapPoint(point)
    tool.canvasReleaseEvent(event)


def drag(tool, canvas, start, end) -> None:
    for kind, point, buttons in (
        (QEvent.MouseButtonPress, start, Qt.LeftButton),
        (QEvent.MouseMove, end, Qt.LeftButton),
        (QEvent.MouseButtonRelease, end, Qt.NoButton),
    ):
        event = QgsMapMouseEvent(canvas, kind, QPoint(), Qt.LeftButton, buttons, Qt.NoModifier)
        event.setMapPoint(point)
        {
            QEvent.MouseButtonPress: tool.canvasPressEvent,
            QEvent.MouseMove: tool.canvasMoveEvent,
            QEvent.MouseButtonRelease: tool.canvasReleaseEvent,
        }[kind](event)


def dock_sections(dock, visible: bool = False) -> list:
    """The widgets stacked in the dock's body (its sections, the status line, a Set up engine panel);
    ``visible``: only those shown."""
    items = [dock.body_layout.itemAt(i).widget() for i in range(dock.body_layout.count())]
    return [w for w in items if w is not None and (not visible or w.isVisibleTo(dock))]


class Messages:
    """Warnings pushed to the message bar since this object was made (pytest-qgis's bar keeps them all)."""

    def __init__(self, iface) -> None:
        self.bar = iface.messageBar()
        self.start = len(self.bar.get_messages(Qgis.Warning))

    def new(self) -> list[str]:
        return list(self.bar.get_messages(Qgis.Warning))[self.start :]


def assert_object_style(layer) -> None:
    """TerraSAM's object style (``host/layer_style.py``), not QGIS's random opaque fill: a semi-transparent
    fill and a visible, opaque outline."""
    from qgis.core import QgsSingleSymbolRenderer

    renderer = layer.renderer()
    assert isinstance(renderer, QgsSingleSymbolRenderer), type(renderer)
    fill = renderer.symbol().symbolLayer(0)
    assert 0 < fill.color().alpha() < 255, fill.color().name(1)  # QColor.HexArgb
    assert fill.strokeColor().alpha() == 255 and fill.strokeWidth() > 0 and fill.strokeStyle() != Qt.NoPen


def stored_styles(path) -> list[str]:
    """The layer names a GeoPackage holds a default style for (its ``layer_styles`` table)."""
    import sqlite3

    with sqlite3.connect(str(path)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "layer_styles" not in tables:
            return []
        return sorted(
            row[0] for row in db.execute("SELECT f_table_name FROM layer_styles WHERE useAsDefault")
        )
