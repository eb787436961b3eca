"""The folder form of fine-tuning data: images/ + masks/ (+ split.csv) read into a TuningSet.

Real files are written in tmp_path (PNG, JPEG, TIFF through PIL and rasterio) from the generated shapes of
``finetune_data`` and read back through ``open_folder``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import rasterio
from finetune_data import generate_set, write_folder
from PIL import Image
from rasterio.errors import NotGeoreferencedWarning
from scipy import ndimage

from sam_core.errors import SamCoreError
from sam_core.finetune.folder import object_ids, open_folder, seeded_parts


@pytest.fixture(scope="module")
def pairs():
    return generate_set(7, size=96, seed=3, objects=(1, 3))


def stems(tuning, split=None):
    return [image.name for image in tuning.images if split is None or image.split == split]


def test_object_ids_are_kept_and_masks_are_read_exactly(tmp_path, pairs):
    root = write_folder(tmp_path / "data", pairs)
    tuning = open_folder(root)
    assert tuning.form == "folder" and tuning.source == str(root)
    assert stems(tuning) == [f"img_{i:03d}" for i in range(7)]
    for image, (rgb, objects) in zip(tuning.images, pairs):
        assert image.rgb.dtype == np.uint8 and image.rgb.shape == rgb.shape
        np.testing.assert_array_equal(image.rgb, rgb)  # PNG is lossless
        np.testing.assert_array_equal(image.objects, objects)
        assert image.objects.dtype == np.int32 and image.known is None


def test_binary_masks_are_split_into_connected_components(tmp_path, pairs):
    root = write_folder(tmp_path / "data", pairs, ids=False)
    tuning = open_folder(root)
    matched = 0
    for image, (_rgb, objects) in zip(tuning.images, pairs):
        np.testing.assert_array_equal(image.objects > 0, objects > 0)
        assert image.n_objects == ndimage.label(objects > 0, structure=np.ones((3, 3)))[1]
        matched += image.n_objects == int(objects.max())  # where generated shapes neither touch nor split
        assert image.n_objects > 0 and np.array_equal(
            np.unique(image.objects), np.arange(image.n_objects + 1)
        )
    assert matched >= 4


def test_eight_connected_diagonal_pixels_are_one_object():
    mask = np.zeros((6, 6), np.uint8)
    mask[1, 1] = mask[2, 2] = mask[4, 4] = 255
    ids = object_ids(mask)
    assert ids[1, 1] == ids[2, 2] != ids[4, 4] and int(ids.max()) == 2
    # ids, not components: the two pieces of 7 stay one object
    several = np.array([[0, 7, 7], [9, 0, 0], [9, 0, 7]], np.uint16)
    np.testing.assert_array_equal(object_ids(several), [[0, 1, 1], [2, 0, 0], [2, 0, 1]])


def test_grayscale_jpeg_rgba_png_16_bit_tif_of_different_sizes(tmp_path):
    root = tmp_path / "mixed"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    gray = (np.arange(80 * 60).reshape(60, 80) % 200).astype(np.uint8)
    Image.fromarray(gray).save(root / "images" / "gray.jpg", quality=95)
    rgba = np.dstack([np.full((40, 50), v, np.uint8) for v in (10, 20, 30, 128)])
    Image.fromarray(rgba, "RGBA").save(root / "images" / "rgba.png")
    deep = np.linspace(1000, 5000, 3 * 70 * 30).reshape(3, 70, 30).astype(np.uint16)
    deep[:, 0, :4] = 0  # nodata
    ids = np.zeros((1, 70, 30), np.uint16)
    ids[0, 2:6, 2:6], ids[0, 20:30, 10:20] = 300, 7
    with warnings.catch_warnings():  # plain images, not georeferenced
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        for name, data in (("images/deep.tif", deep), ("masks/deep.tif", ids)):
            with rasterio.open(root / name, "w", driver="GTiff", width=30, height=70, count=len(data),
                               dtype="uint16", nodata=0 if name.startswith("images") else None) as ds:  # fmt: skip
                ds.write(data)
    for stem, (h, w) in {"gray": (60, 80), "rgba": (40, 50)}.items():
        mask = np.zeros((h, w), np.uint8)
        mask[5:15, 5:15] = 1
        Image.fromarray(mask).save(root / "masks" / f"{stem}.png")
    tuning = open_folder(root)
    images = {image.name: image for image in tuning.images}
    assert {name: image.rgb.shape for name, image in images.items()} == {
        "deep": (70, 30, 3), "gray": (60, 80, 3), "rgba": (40, 50, 3)
    }  # fmt: skip
    g = images["gray"].rgb.astype(int)
    assert (g[..., 0] == g[..., 1]).all() and (g[..., 1] == g[..., 2]).all()
    assert np.abs(g[..., 0] - gray).mean() < 4  # JPEG is lossy
    np.testing.assert_array_equal(images["rgba"].rgb[0, 0], [10, 20, 30])  # alpha dropped
    d = images["deep"].rgb
    assert d.dtype == np.uint8 and d.min() == 0 and d.max() == 255  # 2-98 % stretch of its own
    assert (d[0, :4] == 0).all() and not images["deep"].known[0, :4].any() and images["deep"].known[1:].all()
    assert (
        images["deep"].n_objects == 2
        and images["deep"].objects[3, 3] == 2
        and images["deep"].objects[25, 15] == 1
    )
    assert images["gray"].n_objects == images["rgba"].n_objects == 1 and images["gray"].known is None


def test_split_csv_is_honoured_leniently(tmp_path, pairs):
    splits = ["train", "train", "val", "test", "train", "val", "test"]
    root = write_folder(tmp_path / "data", pairs, splits=splits)
    assert [image.split for image in open_folder(root).images] == splits
    # no header, names with their suffix, capitals and spaces
    rows = [f"img_{i:03d}.png , {s.upper()}" for i, s in enumerate(splits)]
    (root / "split.csv").write_text("\n".join(rows) + "\n")
    assert [image.split for image in open_folder(root, seed=5).images] == splits


def test_seeded_split_is_reproducible_and_changes_with_the_seed(tmp_path, pairs):
    big = generate_set(20, size=48, seed=1)
    root = write_folder(tmp_path / "data", big)
    first = [image.split for image in open_folder(root, seed=0).images]
    assert first == [image.split for image in open_folder(root, seed=0).images]
    assert first != [image.split for image in open_folder(root, seed=1).images]
    assert [first.count(s) for s in ("train", "val", "test")] == [14, 3, 3]
    assert [seeded_parts(3, seed).count("val") for seed in range(5)] == [1] * 5
    assert sorted(seeded_parts(3, 0)) == ["test", "train", "val"]


def expect_error(root, *words, seed=0):
    with pytest.raises(SamCoreError) as caught:
        open_folder(root, seed=seed)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    return message


def test_folder_errors_name_the_problem(tmp_path, pairs):
    expect_error(tmp_path / "nowhere", "not found", "nowhere")
    (tmp_path / "empty" / "images").mkdir(parents=True)
    expect_error(tmp_path / "empty", "masks/")
    (tmp_path / "empty" / "masks").mkdir()
    expect_error(tmp_path / "empty", "holds no images")
    root = write_folder(tmp_path / "data", pairs[:4])
    (root / "masks" / "img_002.png").unlink()
    expect_error(root, "img_002.png", "no mask")
    root = write_folder(tmp_path / "orphan", pairs[:4])
    (root / "masks" / "img_002.png").rename(root / "masks" / "img_02.png")
    expect_error(root, "img_002.png", "no mask")  # the image is named first
    (root / "images" / "img_002.png").rename(root / "images" / "img_02.png")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "masks" / "typo.png")
    expect_error(root, "masks/typo.png", "no image")


def test_size_and_corrupt_file_errors(tmp_path, pairs):
    root = write_folder(tmp_path / "data", pairs[:4])
    Image.fromarray(np.zeros((50, 40), np.uint8)).save(root / "masks" / "img_001.png")
    expect_error(root, "masks/img_001.png", "40×50 px", "96×96 px")
    root = write_folder(tmp_path / "bad", pairs[:4])
    (root / "images" / "img_003.png").write_bytes(b"not a png at all")
    expect_error(root, "cannot read image", "img_003.png")
    root = write_folder(tmp_path / "jpegmask", pairs[:4])
    (root / "masks" / "img_001.png").rename(root / "masks" / "img_001.jpg")
    expect_error(root, "masks/img_001.jpg", "JPEG")
    root = write_folder(tmp_path / "badmask", pairs[:4])
    (root / "masks" / "img_000.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    expect_error(root, "cannot read mask", "img_000.png")


def test_set_level_errors(tmp_path, pairs):
    root = write_folder(tmp_path / "two", pairs[:2])
    expect_error(root, "2 image(s)", "at least 3")
    empty = generate_set(4, size=48, seed=2, empty=4)
    expect_error(write_folder(tmp_path / "none", empty), "holds no labelled objects")
    root = write_folder(tmp_path / "split", pairs[:4], splits=["train", "train", "val", "val"])
    expect_error(root, "test part", "empty")
    (root / "split.csv").write_text("image,split\nimg_000,train\nimg_001,training\n")
    expect_error(root, "split.csv row 3", "'training'")
    (root / "split.csv").write_text("img_000,train\nimg_001,val\nimg_002,test\n")
    expect_error(root, "split.csv", "img_003")
    (root / "split.csv").write_text("img_000,train\nimg_009,val\n")
    expect_error(root, "row 2", "img_009")
