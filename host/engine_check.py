"""Check an engine Python: import its packages in a subprocess and report what failed and the device.

The installer's final check (``ui/engine_installer.py``) and its process helpers; Qt-free. The import runs in
the engine's own interpreter, never in QGIS (torch and rasterio must not load into the QGIS process).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..sam_core.errors import Cancelled
from ..sam_core.service.client import engine_environment

#: the modules the final check imports (segment_anything imports torchvision at import)
CHECK_MODULES = ("torch", "torchvision", "segment_anything", "rasterio")
CHECK_TIMEOUT_S = 600
POLL_S = 0.1
STOP_GRACE_S = 1.5
_MARKER = "TERRASAM-CHECK "
_CHECK_CODE = r"""
import importlib, json, sys
report = {"python": sys.executable, "version": sys.version.split()[0], "failed": {}}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except BaseException as exc:
        report["failed"][name] = "%s: %s" % (type(exc).__name__, exc)
torch = sys.modules.get("torch")
if torch is not None and "torch" not in report["failed"]:
    report["torch"] = torch.__version__
    report["cuda_build"] = torch.version.cuda or ""
    try:
        mps = getattr(torch.backends, "mps", None)
        if torch.cuda.is_available():
            report["device"], report["reason"] = "cuda", torch.cuda.get_device_name(0)
        elif mps is not None and mps.is_available():
            report["device"], report["reason"] = "mps", "apple_gpu"
        else:
            report["device"] = "cpu"
            report["reason"] = "no_gpu" if torch.version.cuda else "cpu_build"
    except Exception as exc:
        report["device"], report["reason"] = "cpu", "query_failed: %s" % exc
print("TERRASAM-CHECK " + json.dumps(report))
"""


@dataclass
class CheckReport:
    """What the check found in a Python: modules that failed to import (name → error) and the device
    (``cuda``/``mps``/``cpu``) with its ``reason`` (a GPU name, ``no_gpu``, ``cpu_build``, ...)."""

    python: str
    failed: dict[str, str] = field(default_factory=dict)
    device: str = ""
    reason: str = ""
    torch: str = ""
    cuda_build: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def check_python(
    python: str,
    modules: Sequence[str] = CHECK_MODULES,
    timeout: float = CHECK_TIMEOUT_S,
    cancelled: Callable[[], bool] = lambda: False,
) -> CheckReport:
    """Import ``modules`` in ``python`` (a subprocess) and report what failed and which device torch sees.
    Importing torch takes seconds: ``cancelled`` is polled meanwhile (raises ``Cancelled``)."""
    try:
        process = subprocess.Popen(
            [python, "-c", _CHECK_CODE, json.dumps(list(modules))],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(python),
            start_new_session=os.name == "posix",
        )
    except OSError as exc:
        return CheckReport(python, failed={"python": str(exc.strerror or exc)})
    deadline = time.monotonic() + timeout
    while True:
        try:
            stdout, stderr = process.communicate(timeout=POLL_S)
            break
        except subprocess.TimeoutExpired:
            stop = "cancel" if cancelled() else "timeout" if time.monotonic() > deadline else ""
            if stop:
                stop_process(process)
                process.communicate()  # closes the pipes
            if stop == "cancel":
                raise Cancelled("cancelled: the old engine is kept") from None
            if stop == "timeout":
                return CheckReport(python, failed={"python": f"no answer within {timeout:.0f} s"})
    for line in reversed(stdout.splitlines()):
        if line.startswith(_MARKER):
            data = json.loads(line[len(_MARKER) :])
            return CheckReport(
                python,
                failed=dict(data.get("failed", {})),
                device=data.get("device", ""),
                reason=data.get("reason", ""),
                torch=data.get("torch", ""),
                cuda_build=data.get("cuda_build", ""),
            )
    tail = (stderr.strip().splitlines() or [f"exit code {process.returncode}"])[-1]
    return CheckReport(python, failed={"python": tail})


def venv_python(venv: str) -> str:
    """The interpreter inside the virtual environment folder ``venv`` (Windows or POSIX layout)."""
    windows = os.path.join(venv, "Scripts", "python.exe")
    return windows if os.name == "nt" or os.path.isfile(windows) else os.path.join(venv, "bin", "python")


def has_nvidia_gpu() -> bool:
    """An NVIDIA driver is installed (its tool or its kernel module): only then are CUDA wheels worth it."""
    return bool(shutil.which("nvidia-smi")) or os.path.exists("/proc/driver/nvidia/version")


def clean_env(python: str) -> dict[str, str]:
    """The engine's environment (no ``PYTHONHOME`` for a venv) without ``PYTHONPATH``: pip must see only
    the venv, or it skips packages found on QGIS's path, which the engine would then depend on."""
    env = engine_environment(python)
    env.pop("PYTHONPATH", None)
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONUNBUFFERED="1")
    return env


def pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


def stop_process(process: subprocess.Popen) -> None:
    """End ``process`` and its children (pip's build subprocesses): its group is terminated, then killed."""
    if process.poll() is not None:
        return
    if os.name == "posix":
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(STOP_GRACE_S)
                break
            except subprocess.TimeoutExpired:
                continue
    else:
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True, check=False)
    process.wait()
