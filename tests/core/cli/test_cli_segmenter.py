"""``train-segmenter`` as a user runs it: a folder of images and class masks, or a raster with class polygons,
→ a head file that loads with its checkpoint, a report folder comparing the heads; bad input is one error line
and writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from semantic_data import CLASSES, class_set, write_class_folder, write_scene_raster

from sam_core.cli.main import main
from sam_core.errors import SamCoreError
from sam_core.geo.raster import RasterSource
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config
from sam_core.semantic.head_file import load_segmentation_head


def test_train_segmenter_writes_a_head_file_and_the_comparison(tmp_path):
    folder = write_class_folder(tmp_path / "scenes", class_set(train=4, val=1, test=1, size=128))
    checkpoint = tmp_path / "tiny_128.pth"
    save_random_checkpoint(checkpoint, tiny_config(img_size=128), seed=0)
    out, report = tmp_path / "roads.pt", tmp_path / "report"
    args = ["train-segmenter", folder, "--checkpoint", checkpoint, "--out", out, "--heads", "sam-conv,unet"]
    args += ["--epochs", "2", "--batch-size", "2", "--report-dir", report, "--cache-dir", tmp_path / "cache"]
    done = subprocess.run(
        [sys.executable, "-m", "sam_core", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [row["head"] for row in summary["table"]] == ["sam-conv", "unet"]
    assert summary["table"][0]["encoder_calls"] == 6 and summary["table"][1]["encoder_calls"] == 0  # cached
    assert "progress: 100%" in done.stderr
    head = load_segmentation_head(out, load_model(checkpoint, "cpu"))
    assert head.kind == "sam-conv" and head.class_names == CLASSES and head.patch_px == 128
    report_json = json.loads((report / "summary.json").read_text())
    assert {row["head"] for row in report_json["table"]} == {"sam-conv", "unet"}
    assert report_json["majority_baseline"]["mean_iou"] == summary["majority_mean_iou"]
    for name in ("curves.png", "boxplots.png", "examples.png"):
        assert (report / name).stat().st_size > 1000
    other = tmp_path / "other.pth"
    save_random_checkpoint(other, tiny_config(img_size=128), seed=1)
    with pytest.raises(SamCoreError, match="this head was trained with tiny_128.pth"):
        load_segmentation_head(out, load_model(other, "cpu"))  # another encoder reads other features


def test_train_segmenter_learns_from_a_raster_and_class_polygons(tmp_path, capsys, one_torch_thread):
    scene = write_scene_raster(tmp_path / "scene", tiles=2, seed=0)  # 512 px of UTM, polygons in EPSG:4326
    checkpoint = tmp_path / "tiny_128.pth"
    save_random_checkpoint(checkpoint, tiny_config(img_size=128), seed=0)
    out = tmp_path / "land.pt"
    args = [
        "train-segmenter",
        scene["raster"],
        "--labels",
        scene["labels"][".geojson"],
        "--class-field",
        "class",
    ]
    args += ["--checkpoint", checkpoint, "--out", out, "--epochs", "1", "--cache-dir", tmp_path / "cache"]
    assert main([str(a) for a in args]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["table"][0]["encoder_calls"] == 16  # 4 chips of 2 × 128 px, 4 patches each
    head = load_segmentation_head(out, load_model(checkpoint, "cpu"))
    assert head.class_names == ("background", "building", "road", "water")
    with RasterSource(scene["raster"]) as source:  # mapping reads the raster as training did
        assert head.stretch == (source.stretch.low, source.stretch.high) and head.bands == (1, 2, 3)
    assert head.gsd_m == pytest.approx(1.0, rel=2e-3)
    assert head.training["data"]["form"] == "raster"
    assert (tmp_path / "land_report" / "summary.json").is_file()


def test_bad_input_is_one_error_line_and_nothing_is_written(tmp_path, capsys):
    checkpoint = tmp_path / "tiny.pth"
    save_random_checkpoint(checkpoint, tiny_config(img_size=128), seed=0)
    scene = write_scene_raster(tmp_path / "scene", tiles=1, seed=0)
    garbage = tmp_path / "garbage.tif"
    garbage.write_bytes(b"not a raster")
    polygons = str(scene["labels"][".gpkg"])
    folder = write_class_folder(tmp_path / "scenes", class_set(train=1, val=1, test=1, size=64))
    cases = {
        "not a folder: give --labels": [scene["raster"]],
        "training data not found": [tmp_path / "missing"],
        "cannot read raster garbage.tif": [garbage, "--labels", polygons, "--chip-px", "128"],
        "each polygon's class (its fields: class, code)": [
            scene["raster"],
            "--labels",
            polygons,
            "--chip-px",
            "128",
        ],
        "go with a raster, not with a folder": [folder, "--labels", polygons],
    }
    out = tmp_path / "head.pt"
    for words, data in cases.items():
        args = ["train-segmenter", *map(str, data), "--checkpoint", str(checkpoint), "--out", str(out)]
        code = main(args)
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and err[0].startswith("error: ") and words in err[0], err
    assert not out.exists() and not (tmp_path / "head_report").exists()


def test_an_output_in_a_missing_folder_is_refused_before_any_work(tmp_path, capsys):
    code = main(
        ["train-segmenter", str(tmp_path), "--checkpoint", "x.pth", "--out", str(tmp_path / "no" / "h.pt")]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "the folder of --out does not exist" in err[0]
