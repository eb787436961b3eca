"""The engine installer end to end against a wheelhouse the test writes: real venvs, real pip, no network.

Each install makes a real virtual environment from Debian's Python (as the Set up engine panel does with
QGIS's) and runs pip with ``--no-index --find-links``; ``PIP_NO_INDEX`` is set too, so nothing can reach a
registry. The requirements and the modules the final check imports are the test's own (the tiny wheels have
no torch); the check's positive case with torch runs on the project's real ``.venv``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_wheels import tiny_wheelhouse, write_wheel

ROOT = Path(__file__).resolve().parents[2]
BASE_PYTHON = str(Path(sys.base_prefix) / "bin" / "python3")


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")


@pytest.fixture
def installer_module(terrasam):
    from terrasam.ui import engine_installer

    return engine_installer


@pytest.fixture
def check_module(terrasam):
    from terrasam.host import engine_check

    return engine_check


@pytest.fixture
def layout(tmp_path):
    """A wheelhouse, requirements for alpha + beta, and an 'old engine' folder with a marker file."""
    wheels = tiny_wheelhouse(tmp_path / "wheels")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# the test's engine\nalpha==1.0\nbeta==1.0\n")
    target = tmp_path / "profile" / "terrasam" / "engine-venv"
    target.mkdir(parents=True)
    (target / "OLD-ENGINE").write_text("the engine that worked before")
    return wheels, requirements, target


def options(module, wheels, requirements, target, **extra):
    return module.InstallOptions(
        target=str(target),
        base_python=BASE_PYTHON,
        requirements=str(requirements),
        wheelhouse=str(wheels),
        check_modules=("alpha", "beta"),
        use_uv=False,
        **extra,
    )


class Recorded:
    def __init__(self, cancel_when=None, delay: float = 0.0):
        self.lines: list[str] = []
        self.progress: list[float] = []
        self.cancel_when = cancel_when
        self.cancel_at: float | None = None  # when the cancel is requested (``delay`` after the line)
        self.delay = delay

    def log(self, line: str) -> None:
        self.lines.append(line)
        if self.cancel_when is not None and self.cancel_at is None and self.cancel_when(line):
            self.cancel_at = time.monotonic() + self.delay

    def cancelled(self) -> bool:
        return self.cancel_at is not None and time.monotonic() >= self.cancel_at


def leftovers(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


def test_install_from_a_wheelhouse_renames_the_new_engine_into_place(installer_module, check_module, layout):
    wheels, requirements, target = layout
    rec = Recorded()
    installer = installer_module.EngineInstaller(
        options(installer_module, wheels, requirements, target), rec.log, rec.progress.append
    )
    report = installer.install()

    assert report.ok, report.failed
    assert report.python == str(target / "bin" / "python")  # the check ran the renamed venv's Python
    assert not (target / "OLD-ENGINE").exists() and (target / "pyvenv.cfg").is_file()
    assert leftovers(target) == [], "no temporary or old engine folder may stay behind"
    # progress: rising, from the start to 100
    assert rec.progress[-1] == 100 and rec.progress == sorted(rec.progress) and len(set(rec.progress)) >= 5
    # the live log: the commands and pip's own lines
    assert any(line.startswith("$ ") and "-m venv" in line for line in rec.lines)
    assert any("--no-index --find-links" in line for line in rec.lines)
    assert any(line.startswith("Successfully installed") and "alpha" in line for line in rec.lines), rec.lines
    # the renamed venv runs the engine's way (python -m ...) with its packages
    check = check_module.check_python(str(target / "bin" / "python"), ["beta"])
    assert check.ok and check.device == ""  # no torch in this engine: no device to report


def test_a_failing_package_leaves_the_old_engine_untouched(installer_module, layout):
    wheels, requirements, target = layout
    requirements.write_text("alpha==1.0\ngamma==1.0\n")  # gamma needs a package the wheelhouse lacks
    crashed = target.parent / "engine-venv.partial-crashed"  # what QGIS closed mid-install leaves behind
    (crashed / "bin").mkdir(parents=True)
    rec = Recorded()
    installer = installer_module.EngineInstaller(
        options(installer_module, wheels, requirements, target), rec.log, rec.progress.append
    )
    with pytest.raises(installer_module.InstallError, match="pip failed.*no-such-dependency"):
        installer.install()
    assert sorted(p.name for p in target.iterdir()) == ["OLD-ENGINE"]
    assert leftovers(target) == [], "this run's staging folder and the crashed run's are removed"


def test_cancel_mid_install_stops_quickly_and_keeps_the_old_engine(installer_module, layout):
    wheels, requirements, target = layout
    from terrasam.sam_core.errors import Cancelled

    # cancelled a second into making the venv (ensurepip installing pip into it): a half-made venv exists
    rec = Recorded(cancel_when=lambda line: line.startswith("$ ") and "-m venv" in line, delay=1.0)
    installer = installer_module.EngineInstaller(
        options(installer_module, wheels, requirements, target), rec.log, rec.progress.append, rec.cancelled
    )
    with pytest.raises(Cancelled):
        installer.install()
    assert rec.cancel_at is not None and time.monotonic() - rec.cancel_at < 2.5
    assert sorted(p.name for p in target.iterdir()) == ["OLD-ENGINE"]
    assert leftovers(target) == [], "the half-made venv must be removed"
    assert not any(line.startswith("Successfully installed") for line in rec.lines)


def install_with_a_cpu_build(module, layout, code: str):
    """Install alpha + beta with a "CPU-only" alpha 1.0+cpu (its module code: ``code``) tried first; the
    report, the log and the alpha version the installed engine imports."""
    wheels, requirements, target = layout
    cpu = target.parent.parent / "cpu-wheels"
    write_wheel(cpu, "alpha", "1.0+cpu", code)
    rec = Recorded()
    opts = options(
        module,
        wheels,
        requirements,
        target,
        cpu_torch=str(cpu),
        cpu_packages=("alpha",),
        cpu_check_modules=("alpha",),
    )
    report = module.EngineInstaller(opts, rec.log, rec.progress.append).install()
    python = str(target / "bin" / "python")
    out = subprocess.run(
        [python, "-c", "import alpha, beta; print(alpha.VERSION)"], capture_output=True, text=True, check=True
    )
    return report, rec, out.stdout.strip(), str(cpu)


def test_cpu_only_pair_that_does_not_import_falls_back_to_the_default(installer_module, layout):
    """The CPU-only build is tried from its own wheel folder, checked by importing it, and replaced by the
    default package when the import fails (as the registry's torchvision fails with the CPU-only torch)."""
    failing = "raise ImportError('libcudart.so.13: cannot open shared object')\n"
    report, rec, version, _ = install_with_a_cpu_build(installer_module, layout, failing)
    assert report.ok
    assert len(report.notes) == 1 and "did not work" in report.notes[0] and "libcudart" in report.notes[0]
    assert any("Trying the CPU-only alpha==1.0" in line for line in rec.lines)
    assert version == "1.0", "the default build must replace the CPU-only one"


def test_cpu_only_pair_that_imports_is_kept(installer_module, layout):
    report, rec, version, cpu = install_with_a_cpu_build(installer_module, layout, "BUILD = 'cpu'\n")
    assert report.ok and report.notes == [f"CPU-only alpha==1.0 from {cpu}"]
    assert any("The CPU-only build imports: keeping it" in line for line in rec.lines)
    assert version == "1.0+cpu", "the default wheelhouse must not replace a CPU-only build that works"


def test_the_final_check_reports_the_device_of_a_real_engine(check_module):
    """The positive case needs torch: the project's own engine Python has it."""
    report = check_module.check_python(str(ROOT / ".venv" / "bin" / "python"))
    assert report.ok, report.failed
    assert report.torch.startswith("2.")
    assert report.device in ("cuda", "cpu")
    if report.device == "cpu":  # these machines: the registry's CUDA build, no GPU
        assert report.reason == ("no_gpu" if report.cuda_build else "cpu_build")


def test_the_final_check_names_what_does_not_import(check_module, tmp_path):
    report = check_module.check_python(BASE_PYTHON, ["json", "no_such_module_xyz"])
    assert not report.ok and list(report.failed) == ["no_such_module_xyz"]
    assert "ModuleNotFoundError" in report.failed["no_such_module_xyz"]
    missing = check_module.check_python(str(tmp_path / "nothing"), ["json"])
    assert not missing.ok and "python" in missing.failed


def test_cancel_during_the_final_check_puts_the_old_engine_back(installer_module, layout):
    """The riskiest moment: the new engine is renamed into place and the old one moved aside while the check
    imports the packages (seconds for torch). A cancel then must undo the rename."""
    wheels, requirements, target = layout
    write_wheel(wheels, "slow", "1.0", "import time\ntime.sleep(60)\n")
    requirements.write_text("alpha==1.0\nslow==1.0\n")
    from terrasam.sam_core.errors import Cancelled

    rec = Recorded(cancel_when=lambda line: line.startswith("Checking the engine"), delay=0.5)
    opts = options(installer_module, wheels, requirements, target)
    opts.check_modules = ("alpha", "slow")
    installer = installer_module.EngineInstaller(opts, rec.log, rec.progress.append, rec.cancelled)
    with pytest.raises(Cancelled):
        installer.install()
    assert time.monotonic() - rec.cancel_at < 2.5
    assert sorted(p.name for p in target.iterdir()) == ["OLD-ENGINE"]
    assert leftovers(target) == []
