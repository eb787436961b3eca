"""make demo: the full run with a (tiny) checkpoint, and ``make demo`` from a fresh clone with no
checkpoint: offline it runs on labelled random weights, online (a server on 127.0.0.1) it downloads vit_b."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
import pytest
from local_http import dead_url, serve
from PIL import Image

from sam_core.geo.preview import render_preview
from sam_core.geo.raster import RasterSource
from sam_core.sam.checkpoints import BASE_URL_ENV
from sam_core.sam.random_weights import RANDOM_LABEL

ROOT = Path(__file__).resolve().parents[2]
VIT_B = "sam_vit_b_01ec64.pth"


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


def test_a_preview_title_is_drawn_into_the_top_of_the_png(tmp_path, rgb_tif):
    with RasterSource(rgb_tif) as source:
        plain = np.asarray(Image.open(render_preview(source, [], tmp_path / "plain.png")))
        titled = np.asarray(Image.open(render_preview(source, [], tmp_path / "t.png", title=RANDOM_LABEL)))
    assert (plain[:20] != titled[:20]).any() and (plain[60:] == titled[60:]).all()


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    """``git clone`` of this checkout's committed HEAD, with ``../shared`` beside it (as in CI) and the
    ready virtualenv linked in (a fresh one is a 5 GB install)."""
    base = tmp_path_factory.mktemp("fresh")
    clone = base / "terrasam"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    (base / "shared").symlink_to(ROOT.parent / "shared")
    (clone / ".venv").symlink_to((ROOT / ".venv").resolve())
    return clone


def make_demo(clone: Path, home: Path, base_url: str, *args: str) -> subprocess.CompletedProcess:
    """``make demo`` as a new user runs it: no $SAM_CHECKPOINT, an empty home and cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("SAM_CHECKPOINT", "MAKEFLAGS", "MAKELEVEL")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / "cache"), **{BASE_URL_ENV: base_url})
    return subprocess.run(
        ["make", *_skip_env_unless_stamp_matches(clone), "demo", *args],
        cwd=clone,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _skip_env_unless_stamp_matches(clone: Path) -> list[str]:
    """``make env`` skips pip when the venv's stamp matches the clone's requirement files, as it does in CI.
    When this checkout's requirements differ from what the shared venv holds, running it would reinstall
    into that venv: then take ``env`` as done (``make -o env``); the demo itself runs the same."""
    pin = re.search(r'^PIP_PIN="(.*)"', (clone / "scripts" / "bootstrap.sh").read_text(), re.MULTILINE)
    files = ("requirements.txt", "requirements-dev.txt", "constraints.txt")
    text = b"".join((clone / name).read_bytes() for name in files) + f"{pin.group(1)}\n".encode()
    stamp = clone / ".venv" / ".terrasam-stamp"
    matches = stamp.is_file() and stamp.read_text().strip() == hashlib.sha256(text).hexdigest()
    return [] if matches else ["-o", "env"]


def demo_models(gpkg: Path) -> list[str]:
    meta, _fids, _wkb, columns = pyogrio.raw.read(gpkg, read_geometry=False)
    return list(columns[list(meta["fields"]).index("model")])


def test_make_demo_from_a_fresh_clone_with_no_network_runs_on_labelled_random_weights(fresh_clone, tmp_path):
    out = tmp_path / "out"
    result = make_demo(fresh_clone, tmp_path, dead_url(), f"OUT={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (out / "demo.gpkg").is_file() and (out / "demo.png").read_bytes()[:4] == b"\x89PNG"
    offline = [line for line in result.stderr.splitlines() if "no network" in line]
    assert len(offline) == 1 and RANDOM_LABEL in offline[0], result.stderr
    assert f"model: random_vit_b.pth (ViT-B) — {RANDOM_LABEL}" in result.stderr
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["random_weights"] is True and RANDOM_LABEL in report["model"]
    models = demo_models(out / "demo.gpkg")
    assert models and all(RANDOM_LABEL in m for m in models)
    assert not (tmp_path / "cache" / "terrasam" / "checkpoints" / VIT_B).exists()
    assert "Traceback" not in result.stderr


def test_make_demo_from_a_fresh_clone_downloads_vit_b_into_the_user_cache(
    fresh_clone, tmp_path, tiny_checkpoint
):
    """The local server stands in for Meta's: it serves the tiny checkpoint as vit_b (its digest given)."""
    data = Path(tiny_checkpoint).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    with serve({f"/{VIT_B}": data}) as server:
        result = make_demo(
            fresh_clone, tmp_path, server.base_url, f"OUT={tmp_path / 'out'}", f"CHECKPOINT_SHA256={digest}"
        )
    assert result.returncode == 0, result.stderr[-3000:]
    cached = tmp_path / "cache" / "terrasam" / "checkpoints" / VIT_B
    assert cached.read_bytes() == data and [r["path"] for r in server.requests] == [f"/{VIT_B}"]
    assert "fetching sam_vit_b_01ec64.pth: 100%" in result.stderr and "random" not in result.stderr
    assert all(m.startswith(VIT_B) for m in demo_models(tmp_path / "out" / "demo.gpkg"))
    shutil.rmtree(tmp_path / "out")
    again = make_demo(
        fresh_clone, tmp_path, dead_url(), f"OUT={tmp_path / 'out'}", f"CHECKPOINT_SHA256={digest}"
    )
    assert again.returncode == 0 and "fetching" not in again.stderr and "random" not in again.stderr
