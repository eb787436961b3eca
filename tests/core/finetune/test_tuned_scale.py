"""A fine-tuned decoder is used at the scale it learned: every path (segment, segment --prompts, encode,
everything, the engine behind the dock) cuts tiles of its sidecar's ``tile_px`` unless told otherwise, SAM
thresholds at the sidecar's probability, and the model's description says it is tuned."""

from __future__ import annotations

import json

import pytest
import torch
from detect_helpers import ORIGIN, small_checkpoint, tuned, write_raster
from pyproj import Transformer

from sam_core.cli.main import main
from sam_core.geo.raster import RasterSource
from sam_core.prompting.everything import EverythingOptions, segment_everything
from sam_core.prompting.prompts import Point, Prompts
from sam_core.prompting.segment import Segmenter
from sam_core.sam.model import load_model
from sam_core.sam.tuned import probability_to_logit, sidecar_path
from sam_core.service.engine import Engine

DESCRIPTION = "fine-tuned from ViT-B, threshold 0.65, test accuracy 62 %"
CENTRE = f"{ORIGIN[0] + 300.0},{ORIGIN[1] - 260.0}"  # the middle of the 300×260 px raster at 2 m


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("scale")


@pytest.fixture(scope="module")
def raster(folder):
    return write_raster(folder / "scene.tif", 300, 260)


@pytest.fixture(scope="module")
def tuned_path(folder):
    """A tiny SAM whose sidecar says: threshold 0.65, learned at 128 source pixels per patch."""
    return tuned(small_checkpoint(folder / "base.pth"), folder / "tuned.pth", 0.65, tile_px=128)


def cli(capsys, *args) -> tuple[int, dict | None, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else None, err


def test_the_loader_takes_the_sidecars_threshold_scale_and_description(tuned_path, folder):
    model = load_model(tuned_path, "cpu")
    assert model.sam.mask_threshold == probability_to_logit(0.65)
    assert model.tile_size == 128 and DESCRIPTION in model.info.describe()
    plain = load_model(folder / "base.pth", "cpu")
    assert plain.sam.mask_threshold == 0.0 and plain.tile_size == 1024


def test_segment_and_everything_cut_the_learned_tiles_unless_told(tuned_path, raster):
    model = load_model(tuned_path, "cpu")
    with RasterSource(raster) as source:
        segmenter = Segmenter(source, model)
        assert (segmenter.grid.tile_size, segmenter.grid.overlap) == (128, 32)
        result = segmenter.segment(Prompts(points=(Point(*map(float, CENTRE.split(","))),)))
        assert result.tile.size == 128
        assert Segmenter(source, model, tile_size=256).grid.tile_size == 256
        extent = (ORIGIN[0] + 10, ORIGIN[1] - 100, ORIGIN[0] + 60, ORIGIN[1] - 10)
        quick = EverythingOptions(points_per_side=1)
        every = segment_everything(source, model, extent=extent, options=quick)
        assert every.tile_size == 128
        chosen = EverythingOptions(points_per_side=1, tile_size=256, overlap=64)
        assert segment_everything(source, model, extent=extent, options=chosen).tile_size == 256


def test_the_cli_cuts_the_learned_tiles_and_an_explicit_tile_size_wins(tuned_path, raster, tmp_path, capsys):
    common = [raster, "--checkpoint", tuned_path, "--device", "cpu"]
    code, summary, err = cli(capsys, "segment", *common, "--point", CENTRE, "--out", tmp_path / "a.gpkg")
    assert code == 0, err
    assert summary["tile_size"] == 128
    code, summary, err = cli(
        capsys, "segment", *common, "--point", CENTRE, "--tile-size", "256", "--out", tmp_path / "b.gpkg"
    )
    assert code == 0 and summary["tile_size"] == 256, err
    code, summary, err = cli(capsys, "encode", *common, "--cache-dir", tmp_path / "cache")
    assert code == 0 and summary["tile_size"] == 128 and summary["tiles"] == 9, err  # 3×3 at 96 px strides
    extent = f"{ORIGIN[0] + 10},{ORIGIN[1] - 100},{ORIGIN[0] + 60},{ORIGIN[1] - 10}"
    code, summary, err = cli(
        capsys,
        "everything",
        *common,
        "--points-per-side",
        "1",
        "--extent",
        extent,
        "--out",
        tmp_path / "e.gpkg",
    )
    assert code == 0 and summary["tile_size"] == 128, err


def test_segment_prompt_files_cut_the_learned_tiles(tuned_path, raster, tmp_path, capsys):
    to_wgs84 = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True)
    corners = [
        (ORIGIN[0] + 40, ORIGIN[1] - 40),
        (ORIGIN[0] + 560, ORIGIN[1] - 40),
        (ORIGIN[0] + 300, ORIGIN[1] - 480),
    ]
    points = [
        {
            "type": "Feature",
            "properties": {"group": i},
            "geometry": {"type": "Point", "coordinates": to_wgs84.transform(x, y)},
        }
        for i, (x, y) in enumerate(corners)
    ]
    prompts = tmp_path / "points.geojson"
    prompts.write_text(json.dumps({"type": "FeatureCollection", "features": points}))
    args = ["segment", raster, "--checkpoint", tuned_path, "--prompts", prompts, "--group-field", "group"]
    code, summary, err = cli(capsys, *args, "--out", tmp_path / "p.gpkg")
    assert code == 0, err
    assert summary["tile_size"] == 128 and summary["tiles"] == 3  # one 1024 px tile would hold all three


