"""Running ``python -m sam_core`` as a user does, and checking its error contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: what would clash with QGIS's own libraries inside QGIS (GEOS, GDAL, PROJ, LLVM): never loaded there
HEAVY = ("torch", "triton", "shapely", "rasterio", "pyproj", "segment_anything")


def fresh_process_report(code: str, *args) -> dict:
    """Run ``code`` in a fresh Python (this test process imported every library long ago) with ``args`` and
    the names in ``HEAVY`` (comma-joined) as its last argument; the JSON object on its last output line."""
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, args), ",".join(HEAVY)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_cli(*args, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sam_core", *map(str, args)],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_user_error(result: subprocess.CompletedProcess, *words: str) -> None:
    """Exit code 2, exactly one ``error: ...`` line naming ``words``, and no traceback."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
