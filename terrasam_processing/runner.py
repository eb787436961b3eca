"""Run ``python -m sam_core COMMAND ...`` in the engine's Python for one algorithm execution.

The one place that starts the core from Processing. It reads the command's stderr line by line while it
runs: ``progress: N%`` drives the feedback's progress bar, ``warning: ...`` becomes a feedback warning, the
``error: ...`` line (exit code 2) becomes the ``QgsProcessingException`` the user sees. A cancel through the
feedback interrupts the process (SIGINT, then SIGKILL if it does not stop within a few seconds): the command
writes its outputs atomically, so a cancelled run leaves nothing behind, and the workspace (temporary files
of this run) is deleted whatever happens. Every execution has its own runner and workspace, so runs in the
toolbox's batch mode share no state; only the (read-only) answer of the engine check is kept per process.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from typing import Self

from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsProcessingUtils
from qgis.PyQt.QtCore import QCoreApplication

from ..host.dependencies import PLUGIN_DIR, cached_check, engine_message
from ..sam_core.service.client import engine_environment

PROGRESS_PREFIX = "progress: "
#: ``progress: 37% tile 2 of 4, about 3 min left`` (``sam_core.progress.Progress.describe``)
PROGRESS_LINE = re.compile(r"progress: ([0-9.]+)%(?: tile (\d+) of (\d+))?(?:, about (.+) left)?\s*$")
WARNING_PREFIX = "warning: "
ERROR_PREFIX = "error: "
EXIT_USER_ERROR = 2
#: seconds an interrupted command gets to clean up before it is killed
INTERRUPT_GRACE_S = 3.0
POLL_S = 0.1
#: stderr lines kept to explain an unexpected exit
TAIL_LINES = 20


def engine_status() -> tuple[bool, str]:
    """What ``canExecute()`` answers: (True, "") or (False, what is wrong with the engine Python, from where,
    and that the dock's Set up engine panel sets it up). Asked once per Python per process."""
    check = cached_check()
    return (True, "") if check.ok else (False, engine_message(check))


class EngineRunner:
    """Runs one ``sam_core`` command for one algorithm execution, with progress, cancel and errors."""

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("EngineRunner", text)

    def __init__(self, feedback: QgsProcessingFeedback | None) -> None:
        self.feedback = feedback if feedback is not None else QgsProcessingFeedback()
        self.error = ""
        self.tail: list[str] = []
        self.described = False  # the first tile count and estimate went to the log

    def run(self, command: str, args: list) -> dict:
        """Run the command to its end; its JSON summary (stdout). Raises ``QgsProcessingException``."""
        check = cached_check()
        if not check.ok:
            raise QgsProcessingException(engine_message(check))
        python = check.python
        argv = [python, "-m", "sam_core", command, *(str(a) for a in args)]
        self.feedback.pushCommandInfo(" ".join(shlex.quote(a) for a in argv))
        try:
            process = subprocess.Popen(
                argv,
                cwd=PLUGIN_DIR,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=engine_environment(python),
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )
        except OSError as exc:
            raise QgsProcessingException(
                self.tr("Cannot start the TerraSAM engine with {python}: {error}").format(
                    python=argv[0], error=exc.strerror or exc
                )
            ) from exc
        stdout: list[str] = []
        lines: queue.Queue = queue.Queue()
        readers = [
            threading.Thread(target=lambda: stdout.append(process.stdout.read()), daemon=True),
            threading.Thread(target=_pump, args=(process.stderr, lines), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            self._follow(process, lines)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            for reader in readers:
                reader.join(timeout=5)
            process.stdout.close()
            process.stderr.close()
        while not lines.empty():
            self._handle(lines.get())
        return self._result(process.returncode, "".join(stdout))

    def _follow(self, process: subprocess.Popen, lines: queue.Queue) -> None:
        while True:
            try:
                line = lines.get(timeout=POLL_S)
            except queue.Empty:
                line = None
            if line is not None:
                self._handle(line)
            if self.feedback.isCanceled():
                _interrupt(process)
                raise QgsProcessingException(self.tr("Cancelled: nothing was written."))
            if line is None and process.poll() is not None and lines.empty():
                return

    def _handle(self, line: str) -> None:
        line = line.rstrip("\n")
        if line.startswith(PROGRESS_PREFIX):
            self._progress(line)
            return
        if line.startswith(WARNING_PREFIX):
            self.feedback.pushWarning(line[len(WARNING_PREFIX) :])
        elif line.startswith(ERROR_PREFIX):
            self.error = line[len(ERROR_PREFIX) :]
        elif line.strip():
            self.feedback.pushDebugInfo(line)
        self.tail = [*self.tail[-(TAIL_LINES - 1) :], line]

    def _progress(self, line: str) -> None:
        """The bar, and the tile and time left as the progress text (the first one in the log too)."""
        match = PROGRESS_LINE.match(line)
        if match is None:
            return
        percent, tile, tiles, left = match.groups()
        try:
            self.feedback.setProgress(float(percent))
        except ValueError:
            return
        if tiles:
            text = (
                self.tr("Tile {tile} of {tiles}, about {time} left")
                if left
                else self.tr("Tile {tile} of {tiles}")
            ).format(tile=tile, tiles=tiles, time=left)
            if not self.described:
                self.feedback.pushInfo(text)
                self.described = True
            self.feedback.setProgressText(text)

    def _result(self, code: int, stdout: str) -> dict:
        if code == EXIT_USER_ERROR and self.error:
            raise QgsProcessingException(self.error)
        if code != 0:
            raise QgsProcessingException(
                self.tr(
                    "The TerraSAM engine stopped unexpectedly (exit code {code}). Its last messages: {tail}"
                ).format(code=code, tail=" | ".join(self.tail) or "-")
            )
        try:
            summary = json.loads(stdout) if stdout.strip() else {}
        except ValueError:
            summary = {}
        if stdout.strip():
            self.feedback.pushInfo(stdout.strip())
        return summary if isinstance(summary, dict) else {}


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


def _interrupt(process: subprocess.Popen) -> None:
    """Ask the command to stop (it then removes its temporary files), kill it if it does not."""
    if process.poll() is not None:
        return
    if os.name == "posix":
        process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + INTERRUPT_GRACE_S
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    if process.poll() is None:
        process.kill()
    process.wait()


class Workspace:
    """A temporary folder for one execution (inputs exported for the engine, its outputs before they are
    loaded), plus exported files Processing put elsewhere; all removed on exit, whatever happened."""

    def __init__(self) -> None:
        self.path = ""
        self.exported: list[str] = []

    def __enter__(self) -> Self:
        self.path = tempfile.mkdtemp(prefix="terrasam-", dir=QgsProcessingUtils.tempFolder())
        return self

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        for path in self.exported:
            for extra in ("", "-wal", "-shm", "-journal"):
                try:
                    os.remove(path + extra)
                except OSError:
                    pass
            folder = os.path.dirname(path)
            if os.path.abspath(folder) != os.path.abspath(QgsProcessingUtils.tempFolder()):
                try:
                    os.rmdir(folder)  # the folder Processing made for this export, once empty
                except OSError:
                    pass
