"""The dock inside the real ``qgis`` application (under Xvfb), not pytest-qgis's stand-in.

Only the real binary shows library clashes between QGIS and the packages the core uses (pytest-qgis loads
QGIS's libraries RTLD_LOCAL): they crashed QGIS at the first preview until the core moved into its engine
process. ``tools/real_qgis_smoke.py`` drives a whole session (model, click, encode, Accept, segment
everything, classify view) through ``make qgis`` and reports; this test runs it and checks the report.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_whole_session_in_the_real_qgis_application(tmp_path, tiny_checkpoint, terrasam):
    import torch

    from sam_core.landcover.head import new_head
    from sam_core.sam.model import load_model

    torch.manual_seed(0)
    head = new_head(load_model(tiny_checkpoint, "cpu"), ("Forest", "River", "Residential"), input_gsd_m=300.0)
    head.save(tmp_path / "head.pth")
    env = {
        **os.environ,
        "TERRASAM_SMOKE_CHECKPOINT": str(tiny_checkpoint),
        "TERRASAM_SMOKE_OUT": str(tmp_path / "out"),
        "TERRASAM_ROOT": str(ROOT),
        "TERRASAM_SMOKE_HEAD": str(tmp_path / "head.pth"),
    }
    env.pop("QT_QPA_PLATFORM", None)  # a real (virtual) X display, as users have
    command = [
        "xvfb-run",
        "-a",
        "-s",
        "-screen 0 1400x900x24",
        "make",
        "-C",
        str(ROOT),
        "qgis",
        f"QGIS_PROFILES={tmp_path / 'profiles'}",
        # relative to the checkout (make -C runs QGIS there): make splits QGIS_ARGS at spaces, and a clone's
        # folder name may hold one
        "QGIS_ARGS=--nologo --code tools/real_qgis_smoke.py",
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    report_file = tmp_path / "out" / "report.json"
    assert report_file.is_file(), (
        f"QGIS ended (status {result.returncode}) without a report:\n{result.stderr[-3000:]}"
    )
    report = json.loads(report_file.read_text())
    assert report.get("ok"), report
    assert "uncaught" not in report, report["uncaught"]
    assert result.returncode == 0, result.stderr[-3000:]
    # a normal start (QGIS calls only initGui): the toolbox lists every TerraSAM algorithm
    from terrasam.terrasam_processing.provider import ALGORITHMS

    assert report["provider"] == "TerraSAM"
    assert report["algorithms"] == sorted(f"terrasam:{cls().name()}" for cls in ALGORITHMS)
    assert report["raster_menu"] == [{"text": "TerraSAM", "submenu": None}]  # one entry, no one-item submenu
    assert report["features"] == 1 and report["features_after_everything"] >= 1  # its own layer
    assert report["land_cover_rows"] >= 1  # the area table of "Classify view"
    assert report["heavy_modules_in_qgis"] == []
    assert (tmp_path / "out" / "qgis.png").stat().st_size > 10_000
