"""Install the TerraSAM engine: a virtual environment with the pinned packages, all or nothing.

Qt-free (the standard library and ``sam_core``'s client helpers only): the Set up engine panel runs it in a
``QgsTask`` (``ui/engine_setup.py``), and it runs and is tested outside the UI thread. Why each step is so:

- The venv is made in a temporary folder beside the target and renamed into place only after every package
  is installed, so a failure or a cancel leaves the old engine as it was and nothing half-installed where the
  plugin looks. A venv survives a rename of its folder for what TerraSAM uses: ``bin/python`` is a link to
  the base interpreter and ``pyvenv.cfg`` is found beside it, so ``python -m sam_core serve`` and
  ``python -m pip`` work; only the scripts' shebangs (``bin/pip``) keep the old path, and TerraSAM never
  runs them. The final check (``host/engine_check.py``) therefore runs the *renamed* venv's Python, and a
  failure or a cancel puts the old engine back.
- A wheel folder (``make wheelhouse``) installs offline: ``--no-index --find-links DIR``.
- The CPU-only PyTorch pair is tried when asked for, checked by importing it, and replaced by the default
  pair when it does not import (the registry's torchvision can need the CUDA build of torch: see
  ``../shared/GUIDE.md``): detected, never guessed.
- pip runs as ``python -m pip`` of the new venv (or ``uv`` when it is on PATH), each command in a process
  group of its own, so a cancel stops it and its build subprocesses within a second or two.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..host.engine_check import (
    CHECK_MODULES,
    POLL_S,
    CheckReport,
    check_python,
    clean_env,
    pump,
    stop_process,
    venv_python,
)
from ..sam_core.errors import Cancelled, SamCoreError

CPU_PACKAGES = ("torch", "torchvision")
CPU_INDEX_URL = "https://download.pytorch.org/whl/cpu"
#: what the download weighs with the registry's CUDA wheels (measured: the installed venv, notes/i10-engine.md)
DOWNLOAD_SIZE_TEXT = "about 5–6 GB"
STAGING_PREFIX = ".partial-"
OLD_PREFIX = ".old-"


class InstallError(SamCoreError):
    """The install failed; the old engine (if any) is in place, untouched."""


@dataclass
class InstallOptions:
    """What to install where. ``target``: the engine venv folder; ``base_python``: the interpreter it is
    made from (QGIS's version: ``dependencies.qgis_python``); ``wheelhouse``: a folder of wheels to install
    from offline; ``cpu_torch``: an index URL or a wheel folder holding the CPU-only ``cpu_packages``, tried
    first and kept only when ``cpu_check_modules`` import."""

    target: str
    base_python: str
    requirements: str
    constraints: str | None = None
    wheelhouse: str | None = None
    cpu_torch: str | None = None
    cpu_packages: tuple[str, ...] = CPU_PACKAGES
    cpu_check_modules: tuple[str, ...] = ("torch", "torchvision", "segment_anything")
    check_modules: tuple[str, ...] = CHECK_MODULES
    use_uv: bool | None = None  # None: when ``uv`` is on PATH


class EngineInstaller:
    """One install run. ``log`` gets each output line, ``progress`` a percentage, ``cancelled`` is polled
    (a ``QgsTask``'s ``isCanceled``); ``install`` returns the check of the installed engine or raises
    ``InstallError`` / ``Cancelled`` with the old engine in place."""

    def __init__(
        self,
        options: InstallOptions,
        log: Callable[[str], None] = lambda line: None,
        progress: Callable[[float], None] = lambda percent: None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        self.options, self.log, self.progress, self.cancelled = options, log, progress, cancelled
        self.uv = shutil.which("uv") if options.use_uv is not False else None

    # -- the run ----------------------------------------------------------------------------------------
    def install(self) -> CheckReport:
        target = os.path.abspath(self.options.target)
        parent = os.path.dirname(target)
        os.makedirs(parent, exist_ok=True)
        _recover(target)
        staging = tempfile.mkdtemp(prefix=os.path.basename(target) + STAGING_PREFIX, dir=parent)
        try:
            self.progress(1)
            self._make_venv(staging)
            python = venv_python(staging)
            notes = self._cpu_pair(python) if self.options.cpu_torch else []
            self.log(f"Installing the packages of {self.options.requirements}")
            self._pip(
                python, self._sources(self.options.wheelhouse), ["-r", self.options.requirements], 20, 88
            )
            self._check_cancel()
            report = self._swap_in(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        report.notes = notes
        self.progress(100)
        return report

    def _make_venv(self, staging: str) -> None:
        base = self.options.base_python
        self.log(f"Creating a virtual environment with {base}")
        if self.uv:
            command = [self.uv, "venv", "--seed", "--allow-existing", "--python", base, staging]
        else:
            command = [base, "-m", "venv", staging]
        code, tail = self._run(command, base)
        if code != 0:
            hint = " (on Debian or Ubuntu: apt install python3-venv)" if "ensurepip" in tail else ""
            raise InstallError(f"could not create a virtual environment with {base}: {tail}{hint}")
        self.progress(10)

    def _cpu_pair(self, python: str) -> list[str]:
        """Install the CPU-only pair and keep it when it imports; else remove it and say why."""
        pins = _pins(self.options.requirements, self.options.cpu_packages)
        source = self.options.cpu_torch or ""
        self.log(f"Trying the CPU-only {' + '.join(pins)} from {source}")
        sources = self._sources(source) if os.path.isdir(source) else ["--index-url", source]
        if self._pip(python, sources, pins, 10, 18, fail=False) == 0:
            check = check_python(python, self.options.cpu_check_modules, cancelled=self.cancelled)
            if check.ok:
                self.log("The CPU-only build imports: keeping it")
                return [f"CPU-only {', '.join(pins)} from {source}"]
            why = "; ".join(f"{name}: {error}" for name, error in check.failed.items())
        else:
            why = f"pip could not install it from {source}"
        note = f"the CPU-only {', '.join(pins)} did not work ({why}); installed the default build instead"
        self.log(note)
        names = [re.split(r"[=<>!~; \[]", pin, maxsplit=1)[0] for pin in pins]
        self._uninstall(python, names)
        self.progress(20)
        return [note]

    def _swap_in(self, staging: str, target: str) -> CheckReport:
        """Rename ``staging`` to ``target`` (the old engine moves aside), check the renamed engine's Python,
        and put the old engine back when it fails."""
        old = None
        if os.path.lexists(target):
            old = tempfile.mkdtemp(prefix=os.path.basename(target) + OLD_PREFIX, dir=os.path.dirname(target))
            os.rmdir(old)
            os.rename(target, old)
        try:
            os.rename(staging, target)
        except OSError as exc:
            if old:
                os.rename(old, target)
            raise InstallError(f"could not move the new engine to {target}: {exc}") from exc
        self.progress(90)
        self.log(f"Checking the engine: importing {', '.join(self.options.check_modules)}")
        try:
            report = check_python(venv_python(target), self.options.check_modules, cancelled=self.cancelled)
            self._check_cancel()
            if not report.ok:
                failed = "; ".join(f"{name}: {error}" for name, error in report.failed.items())
                raise InstallError(f"the installed engine does not import {failed}; the old engine is kept")
        except BaseException:
            os.rename(target, staging)  # removed by install()'s clean-up
            if old:
                os.rename(old, target)
            raise
        if old:
            shutil.rmtree(old, ignore_errors=True)
        return report

    # -- commands ---------------------------------------------------------------------------------------
    def _sources(self, wheelhouse: str | None) -> list[str]:
        """Offline from ``wheelhouse``: only that folder (pip's ``--isolated`` ignores the user's pip
        configuration and ``PIP_*`` variables, whose extra links could otherwise be used)."""
        if not wheelhouse:
            return []
        return ["--no-index", "--find-links", wheelhouse] + ([] if self.uv else ["--isolated"])

    def _pip(
        self, python: str, sources: list[str], args: list[str], low: float, high: float, fail: bool = True
    ) -> int:
        """``pip install`` into ``python``; progress from ``low`` to ``high`` by the packages collected."""
        constraints = ["-c", self.options.constraints] if self.options.constraints else []
        if self.uv:
            argv = [self.uv, "pip", "install", "--python", python, *sources, *constraints, *args]
        else:
            argv = [python, "-m", "pip", "install", "--progress-bar", "off", *sources, *constraints, *args]
        expected = max(_count_requirements(self.options.constraints or self.options.requirements), 1)
        seen = 0

        def follow(line: str) -> None:
            nonlocal seen
            if line.startswith(("Collecting ", "Processing ")):
                seen += 1
                self.progress(low + (high - low) * 0.8 * min(1.0, seen / expected))
            elif line.startswith("Installing collected packages"):
                self.progress(low + (high - low) * 0.9)

        code, tail = self._run(argv, python, follow)
        if code != 0 and fail:
            raise InstallError(f"pip failed: {tail}")
        self.progress(high)
        return code

    def _uninstall(self, python: str, names: list[str]) -> None:
        if self.uv:
            argv = [self.uv, "pip", "uninstall", "--python", python, *names]
        else:
            argv = [python, "-m", "pip", "uninstall", "-y", *names]
        code, tail = self._run(argv, python)
        if code != 0:
            raise InstallError(f"could not remove the CPU-only build: {tail}")

    def _run(
        self, argv: list[str], python: str, follow: Callable[[str], None] | None = None
    ) -> tuple[int, str]:
        """Run ``argv``, every output line to ``log``; stop it when cancelled. (exit code, last line)."""
        self._check_cancel()
        self.log("$ " + " ".join(argv))
        posix = os.name == "posix"
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=clean_env(python),
            start_new_session=posix,
            creationflags=0 if posix else getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
        )
        lines: queue.Queue = queue.Queue()
        reader = threading.Thread(target=pump, args=(process.stdout, lines), daemon=True)
        reader.start()
        tail = ""
        try:
            while True:
                try:
                    line = lines.get(timeout=POLL_S)
                except queue.Empty:
                    line = None
                if line is not None and line.strip():
                    tail = line.rstrip()
                    self.log(tail)
                    if follow is not None:
                        follow(tail.strip())
                if self.cancelled():
                    stop_process(process)
                    raise Cancelled("cancelled: the old engine is kept")
                if line is None and process.poll() is not None and not reader.is_alive() and lines.empty():
                    return process.returncode, tail
        finally:
            if process.poll() is None:
                stop_process(process)
            reader.join(timeout=2)
            process.stdout.close()

    def _check_cancel(self) -> None:
        if self.cancelled():
            raise Cancelled("cancelled: the old engine is kept")


def _recover(target: str) -> None:
    """Undo what an interrupted run (QGIS closed mid-install) left beside ``target``: partial venvs are
    removed; an old engine moved aside comes back when ``target`` is gone, else it is removed."""
    parent, name = os.path.dirname(target), os.path.basename(target)
    for entry in sorted(os.listdir(parent)):
        path = os.path.join(parent, entry)
        if entry.startswith(name + STAGING_PREFIX):
            shutil.rmtree(path, ignore_errors=True)
        elif entry.startswith(name + OLD_PREFIX):
            if os.path.lexists(target):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.rename(path, target)


def _requirement_lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [line.split("#", 1)[0].strip() for line in handle if line.split("#", 1)[0].strip()]


def _count_requirements(path: str) -> int:
    return len([line for line in _requirement_lines(path) if not line.startswith("-")])


def _pins(requirements: str, packages: Sequence[str]) -> list[str]:
    """The lines of ``requirements`` that pin ``packages`` (the bare names when a package is not pinned)."""
    wanted = {_normal(name): name for name in packages}
    pins = {}
    for line in _requirement_lines(requirements):
        name = _normal(re.split(r"[=<>!~; \[]", line, maxsplit=1)[0])
        if name in wanted:
            pins[name] = line
    return [pins.get(key, name) for key, name in wanted.items()]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
