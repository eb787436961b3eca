"""Which Python runs the TerraSAM engine, where that choice came from, and what is wrong with it.

The engine (``sam_core``: torch, rasterio, shapely, pyproj) runs in a process of its own, never inside
QGIS (see ``sam_core/service/engine.py``), so the packages must be importable by *that* Python, not QGIS's. The
check asks it, in a short subprocess that only locates the packages (``find_spec``, no ``import torch``).
A problem is one of three kinds, each with its own message: the interpreter does not exist, it exists but
cannot run the check, or it runs but lacks packages. Every message says which path, where it came from
(the TerraSAM setting, ``$TERRASAM_PYTHON``, the plugin's ``.venv``, the engine Set up engine installed in
the QGIS profile, or QGIS's own Python) and what to do: the dock's Set up engine panel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field

from qgis.PyQt.QtCore import QCoreApplication

from . import settings
from .engine_check import venv_python

PLUGIN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: requirements.txt ships inside the plugin folder (see tools/package.py).
REQUIREMENTS_FILE = os.path.join(PLUGIN_DIR, "requirements.txt")
CONSTRAINTS_FILE = os.path.join(PLUGIN_DIR, "constraints.txt")
ENV_VAR = "TERRASAM_PYTHON"
CHECK_TIMEOUT_S = 60
_CHECK = "import json, sys; from sam_core.service.server import missing_modules; print(json.dumps(missing_modules()))"

#: where the engine Python came from, in the order they are tried
SETTING, ENVIRONMENT, PLUGIN_VENV, PROFILE_VENV, QGIS_PYTHON = (
    "setting",
    "environment",
    "plugin_venv",
    "profile_venv",
    "qgis",
)
#: what is wrong with it
OK, NOT_FOUND, CANNOT_RUN, MISSING = "", "not_found", "cannot_run", "missing"


@dataclass(frozen=True)
class EngineLocation:
    """An engine interpreter and where the choice came from (one of ``SETTING`` ... ``QGIS_PYTHON``)."""

    python: str
    source: str


@dataclass(frozen=True)
class EngineCheck:
    """The answer of ``check_engine``: ``problem`` is ``OK``, ``NOT_FOUND``, ``CANNOT_RUN`` or ``MISSING``."""

    location: EngineLocation
    problem: str = OK
    missing: list[str] = field(default_factory=list)
    detail: str = ""

    @staticmethod
    def tr(text: str) -> str:
        """Translate the messages about the engine (pylupdate5 files ``EngineCheck.tr()`` here)."""
        return QCoreApplication.translate("EngineCheck", text)

    @property
    def ok(self) -> bool:
        return self.problem == OK

    @property
    def python(self) -> str:
        return self.location.python


def locate_engine() -> EngineLocation:
    """The engine's interpreter: the TerraSAM setting ``python`` (Set up engine → Choose Python…), else
    ``$TERRASAM_PYTHON``, else a ``.venv`` inside the plugin folder (a developer checkout), else the engine
    Set up engine installed in the QGIS profile, else the Python that QGIS embeds."""
    chosen = settings.value("python")
    if chosen:
        return EngineLocation(chosen, SETTING)
    from_env = os.environ.get(ENV_VAR, "")
    if from_env:
        return EngineLocation(from_env, ENVIRONMENT)
    for source, python in (
        (PLUGIN_VENV, venv_python(os.path.join(PLUGIN_DIR, ".venv"))),
        (PROFILE_VENV, venv_python(settings.engine_dir())),
    ):
        if os.path.isfile(python):
            return EngineLocation(python, source)
    return EngineLocation(qgis_python(), QGIS_PYTHON)


def engine_python() -> str:
    """The interpreter the engine runs with (``locate_engine`` says where it came from)."""
    return locate_engine().python


def qgis_python() -> str:
    """The standalone interpreter of the Python QGIS embeds (``sys.executable`` is QGIS itself there)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    if os.name == "nt":
        candidates = [os.path.join(sys.base_exec_prefix, name) for name in ("python3.exe", "python.exe")]
    else:
        candidates = [os.path.join(sys.base_exec_prefix, "bin", f"python{version}")]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    return shutil.which("python3") or "python3"


_qgis_python = qgis_python  # the name older code used


