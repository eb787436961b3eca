"""``python -m sam_core detect`` and ``info --checkpoint`` as a user runs them: the JSON summary, the layer's
fields, progress lines, one ``error:`` line for bad input, and nothing written unless the run succeeds."""

from __future__ import annotations

import json

import pyogrio
import pytest
from cli_helpers import run_cli
from detect_helpers import ORIGIN, constant_checkpoint, small_checkpoint, tuned, write_raster

import sam_core.cli.detect as detect_cli
from sam_core.cli.main import main
from sam_core.schema import DETECT_FIELDS

DESCRIPTION = "fine-tuned from ViT-B, threshold 0.65, test accuracy 62 %"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("detect_cli")


@pytest.fixture(scope="module")
def raster(folder):
    return write_raster(folder / "scene.tif", 300, 260)


@pytest.fixture(scope="module")
def constant(folder):
    """Probability 0.5 everywhere, threshold 0.45 (so one object: the extent), 64 px tiles."""
    base = small_checkpoint(folder / "small.pth")
    return tuned(
        constant_checkpoint(base, folder / "constant.pth"), folder / "constant.pth", 0.45, tile_px=64
    )


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_detect_writes_measured_objects_and_a_summary(raster, constant, tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    out = tmp_path / "objects.gpkg"
    result = run_cli("detect", raster, "--checkpoint", constant, "--device", "cpu", "--out", out)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["objects"] == 1 and summary["tile_px"] == 64 and summary["threshold"] == 0.45
    assert summary["tuned"] is True and summary["area_m2"] == pytest.approx(300 * 260 * 4, rel=2e-3)
    progress = [line for line in result.stderr.splitlines() if line.startswith("progress:")]
    assert progress and progress[-1].startswith("progress: 100%") and "tile" in progress[0]
    info = pyogrio.read_info(out)
    assert list(info["fields"]) == list(DETECT_FIELDS) and info["features"] == 1


def test_info_shows_a_tuned_models_description(constant, folder, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    described = tuned(folder / "small.pth", folder / "described.pth", 0.65, tile_px=128)
    result = run_cli("info", "--checkpoint", described, "--device", "cpu")
    assert result.returncode == 0, result.stderr
    model = json.loads(result.stdout)["model"]
    assert DESCRIPTION in model["describe"] and model["tile_size"] == 128
    assert model["tuned"]["threshold"] == 0.65 and model["tuned"]["tile_px"] == 128


def test_extent_and_size(raster, constant, tmp_path, capsys):
    extent = f"{ORIGIN[0] + 37.3},{ORIGIN[1] - 401.1},{ORIGIN[0] + 455.9},{ORIGIN[1] - 21.7}"
    code, out, err = cli(
        capsys,
        "detect",
        raster,
        "--checkpoint",
        constant,
        "--extent",
        extent,
        "--size",
        "420",
        "--out",
        tmp_path / "x.geojson",
    )
    assert code == 0, err
    summary = json.loads(out)
    # the extent is 210×191 px; its longer side seen as 420 px: a 256 px patch is 128 source pixels
    assert summary["tile_px"] == 128 and summary["objects"] == 1
    assert summary["area_m2"] == pytest.approx(210 * 191 * 4, rel=2e-3)


@pytest.mark.parametrize(
    "case, words",
    [
        ("missing raster", "raster not found"),
        ("corrupt checkpoint", "damaged"),
        ("extent outside", "does not overlap"),
        ("size and tile size", "not both"),
        ("bad output", ".gpkg or .geojson"),
    ],
)
def test_bad_input_is_one_error_line_and_writes_nothing(case, words, raster, constant, tmp_path, capsys):
    out = tmp_path / "objects.gpkg"
    args = {
        "missing raster": [tmp_path / "missing.tif", "--checkpoint", constant, "--out", out],
        "corrupt checkpoint": [raster, "--checkpoint", _corrupt(tmp_path), "--out", out],
        "extent outside": [raster, "--checkpoint", constant, "--extent", "0,0,10,10", "--out", out],
        "size and tile size": [
            raster,
            "--checkpoint",
            constant,
            "--size",
            "512",
            "--tile-size",
            "64",
            "--out",
            out,
        ],
        "bad output": [raster, "--checkpoint", constant, "--out", tmp_path / "objects.shp"],
    }[case]
    code, _, err = cli(capsys, "detect", *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], err
    assert list(tmp_path.glob("objects*")) == []


def _corrupt(folder):
    path = folder / "corrupt.pth"
    path.write_bytes(b"not a checkpoint")
    return path


def test_an_interrupted_run_leaves_the_old_output_alone(raster, constant, tmp_path, capsys, monkeypatch):
    out = tmp_path / "objects.gpkg"
    out.write_bytes(b"the user's previous result")

    def interrupt(fraction) -> None:
        if fraction > 0.3:
            raise KeyboardInterrupt

    monkeypatch.setattr(detect_cli, "progress", interrupt)
    code, stdout, err = cli(capsys, "detect", raster, "--checkpoint", constant, "--out", out)
    assert code == 130 and stdout == "" and err.strip() == "error: interrupted"
    assert out.read_bytes() == b"the user's previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["objects.gpkg"]