def test_a_damaged_sidecar_is_one_error_line(tuned_path, raster, tmp_path, capsys):
    broken = tmp_path / "broken.pth"
    broken.write_bytes(tuned_path.read_bytes())
    sidecar_path(broken).write_text('{"format": "terrasam-tuned-decoder/1", "threshold": 2}')
    for command in (
        ["segment", raster, "--checkpoint", broken, "--point", CENTRE, "--out", tmp_path / "x.gpkg"],
        ["detect", raster, "--checkpoint", broken, "--out", tmp_path / "y.gpkg"],
        ["info", "--checkpoint", broken],
    ):
        code, _, err = cli(capsys, *command)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
        assert "sidecar" in lines[0] and "damaged" in lines[0]
    assert not (tmp_path / "x.gpkg").exists() and not (tmp_path / "y.gpkg").exists()


def test_the_engine_behind_the_dock_describes_and_tiles_with_the_tuned_model(tuned_path, raster):
    engine = Engine()
    loaded = engine.load_model(str(tuned_path), "cpu")
    assert DESCRIPTION in loaded["describe"] and loaded["tile_size"] == 128
    engine.open_raster(str(raster))
    extent = [ORIGIN[0] + 10, ORIGIN[1] - 100, ORIGIN[0] + 60, ORIGIN[1] - 10]
    assert {t["size"] for t in engine.tiles_for_extent(extent)} == {128}
    found = engine.everything(str(raster), [1, 2, 3], extent, options={"points_per_side": 1})
    assert found["tile_size"] == 128


@pytest.fixture(scope="module")
def ambiguity_outputs_zero(folder):
    """A tuned tiny SAM whose three ambiguity outputs give logit 0 everywhere (empty masks at threshold 0.6)
    while its trained single-mask output is the random one scaled by 1000 (logits far from 0: a mask)."""
    state = torch.load(small_checkpoint(folder / "base_single.pth"), map_location="cpu", weights_only=True)
    for key in [k for k in state if k.startswith("mask_decoder.output_hypernetworks_mlps.")]:
        if ".layers.2." in key:
            state[key] = state[key] * 1000.0 if "_mlps.0." in key else torch.zeros_like(state[key])
    torch.save(state, folder / "ambiguity_zero.pth")
    return tuned(folder / "ambiguity_zero.pth", folder / "ambiguity_zero.pth", 0.6, tile_px=128)


def test_one_click_and_everything_use_the_trained_single_mask_output(ambiguity_outputs_zero, raster):
    model = load_model(ambiguity_outputs_zero, "cpu")
    with RasterSource(raster) as source:
        result = Segmenter(source, model).segment(Prompts(points=(Point(*map(float, CENTRE.split(","))),)))
        assert result.mask.any()  # SAM's multimask rule would have picked an empty ambiguity mask
        extent = (ORIGIN[0] + 10, ORIGIN[1] - 100, ORIGIN[0] + 60, ORIGIN[1] - 10)
        keep_all = EverythingOptions(points_per_side=2, pred_iou_thresh=0.0, stability_score_thresh=0.0)
        every = segment_everything(source, model, extent=extent, options=keep_all)
    assert every.objects  # the generator's three masks a point are all empty: these are the trained output's
