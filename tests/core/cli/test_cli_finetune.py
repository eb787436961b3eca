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
    far = write_raster_with_labels(root / "far", size=256, n_objects=3, seed=1, shift_m=(5e5, 0.0))
    return {
        "missing folder": ([str(root / "nope")], ["training data", "not found"]),
        "raster without labels": ([str(scene["raster"])], ["--labels"]),
        "folder with labels": ([str(sized), "--labels", str(scene["labels"][".gpkg"])], ["--labels"]),
        "no objects": ([str(empty)], ["no labelled objects"]),
        "image without mask": ([str(no_mask)], ["img_002", "no mask"]),
        "mask of another size": ([str(sized)], ["img_001", "100×90"]),
        "empty part of the split": ([str(split)], ["val", "empty"]),
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
