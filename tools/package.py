#!/usr/bin/env python3
"""Build the installable plugin zip: ``dist/terrasam-<version>.zip`` with one top folder ``terrasam/``.

Usage: ``python tools/package.py [--out DIR]`` (``make package``). Standard library only. The archive holds
exactly what QGIS needs at run time (the lists below); tests, benchmarks, tools, caches and the virtual
environment stay out. Entries are sorted and time-stamped with a fixed date, so that the same tree gives the
same bytes, and the zip is written to a temporary file and renamed, so that an interrupted build never leaves
a truncated archive behind. Translations are packaged as they are: run ``make i18n-compile`` first to refresh
the ``.qm`` files.
"""

from __future__ import annotations

import argparse
import configparser
import os
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_NAME = "terrasam"

#: Files at the repository root that go into the plugin folder (all required).
FILES = [
    "metadata.txt",
    "__init__.py",
    "plugin.py",
    "icon.png",
    "LICENSE",
    "README.md",
    "requirements.txt",
    "constraints.txt",
]
#: Folders copied recursively (the Processing provider's is ``terrasam_processing``: never ``processing``).
FOLDERS = ["sam_core", "host", "ui", "terrasam_processing", "i18n"]
#: Folders that are optional (copied when present).
OPTIONAL_FOLDERS: list[str] = []
#: Never packaged, at any depth.
EXCLUDED_DIRS = {
    "__pycache__",
    "tests",
    ".venv",
    ".git",
    "bench",
    "tools",
    ".pytest_cache",
    ".ruff_cache",
    "__MACOSX",
    "build",
    "dist",
}
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".qm.tmp", ".orig", ".rej", "~")
#: plugins.qgis.org rejects uploads above this size.
MAX_UPLOAD_BYTES = 25_000_000
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def read_metadata(root: Path = ROOT) -> configparser.SectionProxy:
    parser = configparser.ConfigParser()  # default interpolation, as QGIS and plugins.qgis.org read it
    parser.optionxform = str
    with open(root / "metadata.txt", encoding="utf-8") as handle:
        parser.read_file(handle)
    return parser["general"]


def collect(root: Path = ROOT) -> list[tuple[Path, str]]:
    """(source file, path inside the plugin folder) for every file to package, sorted by archive path."""
    missing = [name for name in FILES if not (root / name).is_file()]
    missing += [name + "/" for name in FOLDERS if not (root / name).is_dir()]
    if missing:
        raise SystemExit(f"package.py: missing from {root}: {', '.join(missing)}")
    entries = [(root / name, name) for name in FILES]
    for folder in FOLDERS + [f for f in OPTIONAL_FOLDERS if (root / f).is_dir()]:
        for dirpath, dirnames, filenames in os.walk(root / folder):
            dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_DIRS and not d.startswith("."))
            for filename in sorted(filenames):
                path = Path(dirpath) / filename
                if filename.startswith(".") or filename.endswith(EXCLUDED_SUFFIXES) or path.is_symlink():
                    continue
                entries.append((path, path.relative_to(root).as_posix()))
    return sorted(entries, key=lambda entry: entry[1])


def build(out_dir: Path, root: Path = ROOT) -> Path:
    version = read_metadata(root)["version"].strip()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{PACKAGE_NAME}-{version}.zip"
    entries = collect(root)
    folders = sorted(
        {PACKAGE_NAME + "/"}
        | {
            f"{PACKAGE_NAME}/{'/'.join(Path(arc).parts[:i])}/"
            for _, arc in entries
            for i in range(1, len(Path(arc).parts))
        }
    )
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for folder in folders:
                info = zipfile.ZipInfo(folder, FIXED_DATE)
                info.external_attr = (0o40755 << 16) | 0x10
                archive.writestr(info, b"")
            for source, arc in entries:
                info = zipfile.ZipInfo(f"{PACKAGE_NAME}/{arc}", FIXED_DATE)
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, source.read_bytes())
        with zipfile.ZipFile(tmp_name) as archive:
            bad = archive.testzip()
            if bad is not None:
                raise SystemExit(f"package.py: CRC error in {bad}")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_name, 0o666 & ~umask)  # mkstemp creates 0600
        os.replace(tmp_name, target)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    size = target.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        print(
            f"package.py: warning: {size} bytes is above the plugins.qgis.org limit of {MAX_UPLOAD_BYTES}",
            file=sys.stderr,
        )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    args = parser.parse_args(argv)
    target = build(args.out.resolve())
    with zipfile.ZipFile(target) as archive:
        count = sum(1 for name in archive.namelist() if not name.endswith("/"))
    print(f"{target} ({count} files, {target.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
