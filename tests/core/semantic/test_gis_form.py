"""The GIS form of segmentation-head data: a UTM GeoTIFF with class polygons (in its CRS or in EPSG:4326) or a
label raster of class codes, read into chips of a ClassSet.

The scene comes from ``semantic_data.write_scene_raster``: the class map is vectorised along pixel edges, so
burning the polygons back with the pixel-centre rule must give the generated classes pixel for pixel.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import rasterio
import shapely
from finetune_data import pixel_box
from rasterio.features import rasterize
from semantic_data import CLASSES, CODES, class_polygons, write_label_raster, write_layer, write_scene_raster

from sam_core.errors import SamCoreError
from sam_core.geo.chips import BLOCK_CHIPS
from sam_core.geo.raster import RasterSource
from sam_core.semantic.gis_form import open_raster_classes

SIZE, CHIP = 512, 128
SPLIT_CYCLE = ("train", "train", "val", "test")
NAMES = ("background", "building", "road", "water")  # the class field's values sorted, background first


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    return write_scene_raster(tmp_path_factory.mktemp("scene"), tiles=2, seed=0, splits=SPLIT_CYCLE)


def chip_at(image) -> tuple[int, int]:
    row, col = image.name.split("_")
    return int(row[1:]), int(col[1:])


def canvas(data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chips put back on the raster: class names (index into data.class_names, -1 where no chip), known,
    and each pixel's split."""
    classes = np.full((SIZE, SIZE), -1, np.int64)
    known = np.zeros((SIZE, SIZE), bool)
    splits = np.full((SIZE, SIZE), "", object)
    for image in data.images:
        row, col = chip_at(image)
        assert image.classes.shape == (CHIP, CHIP) and image.rgb.shape == (CHIP, CHIP, 3)
        rows, cols = slice(row * CHIP, (row + 1) * CHIP), slice(col * CHIP, (col + 1) * CHIP)
        classes[rows, cols], known[rows, cols], splits[rows, cols] = (
            image.classes,
            image.labelled,
            image.split,
        )
    return classes, known, splits


def truth_indexes(scene, names=NAMES) -> np.ndarray:
    """The generated classes as indexes into ``names`` (vegetation, which no polygon covers, is background)."""
    order = [names.index("background" if k == 0 else CLASSES[k]) for k in range(len(CLASSES))]
    return np.asarray(order)[scene["classes"]]


def boundary(classes: np.ndarray) -> np.ndarray:
    """Pixels with a 4-neighbour of another class."""
    edge = np.zeros(classes.shape, bool)
    edge[1:] |= classes[1:] != classes[:-1]
    edge[:-1] |= classes[:-1] != classes[1:]
    edge[:, 1:] |= classes[:, 1:] != classes[:, :-1]
    edge[:, :-1] |= classes[:, :-1] != classes[:, 1:]
    return edge


def test_polygons_in_another_crs_give_the_class_map_of_the_rasters_crs(scene):
    local = open_raster_classes(scene["raster"], scene["labels"][".gpkg"], "class", chip_px=CHIP)
    far = open_raster_classes(scene["raster"], scene["labels"][".geojson"], "class", chip_px=CHIP)
    truth = truth_indexes(scene)
    near_classes, near_known, _ = canvas(local)
    far_classes, far_known, _ = canvas(far)
    rows, cols = np.nonzero(scene["classes"] > 0)
    box = np.zeros((SIZE, SIZE), bool)  # no region: the labels' bounding box is complete
    box[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] = True
    np.testing.assert_array_equal(near_known, box)
    np.testing.assert_array_equal(near_classes[box], truth[box])  # pixel for pixel
    differ = (far_classes != near_classes) | (far_known != near_known)
    assert differ.mean() < 0.002 and not (differ & ~boundary(truth)).any()  # reprojection: boundaries only
    assert local.form == "raster" and local.class_names == far.class_names == NAMES
    assert len(set(local.colours)) == 4 and all(c.startswith("#") for c in local.colours)
    assert local.gsd_m == pytest.approx(1.0, rel=2e-3)  # UTM's scale factor, measured on the ellipsoid
    with RasterSource(scene["raster"]) as source:  # the raster's own 2-98 % stretch, as mapping reads it
        stretch, rgb = source.stretch, source.stretch.apply(scene["rgb"].transpose(2, 0, 1))
    assert local.stretch == (stretch.low, stretch.high) and local.bands == (1, 2, 3)
    for image in local.images:
        row, col = chip_at(image)
        np.testing.assert_array_equal(
            image.rgb, rgb[row * CHIP : (row + 1) * CHIP, col * CHIP : (col + 1) * CHIP]
        )


