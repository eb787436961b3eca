"""The folder form of segmentation-head data: class codes, classes.json (names, colours, an ignore code),
splits, and one error line for each bad set."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from semantic_data import CLASSES, class_set, write_class_folder

from sam_core.errors import SamCoreError
from sam_core.semantic.folder import open_class_folder


def test_the_folder_gives_the_generated_set_back_with_names_colours_and_the_ignore_code(tmp_path):
    data = class_set(train=3, val=1, test=1, size=64)
    found = open_class_folder(write_class_folder(tmp_path / "set", data, ignore_box=True))
    assert found.class_names == CLASSES and found.colours[1] == "#303030" and len(set(found.colours)) == 4
    assert [(i.name, i.split) for i in found.images] == sorted((i.name, i.split) for i in data.images)
    by_name = {i.name: i for i in data.images}
    for image in found.images:
        original = by_name[image.name]
        assert np.array_equal(image.rgb, original.rgb)
        assert not image.known[:10, :10].any() and image.known[10:, 10:].all()
        assert np.array_equal(image.classes[image.known], original.classes[image.known])


def test_without_classes_json_every_code_found_is_a_class(tmp_path):
    data = class_set(train=3, val=1, test=1, size=64)
    found = open_class_folder(
        write_class_folder(tmp_path / "set", data, codes=(0, 1, 2, 3), classes_json=False)
    )
    assert found.class_names == ("background", "class 1", "class 2", "class 3")
    assert all(
        np.array_equal(a.classes, b.classes)
        for a, b in zip(found.images, sorted(data.images, key=lambda i: i.name))
    )


def test_bad_sets_are_one_readable_error(tmp_path):
    data = class_set(train=3, val=1, test=1, size=64)
    root = write_class_folder(tmp_path / "a", data)
    spec = json.loads((root / "classes.json").read_text())
    spec["classes"] = spec["classes"][:3]  # code 30 (water) no longer named
    (root / "classes.json").write_text(json.dumps(spec))
    with pytest.raises(
        SamCoreError, match=r"masks/.*\.png holds class code 30, which classes.json does not name"
    ):
        open_class_folder(root)
    (root / "classes.json").write_text("{not json")
    with pytest.raises(SamCoreError, match="cannot read classes.json"):
        open_class_folder(root)
    small = write_class_folder(tmp_path / "b", data)
    Image.fromarray(np.zeros((32, 64), np.uint8)).save(small / "masks" / f"{data.images[0].name}.png")
    with pytest.raises(SamCoreError, match="is 64×32 px but its image .* is 64×64 px"):
        open_class_folder(small)
    one = write_class_folder(tmp_path / "c", data)
    for image in data.images:
        Image.fromarray(np.zeros((64, 64), np.uint8)).save(one / "masks" / f"{image.name}.png")
    with pytest.raises(SamCoreError, match="fewer than two classes"):
        open_class_folder(one)
