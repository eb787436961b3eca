"""``python -m sam_core`` in a subprocess, as a server user runs it: outputs, fields, and every bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyogrio
import pytest
import rasterio
from cli_helpers import assert_user_error, run_cli
from pyproj import CRS, Transformer

ROOT = Path(__file__).resolve().parents[3]
FIELDS = {"id", "prompt_type", "score", "area_m2", "perimeter_m", "model", "n_fg", "n_bg"}


def segment_cli(raster, checkpoint, *args) -> subprocess.CompletedProcess:
    return run_cli("segment", raster, "--checkpoint", checkpoint, *args)


def centre(raster: Path) -> tuple[float, float]:
    with rasterio.open(raster) as ds:
        return (ds.bounds.left + ds.bounds.right) / 2, (ds.bounds.bottom + ds.bounds.top) / 2


def test_info_describes_the_raster(rgb_tif):
    result = run_cli("info", rgb_tif)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    with rasterio.open(rgb_tif) as ds:
        assert (info["width"], info["height"], info["bands"]) == (ds.width, ds.height, ds.count)
        assert info["crs"] == "EPSG:32618"
        assert info["nodata"] == ds.nodata
        assert info["bounds"] == pytest.approx(list(ds.bounds))
        assert info["resolution"] == pytest.approx([abs(r) for r in ds.res])


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_segment_writes_measured_polygons_in_the_raster_crs(tmp_path, rgb_tif, tiny_checkpoint, suffix):
    out = tmp_path / f"objects{suffix}"
    x, y = centre(rgb_tif)
    result = segment_cli(
        rgb_tif,
        tiny_checkpoint,
        "--point",
        f"{x},{y}",
        "--point",
        f"{x + 3000},{y},0",
        "--out",
        out,
        "--cache-dir",
        tmp_path / "cache",
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    meta = pyogrio.read_info(out)
    assert FIELDS <= set(meta["fields"])
    assert CRS.from_user_input(meta["crs"]).to_epsg() == 32618
    assert meta["features"] == summary["objects"] == 1
    _meta, _fids, _geometry, columns = pyogrio.raw.read(out)
    values = dict(zip(meta["fields"], columns))
    assert values["prompt_type"][0] == "point"
    assert (values["n_fg"][0], values["n_bg"][0]) == (1, 1)
    assert values["area_m2"][0] == pytest.approx(summary["area_m2"], abs=0.01)
    assert values["area_m2"][0] > 0
    assert "tiny_sam.pth" in values["model"][0]
    assert not list(tmp_path.glob(".objects*")), "temporary file left behind"


def test_prompt_in_another_crs_is_accepted_and_negative_coordinates_parse(tmp_path, rgb_tif, tiny_checkpoint):
    x, y = centre(rgb_tif)
    lon, lat = Transformer.from_crs(32618, 4326, always_xy=True).transform(x, y)
    assert lon < 0  # the point of this test: "-77.x,24.x" must not be taken for an option
    out = tmp_path / "lonlat.gpkg"
    result = segment_cli(
        rgb_tif,
        tiny_checkpoint,
        "--point",
        f"{lon},{lat}",
        "--prompt-crs",
        "EPSG:4326",
        "--out",
        out,
    )
    assert result.returncode == 0, result.stderr
    assert out.exists()


def test_box_prompt_and_preview(tmp_path, rgb_tif, tiny_checkpoint):
    x, y = centre(rgb_tif)
    out, png = tmp_path / "box.gpkg", tmp_path / "box.png"
    result = segment_cli(
        rgb_tif,
        tiny_checkpoint,
        "--box",
        f"{x - 20000},{y - 20000},{x + 20000},{y + 20000}",
        "--out",
        out,
        "--preview",
        png,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["objects"] in (0, 1)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_small_tiles_get_a_quarter_tile_overlap(tmp_path, rgb_tif, tiny_checkpoint):
    """--tile-size 256 used to fail on the fixed 256 px prompting overlap; it gets 64 px now."""
    from sam_core.geo.raster import RasterSource
    from sam_core.prompting.segment import Segmenter, prompt_overlap

    assert (prompt_overlap(1024), prompt_overlap(512), prompt_overlap(256)) == (256, 128, 64)
    with RasterSource(rgb_tif) as source:
        assert Segmenter(source, None, tile_size=256).grid.stride == 192
    x, y = centre(rgb_tif)
    out = tmp_path / "small.gpkg"
    result = segment_cli(rgb_tif, tiny_checkpoint, "--point", f"{x},{y}", "--tile-size", "256", "--out", out)
    assert result.returncode == 0, result.stderr
    assert out.is_file() and pyogrio.read_info(out)["features"] == 1


def _bad_inputs(tmp: Path, rgb: Path, ckpt: Path) -> dict[str, tuple[list, tuple[str, ...]]]:
    x, y = centre(rgb)
    broken = tmp / "broken.tif"
    broken.write_bytes(b"II*\x00" + b"\x00" * 64)
    half = tmp / "half.pth"
    half.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    text = tmp / "notes.pth"
    text.write_text("not a checkpoint")
    seg = ["segment", rgb, "--checkpoint", ckpt]
    return {
        "missing raster": (
            ["segment", tmp / "nope.tif", "--checkpoint", ckpt, "--point", f"{x},{y}"],
            ("raster not found",),
        ),
        "unreadable raster": (
            ["segment", broken, "--checkpoint", ckpt, "--point", f"{x},{y}"],
            ("cannot read",),
        ),
        "missing checkpoint": (
            ["segment", rgb, "--checkpoint", tmp / "none.pth", "--point", f"{x},{y}"],
            ("checkpoint not found",),
        ),
        "truncated checkpoint": (["segment", rgb, "--checkpoint", half, "--point", f"{x},{y}"], ("damaged",)),
        "text checkpoint": (["segment", rgb, "--checkpoint", text, "--point", f"{x},{y}"], ("damaged",)),
        "malformed point": ([*seg, "--point", "12;34"], ("point",)),
        "bad label": ([*seg, "--point", f"{x},{y},7"], ("LABEL",)),
        "malformed box": ([*seg, "--box", "1,2,3"], ("box",)),
        "inverted box": ([*seg, "--box", f"{x},{y},{x - 1},{y - 1}"], ("XMIN < XMAX",)),
        "unknown crs": ([*seg, "--point", f"{x},{y}", "--prompt-crs", "EPSG:999999"], ("unknown CRS",)),
        "point outside": ([*seg, "--point", f"{x + 1e6},{y}"], ("outside the raster",)),
        "box outside": ([*seg, "--box", f"{x + 1e6},{y},{x + 2e6},{y + 1e5}"], ("outside the raster",)),
        "no prompt": (seg, ("--point",)),
        "unknown device": ([*seg, "--point", f"{x},{y}", "--device", "tpu"], ("device",)),
    }


BAD_CASES = [
    "missing raster",
    "unreadable raster",
    "missing checkpoint",
    "truncated checkpoint",
    "text checkpoint",
    "malformed point",
    "bad label",
    "malformed box",
    "inverted box",
    "unknown crs",
    "point outside",
    "box outside",
    "no prompt",
    "unknown device",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_exits_2_with_one_error_line_and_no_file(tmp_path, rgb_tif, tiny_checkpoint, case):
    cases = _bad_inputs(tmp_path, rgb_tif, tiny_checkpoint)
    assert set(cases) == set(BAD_CASES)
    args, words = cases[case]
    out = tmp_path / "out.gpkg"
    result = run_cli(*args, "--out", out)
    assert_user_error(result, *words)
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))


def test_wrong_output_extension_is_refused_before_work(tmp_path, rgb_tif, tiny_checkpoint):
    x, y = centre(rgb_tif)
    result = segment_cli(
        rgb_tif,
        tiny_checkpoint,
        "--point",
        f"{x},{y}",
        "--out",
        tmp_path / "out.shp",
    )
    assert_user_error(result, ".gpkg")
    assert not (tmp_path / "out.shp").exists()


def test_existing_output_survives_a_failed_run_and_is_replaced_by_a_good_one(
    tmp_path, rgb_tif, tiny_checkpoint
):
    out = tmp_path / "keep.gpkg"
    out.write_bytes(b"the user's precious file")
    x, y = centre(rgb_tif)
    failed = run_cli(
        "segment", rgb_tif, "--checkpoint", tiny_checkpoint, "--point", f"{x + 1e6},{y}", "--out", out
    )
    assert failed.returncode == 2
    assert out.read_bytes() == b"the user's precious file"
    ok = run_cli("segment", rgb_tif, "--checkpoint", tiny_checkpoint, "--point", f"{x},{y}", "--out", out)
    assert ok.returncode == 0, ok.stderr
    assert pyogrio.read_info(out)["features"] == 1


def test_info_on_a_missing_raster_is_a_user_error(tmp_path):
    assert_user_error(run_cli("info", tmp_path / "missing.tif"), "raster not found")


def test_no_command_is_a_user_error():
    assert_user_error(run_cli())
