"""The dock's Set up engine panel: what is wrong with the engine Python, and the two ways to fix it.

Shown in place of the dock's sections while the engine is missing or incomplete (``TerraSAMDock.
show_engine_setup``). **Install** makes the engine venv in the QGIS profile with ``ui/engine_installer.py``
in a ``QgsTask`` (progress bar, live log, Cancel; the old engine stays until the new one works);
**Choose Python…** takes an interpreter the user already has and saves it in the TerraSAM settings. Either
way ``ready`` is emitted once the check passes, and the dock's prompts come back without a restart.
"""

from __future__ import annotations

import os
import sys
import traceback

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsTask
from qgis.gui import QgsFileWidget
from qgis.PyQt.QtCore import QCoreApplication, Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from ..host import settings
from ..host.dependencies import (
    CONSTRAINTS_FILE,
    REQUIREMENTS_FILE,
    EngineCheck,
    check_engine,
    engine_message,
    forget_checks,
    locate_engine,
    qgis_python,
    source_text,
    venv_python,
)
from ..host.engine_check import CheckReport, has_nvidia_gpu
from ..sam_core.errors import Cancelled, SamCoreError
from .engine_installer import CPU_INDEX_URL, DOWNLOAD_SIZE_TEXT, EngineInstaller, InstallOptions

LOG_TAG = "TerraSAM"
LOG_LINES = 2000  # the live log keeps the last lines of pip's output
#: the measured size of an installed engine with the CUDA wheels (notes/i10-engine.md)
INSTALLED_SIZE_TEXT = "6 GB"  # 5.7 GB measured


class InstallEngineTask(QgsTask):
    """Runs one ``EngineInstaller`` in QGIS's task manager; ``line`` carries each output line to the panel
    (a queued connection: emitted from the worker thread)."""

    line = pyqtSignal(str)
    done = pyqtSignal(bool)

    def __init__(self, options: InstallOptions) -> None:
        super().__init__(QCoreApplication.translate("EngineSetupPanel", "Installing the TerraSAM engine"))
        self.options = options
        self.report: CheckReport | None = None
        self.error = ""
        self.trace = ""  # the traceback of an unexpected error (a bug), for the QGIS log
        self.cancelled_by_user = False

    def run(self) -> bool:
        installer = EngineInstaller(self.options, self.line.emit, self.setProgress, self.isCanceled)
        try:
            self.report = installer.install()
        except Cancelled as exc:
            self.cancelled_by_user, self.error = True, str(exc)
        except (SamCoreError, OSError) as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - a bug: said in the panel, its traceback in the log
            self.error, self.trace = f"{type(exc).__name__}: {exc}", traceback.format_exc()
        return self.report is not None

    def finished(self, result: bool) -> None:
        self.done.emit(bool(result))


