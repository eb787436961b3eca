"""The Set up engine panel the way a user meets it: a wrong TERRASAM_PYTHON, the dock, Choose Python…, Install.

Real QGIS (pytest-qgis), the real plugin started with ``initGui`` and its action, the real engine Python of
this project for the working case, and a real install from a wheelhouse the test writes (no network:
``PIP_NO_INDEX``).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
from engine_wheels import tiny_wheelhouse
from qgis.core import Qgis, QgsApplication
from ui_helpers import Messages, Recorder, dock_sections, isolated_settings, wait_for_tasks, wait_until

ROOT = Path(__file__).resolve().parents[2]
REAL_PYTHON = ROOT / ".venv" / "bin" / "python"
NOWHERE = "/nonexistent/terrasam/bin/python"


@pytest.fixture
def clean(terrasam, qgis_iface, qgis_new_project, monkeypatch, tmp_path):
    """Settings of this test only (the profile engine under tmp_path), menu methods the stub lacks."""
    from terrasam.host.dependencies import forget_checks

    for name in ("addPluginToRasterMenu", "removePluginRasterMenu", "removeDockWidget"):
        monkeypatch.setattr(qgis_iface, name, Recorder(), raising=False)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    with isolated_settings(tmp_path) as settings:
        settings.setValue("TerraSAM/engine_dir", str(tmp_path / "profile" / "terrasam" / "engine-venv"))
        forget_checks()
        yield settings
        forget_checks()


@pytest.fixture
def log_lines():
    lines: list[str] = []

    def on_log(message, tag, level):
        if tag == "TerraSAM":
            lines.append(message)

    QgsApplication.messageLog().messageReceived.connect(on_log)
    yield lines
    QgsApplication.messageLog().messageReceived.disconnect(on_log)


@pytest.fixture
def started(terrasam, qgis_iface, clean, monkeypatch):
    """The plugin as QGIS starts it, with TERRASAM_PYTHON pointing nowhere; unloaded afterwards."""
    monkeypatch.setenv("TERRASAM_PYTHON", NOWHERE)
    plugin = terrasam.classFactory(qgis_iface)
    yield plugin
    if plugin.controller is not None:
        wait_for_tasks(plugin.controller)
    plugin.unload()


def test_a_wrong_terrasam_python_is_named_with_its_source_and_not_called_missing_packages(
    started, qgis_iface, log_lines
):
    warnings = Messages(qgis_iface)
    started.initGui()
    bar = warnings.new()
    assert len(bar) == 1
    assert (
        NOWHERE in bar[0] and "environment variable TERRASAM_PYTHON" in bar[0] and "does not exist" in bar[0]
    )
    assert "pip" not in bar[0] and "lacks" not in bar[0], "an interpreter that does not exist lacks nothing"
    assert len(log_lines) == 1 and "Correct or unset TERRASAM_PYTHON" in log_lines[0]

    started.action.trigger()
    panel, dock = started.setup, started.dock
    assert dock_sections(dock, visible=True) == [panel]
    text = panel.problem_label.text()
    assert text == log_lines[0], "the panel shows the whole message, as the log has it"
    assert NOWHERE in text and "does not exist" in text and "pip" not in text
    assert text.endswith("(Choose Python…).") and panel.problem_label.wordWrap()
    assert "environment variable TERRASAM_PYTHON" in panel.source_label.text()
    assert "5–6 GB" in panel.size_label.text() and "engine-venv" in panel.size_label.text()
    assert started.controller is None, "no engine process without an engine Python"


def test_the_message_in_a_real_message_bar_stays_and_its_button_opens_the_panel(
    started, qgis_iface, monkeypatch
):
    """QGIS's own QgsMessageBar (pytest-qgis's stub records text only): no timeout, a Set up engine button."""
    from qgis.gui import QgsMessageBar
    from qgis.PyQt.QtWidgets import QPushButton

    bar = QgsMessageBar()
    monkeypatch.setattr(qgis_iface, "messageBar", lambda: bar)
    started.initGui()
    items = bar.items()
    assert len(items) == 1 and items[0].duration() == 0 and items[0].level() == Qgis.Warning
    assert NOWHERE in items[0].text() and "does not exist" in items[0].text()
    buttons = [b for b in items[0].findChildren(QPushButton) if b.text() == "Set up engine"]
    assert len(buttons) == 1
    buttons[0].click()
    assert started.dock is not None and started.setup is not None and started.setup.isVisibleTo(started.dock)


def test_choose_python_saves_the_setting_and_brings_the_prompts_back(started, clean, monkeypatch):
    from terrasam.ui import engine_setup

    started.initGui()
    started.action.trigger()
    panel, dock = started.setup, started.dock

    class ChosenFile:  # the file dialog, answered as a user would: the project's engine Python
        @staticmethod
        def getOpenFileName(*args):
            return str(REAL_PYTHON), ""

    monkeypatch.setattr(engine_setup, "QFileDialog", ChosenFile)
    panel.choose_button.click()
    assert clean.value("TerraSAM/python") == str(REAL_PYTHON), "saved in the TerraSAM settings"
    assert panel.check.ok and panel.check.location.source == "setting"
    assert started.controller is not None, "the prompts come back without restarting QGIS"
    assert not panel.isVisibleTo(dock)
    shown = dock_sections(dock, visible=True)
    assert panel not in shown and len(shown) == len(dock_sections(dock)) - 1
    wait_until(lambda: started.controller.engine.hello is not None, timeout=120)
    assert started.controller.engine.python == str(REAL_PYTHON)


def test_a_python_that_cannot_run_is_said_so_with_its_reason(started, tmp_path):
    from terrasam.host.dependencies import CANNOT_RUN, check_engine, engine_message

    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'not a Python at all' >&2\nexit 3\n")
    fake.chmod(0o755)
    check = check_engine(str(fake))
    assert check.problem == CANNOT_RUN and check.detail == "not a Python at all"
    message = engine_message(check)
    assert f"{fake} (from the TerraSAM setting" in message and "cannot run: not a Python at all" in message
    assert "pip" not in message


def test_processing_can_execute_points_to_the_set_up_engine_panel(terrasam, clean, monkeypatch):
    monkeypatch.setenv("TERRASAM_PYTHON", NOWHERE)
    plugin = terrasam.classFactory(None)
    plugin.initProcessing()
    try:
        algorithms = plugin.provider.algorithms()
        assert algorithms
        for algorithm in algorithms:
            ok, message = algorithm.canExecute()
            assert not ok, algorithm.id()
            assert NOWHERE in message and "TERRASAM_PYTHON" in message and "Set up engine panel" in message
    finally:
        plugin.unload()


def test_install_in_the_panel_runs_as_a_task_with_progress_and_a_live_log(started, clean, tmp_path):
    """Install from a wheelhouse through the panel (its task, its bar, its log). The tiny engine has no
    torch, so the panel installs it, points the setting at it, and still says what the engine lacks."""
    started.initGui()
    started.action.trigger()
    panel = started.setup
    wheels = tiny_wheelhouse(tmp_path / "wheels")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("beta==1.0\n")
    panel.wheelhouse_widget.setFilePath(str(wheels))
    options = panel.install_options()
    assert options.wheelhouse == str(wheels) and options.target == clean.value("TerraSAM/engine_dir")
    options = replace(
        options,
        base_python=str(Path(sys.base_prefix) / "bin" / "python3"),
        requirements=str(requirements),
        constraints=None,
        check_modules=("beta",),
    )
    seen: list[int] = []
    task = panel.start_install(options)
    task.progressChanged.connect(lambda value: seen.append(int(value)))
    assert panel.cancel_button.isVisibleTo(panel) and not panel.install_button.isEnabled()
    wait_until(lambda: panel.task is None, timeout=180)
    assert "The engine is installed in" in panel.result_label.text(), panel.result_label.text()
    log = panel.log_view.toPlainText()
    assert "Successfully installed" in log and "beta" in log
    assert seen and max(seen) == 100
    installed = Path(options.target) / "bin" / "python"
    assert clean.value("TerraSAM/python") == str(installed), "TERRASAM_PYTHON would win otherwise"
    assert panel.check.python == str(installed) and not panel.check.ok and "torch" in panel.check.missing
    assert started.controller is None


def test_cancel_in_the_panel_keeps_the_previous_engine(started, clean, tmp_path):
    started.initGui()
    started.action.trigger()
    panel = started.setup
    target = Path(clean.value("TerraSAM/engine_dir"))
    target.mkdir(parents=True)
    (target / "OLD-ENGINE").write_text("kept")
    panel.wheelhouse_widget.setFilePath(str(tiny_wheelhouse(tmp_path / "wheels")))
    panel.install_button.click()  # the plugin's own requirements and QGIS's Python, from the tiny wheelhouse
    wait_until(lambda: "-m venv" in panel.log_view.toPlainText(), timeout=60)
    panel.cancel_button.click()
    wait_until(lambda: panel.task is None, timeout=10)
    assert "cancelled" in panel.result_label.text()
    assert sorted(p.name for p in target.parent.iterdir()) == ["engine-venv"]
    assert sorted(p.name for p in target.iterdir()) == ["OLD-ENGINE"]
    assert panel.install_button.isEnabled()
