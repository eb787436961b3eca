"""The GIS form of fine-tuning data: a UTM GeoTIFF plus polygons in EPSG:4326 read into chips of a TuningSet.

The raster and its objects come from ``finetune_data.write_raster_with_labels``: the object-id mask is
vectorised along pixel edges, reprojected to EPSG:4326 vertex by vertex and written as GeoJSON and GeoPackage;
``open_raster_labels`` reprojects them back (densified) and burns them with the pixel-centre rule, which must
give the generated ids back pixel for pixel.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from finetune_data import id_polygons, pixel_box, reproject, write_polygons, write_raster_with_labels
from pyproj import CRS

from sam_core.errors import SamCoreError
from sam_core.finetune.labels import open_raster_labels
from sam_core.geo.chips import BLOCK_CHIPS
from sam_core.geo.raster import RasterSource

SIZE, CHIP = 1024, 256
SPLIT_CYCLE = ["train", "train", "val", "test"]


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    root = tmp_path_factory.mktemp("scene")
    fields = {"split": [SPLIT_CYCLE[(k - 1) % 4] for k in range(1, 41)], "kind": ["a"] * 40}
    return write_raster_with_labels(root, size=SIZE, n_objects=14, seed=0, fields=fields)


def chip_at(image) -> tuple[int, int]:
    row, col = image.name.split("_")
    return int(row[1:]), int(col[1:])


def known(image) -> np.ndarray:
    return np.ones(image.objects.shape, bool) if image.known is None else image.known


def windows(tuning, chip=CHIP):
    """(image, row slice, col slice) of each chip on the raster, clipped to the raster."""
    for image in tuning.images:
        row, col = chip_at(image)
        yield image, slice(row * chip, (row + 1) * chip), slice(col * chip, (col + 1) * chip)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_burned_ids_match_the_generated_ids_exactly(scene, suffix):
    tuning = open_raster_labels(scene["raster"], scene["labels"][suffix], chip_px=CHIP)
    objects, seen = scene["objects"], np.zeros(scene["objects"].shape, bool)
    with RasterSource(
        scene["raster"]
    ) as source:  # the raster's own 2-98 % stretch, as every command reads it
        rgb = source.stretch.apply(scene["rgb"].transpose(2, 0, 1))
    assert tuning.form == "raster" and CRS.from_wkt(tuning.crs_wkt).to_epsg() == 32633
    assert tuning.gsd_m == pytest.approx(10.0, rel=2e-3)  # UTM's scale factor, measured on the ellipsoid
    for image, rows, cols in windows(tuning):
        k = known(image)
        np.testing.assert_array_equal(image.objects[k], objects[rows, cols][k])  # feature k is object k
        np.testing.assert_array_equal(image.rgb, rgb[rows, cols])
        assert (objects[rows, cols][~k] > 0).all()  # only objects of another split are not known
        assert (image.objects[~k] == 0).all()
        seen[rows, cols] |= k
    assert seen[objects > 0].mean() > 0.5
    assert {chip_at(image) for image in tuning.images} == {(r, c) for r in range(4) for c in range(4)}


def test_the_by_area_split_puts_no_object_in_two_splits(scene):
    tuning = open_raster_labels(scene["raster"], scene["labels"][".gpkg"], chip_px=CHIP, seed=3)
    where: dict[int, set[str]] = {}
    blocks: dict[tuple[int, int], set[str]] = {}
    for image in tuning.images:
        for fid in np.unique(image.objects[image.objects > 0]).tolist():
            where.setdefault(fid, set()).add(image.split)
        row, col = chip_at(image)
        blocks.setdefault((row // BLOCK_CHIPS, col // BLOCK_CHIPS), set()).add(image.split)
    assert all(len(splits) == 1 for splits in where.values())
    assert all(len(splits) == 1 for splits in blocks.values())  # whole blocks go to one split
    assert len(where) == int(
        scene["objects"].max()
    )  # each object is taught in the split that holds most of it
    assert all(tuning.part(split) for split in ("train", "val", "test"))
    again = open_raster_labels(scene["raster"], scene["labels"][".gpkg"], chip_px=CHIP, seed=3)
    assert [i.split for i in again.images] == [i.split for i in tuning.images]
    others = [
        open_raster_labels(scene["raster"], scene["labels"][".gpkg"], chip_px=CHIP, seed=s) for s in (4, 5)
    ]
    assert any([i.split for i in o.images] != [i.split for i in tuning.images] for o in others)


def test_a_split_field_is_honoured_and_nothing_leaks(scene):
    tuning = open_raster_labels(
        scene["raster"], scene["labels"][".geojson"], split_field="split", chip_px=CHIP
    )
    objects = scene["objects"]
    for image, rows, cols in windows(tuning):
        present = np.unique(image.objects[image.objects > 0]).tolist()
        assert all(SPLIT_CYCLE[(fid - 1) % 4] == image.split for fid in present), image.name
        hidden = ~known(image)
        assert all(
            SPLIT_CYCLE[(fid - 1) % 4] != image.split for fid in np.unique(objects[rows, cols][hidden])
        )
    taught = {fid for image in tuning.images for fid in np.unique(image.objects[image.objects > 0]).tolist()}
    assert len(taught) >= int(objects.max()) - 2  # an object wholly in chips of other splits is never taught
    again = open_raster_labels(scene["raster"], scene["labels"][".gpkg"], split_field="SPLIT", chip_px=CHIP)
    assert [i.split for i in again.images] == [i.split for i in tuning.images]  # the field's case is forgiven


def test_a_region_keeps_an_unlabelled_object_out_of_the_background(tmp_path, scene):
    objects = scene["objects"]
    sizes = np.bincount(objects.ravel())
    left = [k for k in range(1, sizes.size) if np.nonzero(objects == k)[1].max() < SIZE // 2 - 20]
    omitted = left[0]
    data = write_raster_with_labels(tmp_path, size=SIZE, n_objects=14, seed=0, omit=(omitted,))
    rows, cols = np.nonzero(objects == omitted)
    hole = pixel_box(data["transform"], cols.min() - 3, rows.min() - 3, cols.max() + 4, rows.max() + 4)
    half = pixel_box(data["transform"], 0, 0, SIZE // 2, SIZE)  # labelling is complete in the left half
    area = shapely.segmentize(half.difference(hole), 10.0)
    region = write_polygons(
        tmp_path / "region.gpkg", [reproject(area, data["crs"], "EPSG:3857")], "EPSG:3857"
    )
    tuning = open_raster_labels(data["raster"], data["labels"][".gpkg"], region=region, chip_px=CHIP, seed=1)
    ids = np.asarray([0, *data["feature_ids"]])  # a feature's id is its position + 1
    for image, r, c in windows(tuning):
        k, truth = known(image), objects[r, c]
        assert not k[truth == omitted].any()  # neither object nor background
        np.testing.assert_array_equal(ids[image.objects[k]], truth[k])
        outside = np.ones(k.shape, bool)
        outside[:, : max(0, SIZE // 2 - c.start)] = False
        assert not (k & outside & (truth == 0)).any()  # right half: only labelled objects are known
    chips = {chip_at(image) for image in tuning.images}
    with_objects = {
        (r // CHIP, c // CHIP) for r, c in zip(*np.nonzero(np.isin(objects, data["feature_ids"])))
    }
    assert chips == {(r, c) for r in range(4) for c in range(2)} | with_objects


def test_edge_chips_are_padded_and_nodata_is_not_known(tmp_path):
    data = write_raster_with_labels(
        tmp_path, size=600, n_objects=12, seed=0, nodata_rows=20, suffixes=(".gpkg",)
    )
    tuning = open_raster_labels(data["raster"], data["labels"][".gpkg"], chip_px=CHIP)
    for image, rows, cols in windows(tuning):
        k = known(image)
        h, w = len(range(600)[rows]), len(range(600)[cols])
        assert image.rgb.shape == (CHIP, CHIP, 3) and image.objects.shape == (CHIP, CHIP)
        assert not k[h:].any() and not k[:, w:].any() and (image.rgb[h:] == 0).all()
        if rows.start == 0:
            assert not k[:20].any() and (image.objects[:20] == 0).all()
    assert any(len(range(600)[r]) < CHIP or len(range(600)[c]) < CHIP for _, r, c in windows(tuning))


def write_moved(path, scene, shift=(0.0, 0.0), crs="EPSG:4326", fields=None):
    polygons = id_polygons(scene["objects"], scene["transform"])
    moved = [shapely.transform(p, lambda xy: xy + np.asarray(shift)) for p in polygons.values()]
    geometries = [reproject(p, scene["crs"], crs) for p in moved] if crs else moved
    return write_polygons(path, geometries, crs, fields)


def expect_error(*words, **kwargs):
    with pytest.raises(SamCoreError) as caught:
        open_raster_labels(**kwargs)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_errors_name_the_problem(tmp_path, scene):
    raster, labels = scene["raster"], scene["labels"][".gpkg"]
    far = write_moved(tmp_path / "far.gpkg", scene, shift=(1_000_000.0, 0.0))
    expect_error("the labels in far.gpkg do not overlap the raster raster.tif", raster=raster, labels=far)
    expect_error("the region far.gpkg does not overlap the raster", raster=raster, labels=labels, region=far)
    expect_error("has no field 'season'", "split, kind", raster=raster, labels=labels, split_field="season")
    n = int(scene["objects"].max())
    bad = write_moved(tmp_path / "bad.geojson", scene, fields={"split": ["train"] * (n - 1) + ["training"]})
    expect_error("'training'", f"feature {n}", "bad.geojson", raster=raster, labels=bad, split_field="split")
    expect_error("labels not found", raster=raster, labels=tmp_path / "missing.gpkg")
    (tmp_path / "junk.gpkg").write_bytes(b"not a geopackage")
    expect_error("junk.gpkg", raster=raster, labels=tmp_path / "junk.gpkg")
    (tmp_path / "empty.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    expect_error("hold no polygons", raster=raster, labels=tmp_path / "empty.geojson")
    expect_error("raster not found", raster=tmp_path / "none.tif", labels=labels)
    (tmp_path / "broken.tif").write_bytes(b"II*\x00 broken")
    expect_error("cannot read raster broken.tif", raster=tmp_path / "broken.tif", labels=labels)
    expect_error("1 chip(s)", "at least 3", raster=raster, labels=labels, chip_px=SIZE)
    every = write_moved(tmp_path / "train.gpkg", scene, fields={"split": ["train"] * n})
    expect_error("val part", "empty", raster=raster, labels=every, split_field="split", chip_px=SIZE)


def test_a_layer_without_crs_is_taken_to_be_in_the_rasters(tmp_path, scene):
    plain = write_moved(tmp_path / "plain.shp", scene, crs=None)
    notes: list[str] = []
    tuning = open_raster_labels(scene["raster"], plain, chip_px=CHIP, warnings=notes)
    assert notes == ["labels plain.shp has no CRS: taken to be in EPSG:32633"]
    for image, rows, cols in windows(tuning):
        k = known(image)
        np.testing.assert_array_equal(image.objects[k], scene["objects"][rows, cols][k])
