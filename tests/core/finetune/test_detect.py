"""Detection with a fine-tuned decoder: exact georeferencing, blending without seams, objects whole across
tiles and strips, the learned scale and the recipe's resize size, extent, cache, cancel."""

from __future__ import annotations

import time

import numpy as np
import pytest
import shapely
from affine import Affine
from detect_helpers import PIXEL, constant_checkpoint, small_checkpoint, tuned, write_raster
from pyproj import CRS, Transformer

from sam_core.errors import Cancelled, SamCoreError
from sam_core.finetune.detect import DetectOptions, detect_objects, extent_window
from sam_core.finetune.stitch import CHUNK_PX, Stitcher, blend_weight
from sam_core.geo.raster import RasterSource
from sam_core.geo.tiles import PixelWindow, TileGrid
from sam_core.geo.vectorize import mask_to_geometry
from sam_core.sam.embeddings import EmbeddingCache
from sam_core.sam.model import load_model

WIDTH, HEIGHT = 300, 260


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("detect")


@pytest.fixture(scope="module")
def raster(folder):
    return write_raster(folder / "scene.tif", WIDTH, HEIGHT)


@pytest.fixture(scope="module")
def constant(folder):
    """Probability 0.5 everywhere, threshold 0.45, 64 px tiles: every valid pixel is an object pixel."""
    base = small_checkpoint(folder / "small.pth")
    path = tuned(
        constant_checkpoint(base, folder / "constant.pth"), folder / "constant.pth", 0.45, tile_px=64
    )
    return load_model(path, "cpu")


def pixel_box(window: PixelWindow, transform: Affine):
    x0, x1 = transform.c + transform.a * window.col_off, transform.c + transform.a * window.col_end
    y0, y1 = transform.f + transform.e * window.row_end, transform.f + transform.e * window.row_off
    return shapely.box(x0, y0, x1, y1)


def test_an_all_true_probability_is_one_polygon_on_the_extents_pixel_box_exactly(raster, constant):
    extent = (500_000.0 + 37.3, 5_000_000.0 - 401.1, 500_000.0 + 455.9, 5_000_000.0 - 21.7)
    with RasterSource(raster) as source:
        result = detect_objects(source, constant, extent)
        whole = detect_objects(source, constant)
        transform = source.transform
    assert result.tile_px == 64 and result.overlap_px == 16 and result.threshold == 0.45
    assert result.tiles > 4  # several tiles and strips, one object
    (obj,) = result.objects
    region = PixelWindow(18, 10, 228 - 18, 201 - 10)  # floor/ceil of the extent in pixels
    expected = pixel_box(region, transform)
    assert obj["geometry"].normalize().equals_exact(shapely.MultiPolygon([expected]).normalize(), 0.0)
    assert obj["probability"] == pytest.approx(0.5, abs=1e-6)
    assert obj["area_m2"] == pytest.approx(region.width * region.height * PIXEL**2, rel=2e-3)
    assert set(obj) == {"id", "geometry", "probability", "area_m2", "perimeter_m", "model"}
    (full,) = whole.objects
    assert (
        full["geometry"]
        .normalize()
        .equals_exact(
            shapely.MultiPolygon([pixel_box(PixelWindow(0, 0, WIDTH, HEIGHT), transform)]).normalize(), 0.0
        )
    )


def test_the_threshold_is_the_sidecars_and_a_plain_sam_uses_half_and_patch_tiles(folder, raster, constant):
    above = detect_objects(raster, constant, options=DetectOptions(threshold=0.55))
    assert above.objects == [] and above.threshold == 0.55
    plain = load_model(folder / "small.pth", "cpu")  # no sidecar
    constant_plain = constant_checkpoint(folder / "small.pth", folder / "plain_constant.pth")
    result = detect_objects(raster, load_model(constant_plain, "cpu"))
    assert (result.tile_px, result.overlap_px, result.threshold) == (256, 64, 0.5)
    assert result.objects == []  # 0.5 is not above 0.5
    assert plain.info.tuned is None


def test_size_is_the_recipes_resize_of_the_extent(raster, constant):
    # the extent's longer side (300 px) seen as 600 px: a 256 px patch covers 128 source pixels
    result = detect_objects(raster, constant, options=DetectOptions(size=600))
    assert result.tile_px == 128 and result.overlap_px == 32
    assert detect_objects(raster, constant, options=DetectOptions(tile_size=100, overlap=10)).tile_px == 100
    with pytest.raises(SamCoreError, match="fewer than 16"):
        detect_objects(raster, constant, options=DetectOptions(size=10_000))
    with pytest.raises(SamCoreError, match="overlap"):
        detect_objects(raster, constant, options=DetectOptions(overlap=64))


def test_an_extent_in_another_crs_and_one_outside(raster, constant):
    wgs84 = CRS.from_epsg(4326)
    with RasterSource(raster) as source:
        grid = source.grid()
        to_wgs84 = Transformer.from_crs(source.crs, wgs84, always_xy=True)
        lon0, lat0 = to_wgs84.transform(500_000.0 + 100.0, 5_000_000.0 - 400.0)
        extent = (lon0, lat0, lon0 + 0.003, lat0 + 0.002)
        (obj,) = detect_objects(source, constant, extent, wgs84).objects
        region = extent_window(grid, extent, wgs84)
        assert 0 < region.col_off and region.row_end < HEIGHT and region.width > 50
        assert obj["geometry"].equals(pixel_box(region, source.transform))
        with pytest.raises(SamCoreError, match="does not overlap"):
            detect_objects(source, constant, (0.0, 0.0, 10.0, 10.0))


