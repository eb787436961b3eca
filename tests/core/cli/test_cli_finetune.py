"""``finetune`` from the command line, as a user runs it: every bad training set is one ``error:`` line with
exit code 2, found before the model is loaded, and nothing is written."""

from __future__ import annotations

import pytest
from cli_helpers import assert_user_error, run_cli
from finetune_data import generate_set, write_folder, write_raster_with_labels
from PIL import Image

NO_CKPT = "never-loaded.pth"  # the data is checked first: a message about the checkpoint would fail the case


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    return write_raster_with_labels(tmp_path_factory.mktemp("scene"), size=1024, n_objects=14, seed=0)


def _folder(root, n=6, **changes):
    return write_folder(root, generate_set(n, 128, seed=1), **changes)


def _bad_sets(root, scene):
    """name → (DATA plus extra args, words of the error line)."""
    root.mkdir()
    empty = write_folder(root / "empty", generate_set(5, 64, seed=0, empty=5))
    no_mask = _folder(root / "no_mask")
    (no_mask / "masks" / "img_002.png").unlink()
    sized = _folder(root / "sized")
    Image.new("L", (100, 90)).save(sized / "masks" / "img_001.png")
    split = _folder(root / "split", splits=["train"] * 5 + ["test"])
    no_val = write_folder(root / "no_val", generate_set(6, 128, seed=1, empty=2), splits=["train"] * 4 + ["val", "test"])
    far = write_raster_with_labels(root / "far", size=256, n_objects=3, seed=1, shift_m=(5e5, 0.0))
    return {
        "missing folder": ([str(root / "nope")], ["training data", "not found"]),
        "raster without labels": ([str(scene["raster"])], ["--labels"]),
        "folder with labels": ([str(sized), "--labels", str(scene["labels"][".gpkg"])], ["--labels"]),
        "no objects": ([str(empty)], ["no labelled objects"]),
        "image without mask": ([str(no_mask)], ["img_002", "no mask"]),
        "mask of another size": ([str(sized)], ["img_001", "100×90"]),
        "empty part of the split": ([str(split)], ["val", "empty"]),
        "validation without objects": ([str(no_val)], ["no validation image holds an object"]),
        "labels off the raster": (
            [str(far["raster"]), "--labels", str(far["labels"][".geojson"])],
            ["do not overlap"],
        ),
    }


def test_bad_training_sets_are_one_error_line_and_write_nothing(tmp_path, scene):
    for name, (data, words) in _bad_sets(tmp_path / "sets", scene).items():
        out = tmp_path / "out" / "tuned.pth"
        out.parent.mkdir(exist_ok=True)
        result = run_cli("finetune", *data, "--checkpoint", NO_CKPT, "--out", out, "--cache-dir", tmp_path / "cache")
        assert_user_error(result, *words)
        assert list(out.parent.iterdir()) == [], name
        assert not (tmp_path / "cache").exists(), name


def _strict_load(path):
    """The tuned file in segment_anything's own Sam, every key and shape checked (strict=True)."""
    import torch

    from sam_core.sam.model import build_sam, infer_config

    state = torch.load(path, map_location="cpu", weights_only=True)
    build_sam(infer_config(state)).load_state_dict(state, strict=True)
    return state


def test_finetune_folder_then_info_and_detect_with_the_tuned_model(tmp_path):
    """The whole user path: a folder form → tuned .pth + sidecar + report; the tuned file loads in
    segment_anything; ``info`` and ``detect`` use it and give measured polygons."""
    import json

    from finetune_sets import small_checkpoint

    base = small_checkpoint(tmp_path)
    data = write_folder(tmp_path / "data", generate_set(8, 256, seed=3), splits=["train"] * 5 + ["val"] * 2 + ["test"])
    out = tmp_path / "tuned.pth"
    args = ["--checkpoint", base, "--out", out, "--sizes", "256", "--epochs", "2", "--lr", "1e-4"]
    result = run_cli("finetune", data, *args, "--cache-dir", tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert "progress: 100%" in result.stderr
    row = summary["table"][0]
    assert row["size"] == 256 and {"accuracy", "base_accuracy", "mean_iou", "seconds_per_image"} <= set(row)
    report = tmp_path / "tuned_report"
    for name in ("summary.json", "size_256/metrics.json", "size_256/curves.png", "size_256/threshold.png"):
        assert (report / name).is_file(), name
    base_state, tuned_state = _strict_load(base), _strict_load(out)
    assert base_state.keys() == tuned_state.keys()
    sidecar = json.loads((tmp_path / "tuned.pth.json").read_text())
    assert sidecar["tile_px"] == 256 and sidecar["prompt"] == "box" and sidecar["threshold"] == row["threshold"]

    info = run_cli("info", data / "images" / "img_000.png", "--checkpoint", out)
    assert "fine-tuned from" in info.stdout, info.stdout + info.stderr

    scene = write_raster_with_labels(tmp_path / "scene", size=512, n_objects=4, seed=5)
    objects = tmp_path / "detect.gpkg"
    detect = run_cli("detect", scene["raster"], "--checkpoint", out, "--threshold", "0.05", "--out", objects)
    assert detect.returncode == 0, detect.stderr
    found = json.loads(detect.stdout)
    assert objects.is_file() and found["objects"] >= 1, found

    import pyogrio

    meta, _, geometry, values = pyogrio.raw.read(objects)
    columns = dict(zip(meta["fields"], values))
    assert len(geometry) == found["objects"]
    assert (columns["area_m2"] > 0).all() and (columns["perimeter_m"] > 0).all()
    assert ((columns["probability"] > 0.05) & (columns["probability"] <= 1.0)).all()


def test_finetune_a_raster_with_a_polygon_layer_in_another_crs(tmp_path, scene):
    """The GIS form end to end: a UTM raster, its objects as EPSG:4326 polygons, a seeded split by area."""
    import json

    from finetune_sets import small_checkpoint

    base = small_checkpoint(tmp_path)
    out = tmp_path / "tuned.pth"
    result = run_cli(
        "finetune", scene["raster"], "--labels", scene["labels"][".geojson"], "--chip-px", "256",
        "--sizes", "256", "--epochs", "1", "--lr", "1e-4", "--checkpoint", base, "--out", out,
        "--cache-dir", tmp_path / "cache",
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["data"]["form"] == "raster"
    assert all(summary["data"][split]["objects"] >= 1 for split in ("train", "val", "test"))
    assert sum(summary["data"][split]["objects"] for split in ("train", "val", "test")) >= 14
    sidecar = json.loads((tmp_path / "tuned.pth.json").read_text())
    assert sidecar["tile_px"] == 256 and sidecar["data"]["form"] == "raster"
    _strict_load(out)