class EngineSetupPanel(QGroupBox):
    """The panel; ``refresh()`` checks the engine again, ``choose_python(path)`` is what Choose Python… does
    after its file dialog, ``start_install()`` what Install does."""

    ready = pyqtSignal()

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("EngineSetupPanel", text)

    def __init__(self, parent=None) -> None:
        super().__init__(self.tr("Set up engine"), parent)
        self.setObjectName("TerraSAMEngineSetup")
        self.task: InstallEngineTask | None = None
        self.check: EngineCheck | None = None
        layout = QVBoxLayout(self)
        self.problem_label = self._label()
        self.source_label = self._label()
        self.size_label = self._label()
        for label in (self.problem_label, self.source_label, self.size_label):
            layout.addWidget(label)
        form = QFormLayout()
        self.cpu_box = QCheckBox(self.tr("CPU-only PyTorch (a smaller download)"))
        self.cpu_box.setToolTip(
            self.tr(
                "Installs PyTorch without the CUDA libraries from the index or wheel folder below, then "
                "checks that it imports; where it does not, the default build is installed instead."
            )
        )
        self.cpu_source = QLineEdit(CPU_INDEX_URL)
        self.cpu_source.setEnabled(False)
        self.cpu_box.toggled.connect(self.cpu_source.setEnabled)
        offer_cpu = not has_nvidia_gpu() and sys.platform != "darwin"  # macOS wheels are CPU/MPS already
        self.cpu_box.setVisible(offer_cpu)
        self.cpu_source.setVisible(offer_cpu)
        form.addRow(self.cpu_box)
        form.addRow(self.tr("CPU-only from"), self.cpu_source)
        form.labelForField(self.cpu_source).setVisible(offer_cpu)
        self.wheelhouse_widget = QgsFileWidget()
        self.wheelhouse_widget.setStorageMode(QgsFileWidget.GetDirectory)
        self.wheelhouse_widget.setToolTip(
            self.tr("Offline: a folder of wheels made with make wheelhouse; nothing is downloaded then")
        )
        form.addRow(self.tr("Wheel folder"), self.wheelhouse_widget)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.install_button = QPushButton(self.tr("Install"))
        self.choose_button = QPushButton(self.tr("Choose Python…"))
        self.check_button = QPushButton(self.tr("Check again"))
        for button in (self.install_button, self.choose_button, self.check_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        progress = QHBoxLayout()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        progress.addWidget(self.progress_bar, 1)
        progress.addWidget(self.cancel_button)
        layout.addLayout(progress)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(LOG_LINES)
        self.log_view.setMinimumHeight(120)
        layout.addWidget(self.log_view)
        self.result_label = self._label()
        layout.addWidget(self.result_label)
        self._show_busy(False)
        self.install_button.clicked.connect(lambda: self.start_install())
        self.choose_button.clicked.connect(self._choose_clicked)
        self.check_button.clicked.connect(lambda: self.refresh())
        self.cancel_button.clicked.connect(self.cancel_install)

    @staticmethod
    def _label() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextSelectableByMouse)  # the user can copy a path or a command
        return label

    # -- what the panel shows ---------------------------------------------------------------------------
    def refresh(self) -> EngineCheck:
        """Check the engine Python again; show what is wrong, or emit ``ready``."""
        forget_checks()
        return self.show_check(check_engine())

    def show_check(self, check: EngineCheck) -> EngineCheck:
        self.check = check
        self.problem_label.setText(
            engine_message(check) if not check.ok else self.tr("The engine is set up.")
        )
        self.source_label.setText(
            self.tr("Engine Python now: {python}, from {source}.").format(
                python=check.python, source=source_text(check.location.source)
            )
        )
        self.size_label.setText(
            self.tr(
                "Install makes a Python environment for the engine in {folder}, from {python}, with the "
                "packages pinned in {requirements}. The download is {size} (PyTorch with its CUDA "
                "libraries); the installed engine takes about {disk} on disk."
            ).format(
                folder=settings.engine_dir(),
                python=qgis_python(),
                requirements=REQUIREMENTS_FILE,
                size=DOWNLOAD_SIZE_TEXT,
                disk=INSTALLED_SIZE_TEXT,
            )
        )
        if check.ok:
            self.ready.emit()
        return check

    def choose_python(self, path: str) -> EngineCheck:
        """Use the interpreter at ``path`` (saved as the TerraSAM setting ``python``) and check it."""
        settings.set_value("python", path)
        self._log(self.tr("Engine Python set to {path} (TerraSAM settings)").format(path=path))
        return self.refresh()

    def _choose_clicked(self) -> None:
        start = os.path.dirname(self.check.python) if self.check is not None else ""
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose the engine's Python"), start)
        if path:
            self.choose_python(path)

    # -- install ----------------------------------------------------------------------------------------
    def install_options(self) -> InstallOptions:
        """What Install installs: the plugin's pinned requirements (and constraints, where shipped), from
        the wheel folder when one is given, CPU-only PyTorch first when that box is ticked."""
        wheelhouse = self.wheelhouse_widget.filePath().strip() or None
        cpu = (
            self.cpu_source.text().strip()
            if self.cpu_box.isChecked() and self.cpu_box.isVisibleTo(self)
            else None
        )
        return InstallOptions(
            target=settings.engine_dir(),
            base_python=qgis_python(),
            requirements=REQUIREMENTS_FILE,
            constraints=CONSTRAINTS_FILE if os.path.isfile(CONSTRAINTS_FILE) else None,
            wheelhouse=wheelhouse,
            cpu_torch=cpu or None,
        )

    def start_install(self, options: InstallOptions | None = None) -> InstallEngineTask | None:
        if self.task is not None:
            return None
        self.log_view.clear()
        self.result_label.setText("")
        self.task = InstallEngineTask(options or self.install_options())
        self.task.line.connect(self._log)
        self.task.progressChanged.connect(lambda value: self.progress_bar.setValue(int(value)))
        self.task.done.connect(self._install_done)
        self._show_busy(True)
        QgsApplication.taskManager().addTask(self.task)
        return self.task

    def cancel_install(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def shutdown(self) -> None:
        """The plugin unloads: cancel a running install (its clean-up finishes in the task's thread)."""
        task, self.task = self.task, None
        if task is not None:
            for signal in (task.line, task.done, task.progressChanged):
                signal.disconnect()
            task.cancel()

    def _install_done(self, ok: bool) -> None:
        task, self.task = self.task, None
        self._show_busy(False)
        if task is None:
            return
        if not ok:
            text = (
                self.tr("Install cancelled; the previous engine is unchanged.")
                if task.cancelled_by_user
                else self.tr("Install failed: {error}").format(error=task.error)
            )
            self.result_label.setText(text)
            QgsMessageLog.logMessage("\n".join(filter(None, [text, task.trace])), LOG_TAG, Qgis.Warning)
            return
        installed = venv_python(task.options.target)
        done = self.tr("The engine is installed in {folder}.").format(folder=task.options.target)
        text = " ".join([done, device_text(task.report), *task.report.notes])
        if locate_engine().python != installed:  # a setting or TERRASAM_PYTHON would still win: point it here
            settings.set_value("python", installed)
        self.result_label.setText(text)
        QgsMessageLog.logMessage(text, LOG_TAG, Qgis.Info)
        self.refresh()

    def _show_busy(self, busy: bool) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.log_view.setVisible(busy or bool(self.log_view.toPlainText()))
        for button in (self.install_button, self.choose_button, self.check_button):
            button.setEnabled(not busy)
        if busy:
            self.progress_bar.setValue(0)

    def _log(self, line: str) -> None:
        self.log_view.setVisible(True)
        self.log_view.appendPlainText(line)


def device_text(report: CheckReport | None) -> str:
    """Where the engine computes, and why, from the install's final check."""
    if report is None or not report.device:
        return ""
    if report.device == "cuda":
        return EngineSetupPanel.tr("It computes on the GPU: {name} (CUDA).").format(name=report.reason)
    if report.device == "mps":
        return EngineSetupPanel.tr("It computes on the Apple GPU (MPS).")
    if report.reason == "no_gpu":
        return EngineSetupPanel.tr(
            "It computes on the CPU: PyTorch is built with CUDA {cuda}, but no NVIDIA GPU or driver was found."
        ).format(cuda=report.cuda_build)
    if report.reason == "cpu_build":
        return EngineSetupPanel.tr("It computes on the CPU: this PyTorch is a CPU-only build.")
    return EngineSetupPanel.tr("It computes on the CPU ({reason}).").format(reason=report.reason)
