"""``map``: the class GeoTIFF is on the input's grid (UTM, Web Mercator, geographic), styled, tiled, with
overviews and nodata; areas are pixel counts × geodesic pixel areas; no seams (the map does not depend on
the extent); a cancel or a bad input leaves nothing. An untrained head is enough here (what the map
holds is tested in ``test_learning``)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
import torch
from affine import Affine
from pyproj import CRS
from semantic_data import CLASSES, generate_scene

from sam_core.errors import Cancelled, SamCoreError
from sam_core.geo.measures import measure, pixel_areas_m2
from sam_core.geo.output import write_polygons
from sam_core.geo.overlap import blend_ramp
from sam_core.geo.tiles import PixelWindow, TileGrid
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config
from sam_core.semantic import blend, class_polygons
from sam_core.semantic.blend import NODATA
from sam_core.semantic.class_polygons import ClassPolygons
from sam_core.semantic.head_file import new_segmentation_head, save_segmentation_head
from sam_core.semantic.mapping import MapOptions, map_classes

COLOURS = ("#228b22", "#808080", "#b22222", "#1e90ff")
GRIDS = {
    "utm": ("EPSG:32633", Affine(1.0, 0, 400_000, 0, -1.0, 5_500_000)),
    "web-mercator": ("EPSG:3857", Affine(2.0, 0, 1_500_000, 0, -2.0, 6_000_000)),
    "geographic": ("EPSG:4326", Affine(1e-5, 0, 15.0, 0, -1e-5, 50.0)),
}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("map") / "tiny_128.pth"
    save_random_checkpoint(path, tiny_config(img_size=128), seed=0)
    return path


@pytest.fixture(scope="module")
def model(checkpoint):
    return load_model(checkpoint, "cpu")


@pytest.fixture(scope="module")
def head(model):
    torch.manual_seed(0)
    head = new_segmentation_head(model, "sam-conv", CLASSES, COLOURS, skip=True)
    head.net.eval()
    return head


def write_raster(path, rgb, crs="EPSG:32633", transform=GRIDS["utm"][1], nodata_box=None):
    """An 8-bit RGB GeoTIFF; ``nodata_box`` (r0, r1, c0, c1) is set to nodata 0 in every band."""
    data = rgb.transpose(2, 0, 1).copy()
    data[data == 0] = 1
    if nodata_box:
        r0, r1, c0, c1 = nodata_box
        data[:, r0:r1, c0:c1] = 0
    profile = {"driver": "GTiff", "width": rgb.shape[1], "height": rgb.shape[0], "count": 3, "dtype": "uint8"}
    with rasterio.open(path, "w", crs=crs, transform=transform, nodata=0, **profile) as ds:
        ds.write(data)
    return path


@pytest.fixture(scope="module")
def scene():
    return generate_scene(300, np.random.default_rng(7))[0][:230, :300]


@pytest.mark.parametrize("name", GRIDS)
def test_the_class_raster_is_on_the_inputs_grid_and_areas_are_geodesic_pixel_sums(
    tmp_path, model, head, scene, name
):
    crs, transform = GRIDS[name]
    raster = write_raster(tmp_path / "in.tif", scene, crs, transform)
    result = map_classes(
        raster, model, head, tmp_path / "classes.tif", options=MapOptions(polygons="regions")
    )
    with rasterio.open(raster) as src, rasterio.open(tmp_path / "classes.tif") as out:
        assert (out.crs, out.transform, out.width, out.height) == (
            src.crs,
            src.transform,
            src.width,
            src.height,
        )
        codes = out.read(1)
    counts = np.bincount(codes.ravel(), minlength=len(CLASSES))[: len(CLASSES)]
    assert counts.tolist() == result.pixels.tolist() and counts.sum() == scene.shape[0] * scene.shape[1]
    areas = pixel_areas_m2(transform, CRS.from_user_input(crs), np.arange(codes.shape[0]), 0, codes.shape[1])
    expected = np.bincount(codes.ravel(), weights=areas.ravel(), minlength=len(CLASSES))
    np.testing.assert_allclose(result.area_m2, expected, rtol=1e-9)  # interpolated along each block's rows
    by_polygons = np.zeros(len(CLASSES))
    for record in result.polygons:
        by_polygons[record["class_id"]] += record["area_m2"]
    np.testing.assert_allclose(by_polygons, expected, rtol=1e-6)
    rows = result.class_areas()
    assert sum(r["percent"] for r in rows) == pytest.approx(100.0)
    assert [r["area_ha"] for r in rows] == pytest.approx((expected / 1e4).tolist())


@pytest.mark.parametrize("name", GRIDS)
def test_pixel_areas_are_what_measure_gives_the_pixels(name):
    crs, transform = GRIDS[name]
    crs = CRS.from_user_input(crs)
    areas = pixel_areas_m2(transform, crs, np.arange(40, 90), 1000, 300)
    for r0, c0 in ((0, 0), (30, 130), (10, 280)):
        block = areas[r0 : r0 + 20, c0 : c0 + 20].sum()
        x0, y0 = transform @ (1000 + c0, 40 + r0)
        x1, y1 = transform @ (1000 + c0 + 20, 40 + r0 + 20)
        square = shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        assert block == pytest.approx(measure(square, crs).area_m2, rel=1e-8)


def test_the_map_does_not_depend_on_the_extent(tmp_path, model, head, scene):
    raster = write_raster(tmp_path / "in.tif", scene)
    whole = map_classes(raster, model, head, tmp_path / "whole.tif")
    with rasterio.open(tmp_path / "whole.tif") as ds:
        full = ds.read(1)
    assert whole.tiles > 4
    for col0, row0, col1, row1 in ((37, 11, 251, 203), (101, 59, 163, 229)):
        x0, y1 = GRIDS["utm"][1] @ (col0, row0)
        x1, y0 = GRIDS["utm"][1] @ (col1, row1)
        out = tmp_path / f"part_{col0}.tif"
        map_classes(raster, model, head, out, extent=(x0, y0, x1, y1))
        with rasterio.open(out) as ds:
            part = ds.read(1)
            assert ds.transform == GRIDS["utm"][1] @ Affine.translation(col0, row0)
        np.testing.assert_array_equal(part, full[row0:row1, col0:col1])
    assert len(np.unique(full)) >= 2  # a map with classes to compare, not one flat class


def test_the_blend_is_the_weighted_mean_of_the_tiles_covering_each_pixel():
    """Blocks released tile by tile against the blend computed over the whole extent at once: every pixel
    is the weight-averaged probability of the tiles covering it (extents starting mid-tile, a ragged end)."""
    rng = np.random.default_rng(0)
    grid = TileGrid(230, 170, GRIDS["utm"][1], None, 64, 16)
    ramp = blend_ramp(64, 16)
    for region in (PixelWindow(0, 0, 230, 170), PixelWindow(37, 53, 150, 101), PixelWindow(50, 47, 10, 3)):
        tiles = grid.tiles_for_pixel_box(region.col_off, region.row_off, region.col_end, region.row_end)
        outputs = {(t.col, t.row): (rng.dirichlet(np.ones(3), (64, 64)).transpose(2, 0, 1).astype(np.float32),
                                    rng.random((64, 64)) > 0.1) for t in tiles}  # fmt: skip
        sums = np.zeros((3, 170 + 64, 230 + 64))
        for t in tiles:
            p, valid = outputs[(t.col, t.row)]
            w = np.outer(ramp, ramp) * valid
            sums[:, t.window.row_off : t.window.row_end, t.window.col_off : t.window.col_end] += p * w
        expected = sums[:, region.row_off : region.row_end, region.col_off : region.col_end]
        total = expected.sum(axis=0)
        expected = np.divide(expected, total, out=np.zeros_like(expected), where=total > 0)
        blocks = list(
            blend.blended_blocks(region, tiles, 16, 3, lambda t, o=outputs: o[(t.col, t.row)], True)
        )
        got = blend.assemble(blocks, region)
        covered = np.zeros((region.height, region.width), int)
        for b in blocks:
            covered[b.row_off - region.row_off : b.row_off - region.row_off + b.height,
                    b.col_off - region.col_off : b.col_off - region.col_off + b.width] += 1  # fmt: skip
        assert (covered == 1).all()  # the blocks tile the extent exactly once
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_the_class_raster_is_styled_tiled_compressed_with_overviews_and_nodata(tmp_path, model, head, scene):
    big = np.tile(scene, (2, 2, 1))[:400, :600]
    raster = write_raster(tmp_path / "in.tif", big, nodata_box=(0, 60, 0, 90))
    map_classes(raster, model, head, tmp_path / "classes.tif", options=MapOptions(overlap=0.5))
    with rasterio.open(tmp_path / "classes.tif") as ds:
        codes = ds.read(1)
        assert ds.nodata == NODATA and ds.block_shapes == [(256, 256)] and ds.compression.name == "deflate"
        assert ds.overviews(1) == [2, 4]  # down to one block
        assert ds.colormap(1)[2] == (0xB2, 0x22, 0x22, 255)
    assert (codes[:60, :90] == NODATA).all() and (codes[60:, 90:] != NODATA).all()
    style = (tmp_path / "classes.qml").read_text()
    assert 'value="3" color="#1e90ff"' in style and 'label="water"' in style
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classes.qml", "classes.tif", "in.tif"]


def test_a_cancel_leaves_nothing_and_keeps_an_existing_map(tmp_path, model, head, scene):
    raster = write_raster(tmp_path / "in.tif", scene)
    out = tmp_path / "classes.tif"
    out.write_bytes(b"the user's old map")
    calls = []

    def cancel_after_three() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        map_classes(raster, model, head, out, is_cancelled=cancel_after_three)
    assert out.read_bytes() == b"the user's old map"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classes.tif", "in.tif"]


def test_bad_inputs_are_one_error(tmp_path, model, head, scene):
    raster = write_raster(tmp_path / "in.tif", scene)
    with pytest.raises(SamCoreError, match="does not overlap"):
        map_classes(raster, model, head, tmp_path / "c.tif", extent=(0.0, 0.0, 10.0, 10.0))
    with pytest.raises(SamCoreError, match="polygons are"):
        map_classes(raster, model, head, tmp_path / "c.tif", options=MapOptions(polygons="all"))
    other = load_model(_other_checkpoint(tmp_path), "cpu")
    with pytest.raises(SamCoreError, match="trained with"):
        map_classes(raster, other, head, tmp_path / "c.tif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tif", "other.pth"]


def _other_checkpoint(folder):
    path = folder / "other.pth"
    save_random_checkpoint(path, tiny_config(img_size=128), seed=1)
    return path


def test_the_cli_writes_the_map_polygons_and_the_summary(tmp_path, checkpoint, head, scene):
    raster = write_raster(tmp_path / "in.tif", scene)
    save_segmentation_head(head, tmp_path / "head.pt")
    command = [sys.executable, "-m", "sam_core", "map", str(raster), "--checkpoint", str(checkpoint)]
    command += ["--head", str(tmp_path / "head.pt"), "--out", str(tmp_path / "c.tif")]
    done = subprocess.run(
        [
            *command,
            "--polygons",
            str(tmp_path / "c.gpkg"),
            "--dissolve",
            "--summary",
            str(tmp_path / "a.csv"),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    lines = (tmp_path / "a.csv").read_text().splitlines()
    assert lines[0] == "class,class_id,colour,pixels,area_m2,area_ha,percent,probability,length_m"
    assert len(lines) == 1 + len(CLASSES) and summary["polygons"] <= len(CLASSES)
    road = next(r for r in summary["classes"] if r["class"] == "road")
    assert (road["length_m"] or 0) > 0 if road["pixels"] else road["length_m"] == 0
    bad = subprocess.run(
        [*command[:-2], "--out", str(tmp_path / "c.png")], check=False, capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr
    assert not (tmp_path / "c.png").exists()


@pytest.mark.parametrize("name", ("utm", "geographic"))
def test_a_road_is_as_long_as_its_skeleton_in_metres(name, monkeypatch):
    """A 6 px band 200 px long, then an L of two such legs: the skeleton's length, in geodesic metres."""
    crs, transform = GRIDS[name]
    crs = CRS.from_user_input(crs)
    polygons = ClassPolygons(transform, crs, CLASSES, every_class=False)
    width_m, height_m = polygons.pixel_metres(60, 13)
    band = shapely.box(*(transform @ (10, 10)), *(transform @ (210, 16)))
    assert polygons.length_m(shapely.normalize(band)) == pytest.approx(200 * width_m, rel=0.04)
    leg = shapely.box(*(transform @ (204, 16)), *(transform @ (210, 216)))
    expected = 200 * width_m + 200 * height_m
    whole = polygons.length_m(shapely.union(band, leg))
    assert whole == pytest.approx(expected, rel=0.04)
    monkeypatch.setattr(class_polygons, "WINDOW_PX", 37)  # many windows: the same skeleton, link for link
    # the same links; only the pixel size is taken per window (in degrees it changes with latitude)
    assert polygons.length_m(shapely.union(band, leg)) == pytest.approx(whole, rel=1e-4)