def test_integer_class_codes_are_named_by_a_classes_json_beside_them(scene, tmp_path):
    data = open_raster_classes(scene["raster"], scene["labels"][".gpkg"], "code", chip_px=CHIP)
    assert data.class_names == ("background", "class 10", "class 20", "class 30")
    classes, known, _ = canvas(data)  # code order is the generated class order here
    np.testing.assert_array_equal(classes[known], scene["classes"][known])
    labels = shutil.copy(scene["labels"][".gpkg"], tmp_path / "classes.gpkg")
    names = {"0": "vegetation", "10": "road", "20": "building", "30": "water"}
    (tmp_path / "classes.json").write_text(json.dumps(names))
    named = open_raster_classes(scene["raster"], labels, "CODE", chip_px=CHIP)  # a field's case is forgiven
    assert named.class_names == CLASSES


def test_a_label_raster_on_another_grid_is_resampled_nearest_neighbour(scene, tmp_path):
    # 2 m pixels, starting 64 m east of the raster, its first 16 rows nodata
    t = scene["transform"]
    cols = np.minimum(64 + 2 * np.arange(SIZE // 2), SIZE - 1)
    codes = np.asarray(CODES, np.uint8)[scene["classes"][::2][:, cols]]
    codes[:16] = 255
    coarse = type(t)(2.0, 0.0, t.c + 64.0, 0.0, -2.0, t.f)
    labels = write_label_raster(tmp_path / "codes.tif", codes, coarse, nodata=255)
    data = open_raster_classes(scene["raster"], labels, chip_px=CHIP)
    assert data.class_names == ("background", "class 10", "class 20", "class 30")
    classes, known, _ = canvas(data)
    expected = np.zeros((SIZE, SIZE), bool)
    expected[32:, 64:] = True  # nodata rows and the columns past the label raster's extent are unknown
    np.testing.assert_array_equal(known, expected)
    rows, cols = np.nonzero(expected)
    coded = codes[rows // 2, (cols - 64) // 2]
    np.testing.assert_array_equal(np.asarray(CODES)[classes[rows, cols]], coded)  # each 2 m pixel → 2×2
    (tmp_path / "classes.json").write_text(
        json.dumps({"classes": [{"code": c, "name": n, "colour": "#123456"} for c, n in zip(CODES, CLASSES)]})
    )
    named = open_raster_classes(scene["raster"], labels, chip_px=CHIP)
    assert named.class_names == CLASSES and named.colours == ("#123456",) * 4


def test_a_region_leaves_unlabelled_land_unknown(scene, tmp_path):
    t = scene["transform"]
    region = write_layer(tmp_path / "region.gpkg", [pixel_box(t, 0, 0, SIZE // 2, SIZE)], "EPSG:32633", {})
    data = open_raster_classes(scene["raster"], scene["labels"][".geojson"], "class", region, chip_px=CHIP)
    _, known, _ = canvas(data)
    truth = scene["classes"]
    assert known[:, : SIZE // 2].all()  # labelling is complete in the left half
    right = known[:, SIZE // 2 :] != (truth[:, SIZE // 2 :] > 0)  # elsewhere only the polygons are known
    assert right.mean() < 0.002 and not (right & ~boundary(truth)[:, SIZE // 2 :]).any()
    codes = write_label_raster(tmp_path / "codes.tif", np.asarray(CODES)[truth], t)
    data = open_raster_classes(scene["raster"], codes, region=region, chip_px=CHIP)
    _, known, _ = canvas(data)  # a label raster: outside the region, code 0 (background) is not known
    np.testing.assert_array_equal(known[:, SIZE // 2 :], truth[:, SIZE // 2 :] > 0)
    assert known[:, : SIZE // 2].all()


def test_a_split_field_is_honoured_and_no_polygon_is_taught_in_two_parts(scene):
    data = open_raster_classes(
        scene["raster"], scene["labels"][".gpkg"], "class", split_field="split", chip_px=CHIP
    )
    geometries, _ = class_polygons(scene["classes"], scene["transform"])
    features = rasterize(
        zip(geometries, range(1, len(geometries) + 1)), (SIZE, SIZE), transform=scene["transform"]
    )
    split_of = np.asarray(["", *scene["splits"]], object)[features]
    _, known, splits = canvas(data)
    on_polygon = known & (features > 0)
    assert on_polygon.any() and (split_of[on_polygon] == splits[on_polygon]).all()
    taught = {int(f) for f in np.unique(features[on_polygon])}
    # a polygon only in chips that most of their area gives other splits is never taught (splits cycle
    # over the features here, so long roads often lose)
    assert len(taught) > len(geometries) // 2
    for image in data.images:  # a chip takes the split of most of its polygons' area
        row, col = chip_at(image)
        window = split_of[row * CHIP : (row + 1) * CHIP, col * CHIP : (col + 1) * CHIP]
        votes = {s: int((window == s).sum()) for s in SPLIT_CYCLE}
        if any(votes.values()):
            assert votes[image.split] == max(votes.values())


def test_the_seeded_split_is_by_blocks_and_repeatable(scene):
    def split(seed):
        data = open_raster_classes(
            scene["raster"], scene["labels"][".gpkg"], "class", chip_px=CHIP, seed=seed
        )
        return {image.name: image.split for image in data.images}

    first = split(3)
    assert split(3) == first and len(first) == (SIZE // CHIP) ** 2  # each chip once, the same each time
    blocks: dict[tuple[int, int], set[str]] = {}
    for name, part in first.items():
        row, col = (int(v[1:]) for v in name.split("_"))
        blocks.setdefault((row // BLOCK_CHIPS, col // BLOCK_CHIPS), set()).add(part)
    assert all(len(parts) == 1 for parts in blocks.values())  # neighbouring chips stay in one part
    assert set(first.values()) == {"train", "val", "test"}
    assert any(split(seed) != first for seed in (4, 5, 6))


def test_bad_sets_are_one_readable_error(scene, tmp_path):
    raster, labels = scene["raster"], scene["labels"][".gpkg"]
    with pytest.raises(SamCoreError, match=r"no field 'kind' \(its fields: class, code, split\)"):
        open_raster_classes(raster, labels, "kind", chip_px=CHIP)
    with pytest.raises(SamCoreError, match=r"each polygon's class \(its fields: class, code, split\)"):
        open_raster_classes(raster, labels, None, chip_px=CHIP)
    squares = [pixel_box(scene["transform"], k * 100, 0, k * 100 + 50, 50) for k in range(3)]
    empty = write_layer(tmp_path / "empty.gpkg", squares, "EPSG:32633", {"class": ["road", " ", "water"]})
    with pytest.raises(SamCoreError, match="field 'class' of empty.gpkg is empty for feature 2"):
        open_raster_classes(raster, empty, "class", chip_px=CHIP)
    away = [shapely.affinity.translate(g, 5000.0, 0.0) for g in squares]
    away = write_layer(tmp_path / "away.gpkg", away, "EPSG:32633", {"class": ["road"] * 3})
    with pytest.raises(SamCoreError, match="the labels away.gpkg do not overlap the raster scene.tif"):
        open_raster_classes(raster, away, "class", chip_px=CHIP)
    small = write_label_raster(tmp_path / "small.tif", np.zeros((256, 256)), None, crs=None)
    with pytest.raises(SamCoreError, match="has no CRS and is 256×256 px, not the raster's 512×512"):
        open_raster_classes(raster, small, chip_px=CHIP)
    with pytest.raises(SamCoreError, match="a raster of class codes: a class field and a split field go"):
        open_raster_classes(raster, small, "class", chip_px=CHIP)
    with pytest.raises(SamCoreError, match="labels not found"):
        open_raster_classes(raster, tmp_path / "missing.gpkg", "class", chip_px=CHIP)


def test_a_label_raster_without_a_crs_of_the_rasters_size_is_taken_pixel_for_pixel(scene, tmp_path):
    codes = write_label_raster(tmp_path / "plain.tif", np.asarray(CODES)[scene["classes"]], None, crs=None)
    notes: list[str] = []
    data = open_raster_classes(scene["raster"], codes, chip_px=CHIP, warnings=notes)
    classes, known, _ = canvas(data)
    assert known.all() and (np.asarray(CODES)[classes] == np.asarray(CODES)[scene["classes"]]).all()
    assert notes == ["the label raster plain.tif has no CRS: taken pixel for pixel on the raster"]


def test_edge_chips_are_padded_and_nodata_is_not_known(scene, tmp_path):
    with rasterio.open(scene["raster"]) as ds:
        profile, pixels = ds.profile, ds.read()
    pixels = np.maximum(pixels, 1)
    pixels[:, :20] = 0  # the first 20 rows are nodata
    raster = tmp_path / "nodata.tif"
    with rasterio.open(raster, "w", **{**profile, "nodata": 0}) as ds:
        ds.write(pixels)
    chip, edge = 192, SIZE - 2 * 192  # the last chips of a row and a column hold 128 raster pixels
    codes = write_label_raster(
        tmp_path / "codes.tif", np.asarray(CODES)[scene["classes"]], scene["transform"]
    )
    for labels, field in ((scene["labels"][".gpkg"], "class"), (codes, None)):
        data = open_raster_classes(raster, labels, field, chip_px=chip)
        assert {chip_at(image) for image in data.images} == {(r, c) for r in range(3) for c in range(3)}
        for image in data.images:
            row, col = chip_at(image)
            known = image.labelled
            assert image.rgb.shape == (chip, chip, 3) and image.classes.shape == (chip, chip)
            if row == 2:
                assert not known[edge:].any() and (image.rgb[edge:] == 0).all()
            if col == 2:
                assert not known[:, edge:].any() and (image.rgb[:, edge:] == 0).all()
            if row == 0:
                assert not known[:20].any() and known[20:].any()
