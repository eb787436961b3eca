"""**Get a model…**: download an official SAM checkpoint (or one from a URL) into the QGIS profile, then use it.

The download runs in a ``QgsTask`` with ``sam_core.sam.checkpoints.download`` (standard library only: nothing
heavy enters the QGIS process): progress and Cancel in the dialog, resume of an interrupted download, the
SHA-256 checked before the file gets its final name, and a file that fails the check deleted and said so.
On success the dialog calls ``on_downloaded(path)``; the dock sets it as its checkpoint, which loads it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qgis.core import QgsApplication
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QCoreApplication, Qt
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from ..sam_core.errors import SamCoreError
from ..sam_core.sam.checkpoints import OFFICIAL, Downloaded, download, resolve
from .tasks import EngineTask

CUSTOM = "custom"


class _Downloader:
    """``download`` behind the engine client's ``call`` signature, so that ``EngineTask`` runs it as it runs
    every engine call (progress, cancel, errors); it keeps the byte counts the dialog shows."""

    def __init__(self) -> None:
        self.done, self.total = 0, None

    def call(self, method: str, params: dict, progress, is_cancelled) -> Downloaded:
        def bytes_progress(done: int, total: int | None) -> None:
            self.done, self.total = done, total
            if total:
                progress(done / total)

        return download(params["url"], params["dest"], params["sha256"], bytes_progress, is_cancelled)


class DownloadTask(EngineTask):
    """One download off the UI thread: ``result`` (a ``Downloaded``), or ``error``, or neither (cancelled)."""

    def __init__(self, url: str, dest: Path, sha256: str | None, done: Callable) -> None:
        self.dest = dest
        params = {"url": url, "dest": dest, "sha256": sha256}
        super().__init__(f"TerraSAM: download {dest.name}", _Downloader(), "download", params, done)


class ModelDownloadDialog(QDialog):
    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("ModelDownloadDialog", text)

    def __init__(self, folder: str, on_downloaded: Callable[[str], None], parent=None) -> None:
        super().__init__(parent)
        self.folder, self.on_downloaded = Path(folder), on_downloaded
        self.task: DownloadTask | None = None
        self.setWindowTitle(self.tr("Get a SAM model"))
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.choice = QComboBox()
        for entry in OFFICIAL.values():
            self.choice.addItem(f"{entry.name}: {entry.label}, {entry.size / 1e6:,.0f} MB", entry.name)
        self.choice.addItem(self.tr("Custom URL…"), CUSTOM)
        form.addRow(self.tr("Model"), self.choice)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://…/checkpoint.pth")
        form.addRow(self.tr("URL"), self.url_edit)
        self.sha_edit = QLineEdit()
        self.sha_edit.setPlaceholderText(self.tr("optional: 64 hexadecimal digits"))
        form.addRow(self.tr("SHA-256"), self.sha_edit)
        folder_label = QLabel(str(self.folder))
        folder_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        folder_label.setWordWrap(True)
        form.addRow(self.tr("Saved in"), folder_label)
        layout.addLayout(form)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setVisible(False)
        layout.addWidget(self.progress_bar)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.status_label)
        buttons = QDialogButtonBox()
        self.download_button = QPushButton(self.tr("Download"))
        self.cancel_button = QPushButton(self.tr("Cancel download"))
        self.cancel_button.setVisible(False)
        buttons.addButton(self.download_button, QDialogButtonBox.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ActionRole)
        buttons.addButton(QDialogButtonBox.Close).clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.choice.currentIndexChanged.connect(self._choice_changed)
        self.download_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.setMinimumWidth(520)
        self._choice_changed()

    def _choice_changed(self) -> None:
        """An official file shows its URL and published SHA-256 (read-only); Custom takes both typed in."""
        name = self.choice.currentData()
        custom = name == CUSTOM
        self.url_edit.setReadOnly(not custom)
        self.sha_edit.setReadOnly(not custom)
        if custom:
            self.url_edit.clear()
            self.sha_edit.clear()
        else:
            entry = OFFICIAL[name]
            self.url_edit.setText(entry.url)
            self.sha_edit.setText(entry.sha256)
            self.url_edit.setCursorPosition(0)
            self.sha_edit.setCursorPosition(0)
        self.status_label.clear()

    def start(self) -> None:
        name = self.choice.currentData()
        try:
            spec = self.url_edit.text().strip() if name == CUSTOM else name
            url, filename, sha256 = resolve(spec, self.sha_edit.text() if name == CUSTOM else None)
        except SamCoreError as exc:
            self.status_label.setText(str(exc))
            return
        self.task = DownloadTask(url, self.folder / filename, sha256, self._finished)
        self.task.progressChanged.connect(self._progress)
        self._busy(True)
        self.status_label.setText(self.tr("Downloading {name}…").format(name=filename))
        QgsApplication.taskManager().addTask(self.task)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _progress(self, percent: float) -> None:
        task = self.task
        if task is None:
            return
        self.progress_bar.setValue(int(percent))
        if task.engine.total:
            self.status_label.setText(
                self.tr("Downloading {name}: {done:,.1f} of {total:,.1f} MB").format(
                    name=task.dest.name, done=task.engine.done / 1e6, total=task.engine.total / 1e6
                )
            )

    def _busy(self, busy: bool) -> None:
        self.progress_bar.setVisible(busy)
        self.progress_bar.setValue(0)
        self.cancel_button.setVisible(busy)
        self.download_button.setEnabled(not busy)
        self.choice.setEnabled(not busy)

    def _finished(self, task: DownloadTask) -> None:
        if sip.isdeleted(self) or task is not self.task:
            return  # the plugin was unloaded meanwhile, or an older download
        self.task = None
        self._busy(False)
        if task.result is not None:
            path = str(task.result.path)
            verified = (
                self.tr("SHA-256 verified")
                if task.result.verified
                else self.tr("not verified (no SHA-256 given); its SHA-256 is {sha}").format(
                    sha=task.result.sha256
                )
            )
            self.status_label.setText(
                self.tr("Saved {path}: {verified}").format(path=path, verified=verified)
            )
            self.on_downloaded(path)
        elif task.error is None:  # cancelled
            self.status_label.setText(
                self.tr("Download cancelled. Download again to resume where it stopped.")
            )
        else:
            self.status_label.setText(task.error)

    def reject(self) -> None:
        """Closing the dialog cancels a running download (its partial file stays for a resume)."""
        self.cancel()
        super().reject()
