"""Tiny wheels written by the tests themselves, for installing an engine offline (no network, no build step).

A wheel is a zip with the package and a ``.dist-info`` folder; ``write_wheel`` writes one with the standard
library, so a test's wheelhouse holds exactly what it needs: working packages, one that requires a package
the wheelhouse lacks (pip must fail), one whose import raises (a CPU-only build that does not import).
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def write_wheel(
    folder: Path, name: str, version: str, code: str = "", requires: tuple[str, ...] = ()
) -> Path:
    """``folder/name-version-py3-none-any.whl`` with module ``name`` (its ``__init__.py`` is ``code`` plus
    ``VERSION``) and its ``Requires-Dist`` lines."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n{code}",
        f"{dist}/METADATA": "Metadata-Version: 2.1\n"
        f"Name: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires),
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: terrasam-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def tiny_wheelhouse(folder: Path) -> Path:
    """``alpha`` and ``beta`` (beta requires alpha), and ``gamma``, which requires a package not there."""
    write_wheel(folder, "alpha", "1.0")
    write_wheel(folder, "beta", "1.0", "import alpha\n", requires=("alpha",))
    write_wheel(folder, "gamma", "1.0", requires=("no-such-dependency>=1",))
    return folder
