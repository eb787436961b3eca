"""make demo's script: a clear stop without a checkpoint, and the full run with a (tiny) checkpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyogrio

ROOT = Path(__file__).resolve().parents[1]


def run_demo(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "demo.py"), *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )


def test_without_a_checkpoint_it_stops_with_one_sentence_saying_where_to_get_one(tmp_path, rgb_tif):
    env = {k: v for k, v in os.environ.items() if k != "SAM_CHECKPOINT"}
    env["HOME"] = str(tmp_path)  # no ~/.cache/terrasam checkpoint
    result = run_demo("--raster", rgb_tif, "--out", tmp_path / "out", env=env)
    if (ROOT / "checkpoints" / "sam_vit_b_01ec64.pth").exists():
        assert result.returncode == 0  # a developer who has the file gets the real demo
        return
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "sam_vit_b_01ec64.pth" in lines[0] and "checkpoints" in lines[0]
    assert "Traceback" not in result.stderr


def test_demo_writes_a_geopackage_and_a_png_preview(tmp_path, rgb_tif, tiny_checkpoint):
    out = tmp_path / "demo"
    result = run_demo("--raster", rgb_tif, "--checkpoint", tiny_checkpoint, "--out", out)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert Path(report["gpkg"]).exists() and Path(report["png"]).read_bytes()[:4] == b"\x89PNG"
    info = pyogrio.read_info(report["gpkg"])
    assert info["features"] == len(report["objects"]) >= 1
    assert {o["prompt_type"] for o in report["objects"]} <= {"point", "box"}


def test_a_missing_raster_is_one_error_line(tmp_path, tiny_checkpoint):
    result = run_demo("--raster", tmp_path / "none.tif", "--checkpoint", tiny_checkpoint)
    assert result.returncode == 2 and result.stderr.startswith("error: raster not found")