def test_weights_sum_to_one_wherever_tiles_overlap():
    tile, overlap = 48, 12
    grid = TileGrid(200, 170, Affine.identity(), None, tile, overlap)
    total = np.zeros((grid.n_rows * grid.stride + tile, grid.n_cols * grid.stride + tile))
    weight = blend_weight(tile, overlap)
    for t in grid.tiles():
        total[t.window.row_off : t.window.row_end, t.window.col_off : t.window.col_end] += weight
    inner = total[overlap : grid.height - overlap, overlap : grid.width - overlap]
    assert np.allclose(inner, 1.0, atol=1e-6)  # a cross-fade: no step where one tile hands over


def stitch_field(
    field: np.ndarray, tile: int, overlap: int, threshold=0.5, min_region_px=0, region=None, chunk_px=CHUNK_PX
):
    """What detect does with the tiles' probabilities, when every tile reports the same global field."""
    height, width = field.shape
    grid = TileGrid(width, height, Affine.identity(), None, tile, overlap)
    region = region or grid.raster_window
    stitcher = Stitcher(
        region, tile, overlap, grid.stride, threshold, Affine.identity(), min_region_px, chunk_px
    )
    tiles = grid.tiles_for_pixel_box(region.col_off, region.row_off, region.col_end, region.row_end)
    for index, t in enumerate(tiles):
        if index and t.row != tiles[index - 1].row:
            stitcher.end_row(tiles[index - 1].row)
        p, v = np.zeros((tile, tile), np.float32), np.zeros((tile, tile), bool)
        w, inside = t.window, t.valid_window
        rows = slice(inside.row_off - w.row_off, inside.row_end - w.row_off)
        cols = slice(inside.col_off - w.col_off, inside.col_end - w.col_off)
        p[rows, cols] = field[inside.row_off : inside.row_end, inside.col_off : inside.col_end]
        v[rows, cols] = True
        stitcher.add(t, p, v)
    return stitcher.finish()


def components(mask: np.ndarray) -> list:
    """The global mask traced in one piece: its polygons, the reference answer."""
    return sorted(
        (p.normalize().wkt for p in shapely.get_parts(mask_to_geometry(mask, Affine.identity()))),
    )


@pytest.mark.parametrize("chunk_px", [CHUNK_PX, 23])  # 23: chunk seams cross objects too
def test_objects_across_tile_strip_and_chunk_seams_come_out_whole(chunk_px):
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:150, 0:170]
    field = np.full((150, 170), 0.2, np.float32)
    for cx, cy, r in rng.uniform([0, 0, 4], [170, 150, 22], size=(14, 3)):
        field[np.hypot(xx - cx, yy - cy) < r] = 0.8
    field[100:140, 10:16] = field[100:140, 40:46] = field[134:140, 10:46] = 0.8  # a U: joined two strips down
    field += rng.uniform(-0.1, 0.1, field.shape).astype(np.float32)
    found = stitch_field(field, tile=32, overlap=8, chunk_px=chunk_px)
    expected = components(field > 0.5)
    assert sorted(o.geometry.geoms[0].normalize().wkt for o in found) == expected
    assert all(len(o.geometry.geoms) == 1 for o in found)
    for obj in found:  # the mean blended probability of the object's own pixels
        box = obj.box
        crop = field[box.row_off : box.row_end, box.col_off : box.col_end]
        inside = shapely.contains_xy(
            obj.geometry,
            *np.meshgrid(np.arange(box.width) + box.col_off + 0.5, np.arange(box.height) + box.row_off + 0.5),
        )
        assert obj.probability == pytest.approx(float(crop[inside].mean()), abs=1e-5)
    assert len(found) < 14 + 1  # some disks merged, the U is one


def test_a_constant_field_over_many_tiles_is_one_polygon_and_small_regions_go():
    field = np.full((130, 150), 0.9, np.float32)
    field[60:62, 70:72] = 0.1  # a 4 px hole
    field[5:7, 140:142] = 0.1
    field[3, 3] = 0.1
    (obj,) = stitch_field(field, tile=32, overlap=8, min_region_px=16)
    assert obj.geometry.equals(shapely.box(0, 0, 150, 130))  # the small holes filled, one polygon
    islands = np.full((60, 60), 0.1, np.float32)
    islands[10:12, 10:12] = 0.9  # 4 px: sieved away
    islands[30:40, 30:40] = 0.9
    (kept,) = stitch_field(islands, tile=32, overlap=8, min_region_px=16)
    assert kept.pixels == 100


def test_a_rerun_reads_the_cache_and_gives_the_same_objects(folder, raster, constant):
    cache_dir = folder / "cache"
    first = detect_objects(raster, constant, cache=EmbeddingCache(cache_dir))
    assert len(list(cache_dir.rglob("*.emb"))) == first.tiles
    start = time.perf_counter()
    again = detect_objects(raster, constant, cache=EmbeddingCache(cache_dir))
    assert time.perf_counter() - start < 30
    assert [o["geometry"].wkb for o in again.objects] == [o["geometry"].wkb for o in first.objects]


def test_a_cancel_raises_fast_and_progress_rises_to_one(raster, constant):
    seen: list[float] = []
    detect_objects(raster, constant, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and seen[-1].tiles == len(seen)
    asked: list[float] = []

    def cancelled() -> bool:
        if seen and not asked:
            asked.append(time.perf_counter())
        return bool(asked)

    seen.clear()
    with pytest.raises(Cancelled):
        detect_objects(raster, constant, progress=seen.append, is_cancelled=cancelled)
    assert time.perf_counter() - asked[0] < 2.0 and 1.0 not in seen