def check_engine(python: str | None = None) -> EngineCheck:
    """What is wrong with the engine Python (default: ``locate_engine()``; a given path counts as chosen in
    the settings): it does not exist, cannot run the check, or lacks packages; ``OK`` when none of these."""
    from ..sam_core.service.client import engine_environment

    location = locate_engine() if python is None else EngineLocation(python, SETTING)
    python = location.python
    found = python if os.path.isabs(python) else shutil.which(python)
    if not found or not os.path.exists(found):
        return EngineCheck(location, NOT_FOUND)
    if os.path.isdir(found) or not os.access(found, os.X_OK):
        return EngineCheck(location, CANNOT_RUN, detail=EngineCheck.tr("it is a folder or not executable"))
    try:
        result = subprocess.run(
            [found, "-c", _CHECK],
            cwd=PLUGIN_DIR,
            env=engine_environment(found),
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return EngineCheck(location, CANNOT_RUN, detail=EngineCheck.tr("it did not answer within a minute"))
    except OSError as exc:
        return EngineCheck(location, CANNOT_RUN, detail=str(exc.strerror or exc))
    try:
        missing = json.loads(result.stdout)
    except ValueError:
        missing = None
    if not isinstance(missing, list):
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        detail = (
            lines[-1].strip() if lines else EngineCheck.tr("exit code {code}").format(code=result.returncode)
        )
        return EngineCheck(location, CANNOT_RUN, detail=detail)
    return (
        EngineCheck(location, MISSING, missing=[str(m) for m in missing])
        if missing
        else EngineCheck(location)
    )


_cache_lock = threading.Lock()
_cache: dict[str, EngineCheck] = {}


def cached_check() -> EngineCheck:
    """``check_engine()`` asked once per interpreter per process (Processing asks before every run);
    ``forget_checks`` after the engine changed (the Set up engine panel does)."""
    location = locate_engine()
    with _cache_lock:
        if location.python not in _cache:
            _cache[location.python] = check_engine()
        return _cache[location.python]


def forget_checks() -> None:
    with _cache_lock:
        _cache.clear()


def missing_dependencies(python: str | None = None) -> list[str]:
    """The pip names of the required packages ``python`` (default: ``engine_python()``) cannot find; every
    package when that Python cannot be run at all."""
    from ..sam_core.service.server import REQUIRED_MODULES

    check = check_engine(python)
    if check.problem in (NOT_FOUND, CANNOT_RUN):
        return [dist for _, dist in REQUIRED_MODULES]
    return check.missing


def source_text(source: str) -> str:
    """Where an engine Python came from, as the messages say it."""
    return {
        SETTING: EngineCheck.tr("the TerraSAM setting “Engine Python” (Set up engine → Choose Python…)"),
        ENVIRONMENT: EngineCheck.tr("the environment variable TERRASAM_PYTHON"),
        PLUGIN_VENV: EngineCheck.tr("the .venv folder inside the plugin folder"),
        PROFILE_VENV: EngineCheck.tr("the engine that Set up engine installed in the QGIS profile"),
        QGIS_PYTHON: EngineCheck.tr("the Python of QGIS (no engine Python is chosen or installed yet)"),
    }.get(source, source)


def problem_text(check: EngineCheck) -> str:
    """One sentence: which Python, from where, and what is wrong with it ("" when nothing is)."""
    values = {"python": check.python, "source": source_text(check.location.source), "detail": check.detail}
    if check.problem == NOT_FOUND:
        text = EngineCheck.tr("The engine Python {python} (from {source}) does not exist.")
    elif check.problem == CANNOT_RUN:
        text = EngineCheck.tr("The engine Python {python} (from {source}) cannot run: {detail}.")
    elif check.problem == MISSING:
        values["packages"] = ", ".join(check.missing)
        text = EngineCheck.tr("The engine Python {python} (from {source}) lacks these packages: {packages}.")
    else:
        return ""
    return text.format(**values)


def engine_message(check: EngineCheck, requirements: str = REQUIREMENTS_FILE) -> str:
    """The complete message for a problem: what is wrong, then what to do ("" when nothing is)."""
    if check.ok:
        return ""
    steps = [problem_text(check), EngineCheck.tr("Segmentation is disabled until the engine is set up.")]
    if check.location.source == ENVIRONMENT:
        steps.append(
            EngineCheck.tr(
                "Correct or unset TERRASAM_PYTHON; a Python chosen in the Set up engine panel takes precedence over it."
            )
        )
    steps.append(
        EngineCheck.tr(
            "Open the TerraSAM dock (Raster → TerraSAM): its Set up engine panel installs the engine "
            "into the QGIS profile (Install) or uses a Python you already have (Choose Python…)."
        )
    )
    if check.problem == MISSING:
        steps.append(install_hint(check.missing, check.python, requirements))
    return " ".join(steps)


def missing_message(missing: list[str], python: str) -> str:
    """``engine_message`` for an engine that started and said it lacks ``missing`` (the dock's controller)."""
    location = locate_engine()
    source = location.source if location.python == python else SETTING
    return engine_message(EngineCheck(EngineLocation(python, source), MISSING, list(missing)))


def install_hint(missing: list[str], python: str | None = None, requirements: str = REQUIREMENTS_FILE) -> str:
    """The pip command that installs ``missing`` into ``python``, an interpreter that runs (for a missing or
    broken one use ``engine_message``, which does not suggest pip)."""
    if not missing:
        return ""
    # pylupdate5 only extracts literal QCoreApplication.translate("Context", "text") calls, and it loses the
    # text when the argument list ends with a trailing comma, which ruff format would add: keep this call
    # exactly in this shape (no comma after the last string) between the fmt: off / on markers.
    # fmt: off
    text = QCoreApplication.translate(
        "TerraSAM",
        "To install the missing packages ({packages}) yourself instead: "
        '"{python}" -m pip install -r "{requirements}" (where that Python is externally managed, as on '
        "Debian or Ubuntu, use Install in the Set up engine panel, which makes a virtual environment)."
    )
    # fmt: on
    return text.format(
        packages=", ".join(missing), requirements=requirements, python=python or engine_python()
    )