def test_label_objects_on_the_cli_keeps_the_fields_and_refuses_objects_off_the_raster(
    tmp_path, checkpoint, head, scene
):
    raster = write_raster(tmp_path / "in.tif", scene)
    save_segmentation_head(head, tmp_path / "head.pt")
    x0, y0 = GRIDS["utm"][1] @ (20, 40)
    boxes = [shapely.box(x0 + 30 * k, y0 - 20, x0 + 30 * k + 15, y0) for k in range(4)]
    records = [{"geometry": b, "name": f"object {k}", "class": "mine"} for k, b in enumerate(boxes)]
    write_polygons(tmp_path / "objects.gpkg", records, CRS.from_epsg(32633), {"name": str, "class": str})
    command = [sys.executable, "-m", "sam_core", "label-objects", str(raster), str(tmp_path / "objects.gpkg")]
    command += ["--checkpoint", str(checkpoint), "--head", str(tmp_path / "head.pt")]
    done = subprocess.run(
        [*command, "--out", str(tmp_path / "labelled.gpkg")], check=False, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objects"] == 4
    _meta, _fids, _wkb, (names, theirs, classes, p, runner, q) = pyogrio.raw.read(tmp_path / "labelled.gpkg")
    assert list(names) == [f"object {k}" for k in range(4)] and list(theirs) == ["mine"] * 4  # src_class
    assert set(classes) <= set(CLASSES) and all(0 < b <= a <= 1 for a, b in zip(p, q))
    assert all(r in CLASSES and r != c for r, c in zip(runner, classes))
    far = [{"geometry": shapely.box(0, 0, 10, 10), "name": "far", "class": "x"}]
    write_polygons(tmp_path / "far.gpkg", far, CRS.from_epsg(32633), {"name": str, "class": str})
    command[5] = str(tmp_path / "far.gpkg")
    bad = subprocess.run(
        [*command, "--out", str(tmp_path / "bad.gpkg")], check=False, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "overlaps the raster" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "bad.gpkg").exists()
