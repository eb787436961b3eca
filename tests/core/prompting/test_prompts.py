"""Prompts in any CRS land on the right pixels of the right tile; bad prompts are readable errors."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import box as shapely_box

from sam_core.errors import SamCoreError
from sam_core.geo.tiles import TileGrid
from sam_core.prompting.prompts import Point, Prompts, choose_tile, locate

GEO = CRS.from_epsg(4326)
WEB_MERCATOR = CRS.from_epsg(3857)
UTM18N = CRS.from_epsg(32618)

#: pixel centres of RGB.byte.tif away from its nodata collar, and two near its corners
PIXEL_CENTRES = [(395.5, 359.5), (100.5, 600.5), (700.5, 80.5), (0.5, 0.5), (790.5, 717.5)]


@pytest.fixture(scope="module")
def rgb(rgb_tif):
    """(width, height, transform, crs) of RGB.byte.tif, read with rasterio, not sam_core."""
    with rasterio.open(rgb_tif) as ds:
        return ds.width, ds.height, ds.transform, CRS.from_wkt(ds.crs.to_wkt())


@pytest.fixture(scope="module")
def grid(rgb):
    width, height, transform, crs = rgb
    return TileGrid(width, height, transform, crs, tile_size=256, overlap=64)


def pixel_to_utm(transform, u, v):
    return transform.c + transform.a * u + transform.b * v, transform.f + transform.d * u + transform.e * v


def from_utm(crs: CRS, x, y):
    if crs == UTM18N:
        return x, y
    return Transformer.from_crs(UTM18N, crs, always_xy=True).transform(x, y)


def raster_pixels(located, points_or_box):
    """Tile pixel coordinates + tile offset = raster pixel coordinates."""
    off = np.array([located.tile.window.col_off, located.tile.window.row_off], float)
    if points_or_box.ndim == 2:
        return points_or_box + off
    return points_or_box + np.tile(off, 2)


# -- coordinates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("crs", [None, UTM18N, GEO, WEB_MERCATOR], ids=["raster", "utm", "4326", "3857"])
@pytest.mark.parametrize("centre", PIXEL_CENTRES)
def test_point_in_any_crs_lands_on_its_pixel_centre(grid, rgb, crs, centre):
    _, _, transform, _ = rgb
    x, y = from_utm(crs or UTM18N, *pixel_to_utm(transform, *centre))
    located = locate(Prompts(points=(Point(x, y, 1),), crs=crs), grid)
    np.testing.assert_allclose(raster_pixels(located, located.points), [centre], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(located.labels, [1])
    assert located.box is None
    # the chosen tile really contains the point, in its own pixel coordinates
    ((tu, tv),) = located.points
    assert 0 <= tu <= located.tile.size and 0 <= tv <= located.tile.size


def test_several_points_keep_order_and_labels(grid, rgb):
    _, _, transform, _ = rgb
    centres = [(300.5, 300.5), (320.5, 310.5), (310.5, 340.5)]
    to_geo = Transformer.from_crs(UTM18N, GEO, always_xy=True)
    points = []
    for (u, v), label in zip(centres, (1, 0, 1)):
        lon, lat = to_geo.transform(*pixel_to_utm(transform, u, v))
        points.append(Point(lon, lat, label))
    prompts = Prompts(points=tuple(points), crs=GEO)
    assert (prompts.n_foreground, prompts.n_background, prompts.prompt_type) == (2, 1, "point")
    located = locate(prompts, grid)
    np.testing.assert_allclose(raster_pixels(located, located.points), centres, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(located.labels, [1, 0, 1])


def test_box_in_the_raster_crs_maps_exactly(grid, rgb):
    _, _, transform, _ = rgb
    u0, v0, u1, v1 = 300.25, 200.75, 340.5, 260.25
    x0, y0 = pixel_to_utm(transform, u0, v1)  # lower-left
    x1, y1 = pixel_to_utm(transform, u1, v0)  # upper-right
    for crs in (None, UTM18N):
        located = locate(Prompts(box=(x0, y0, x1, y1), crs=crs), grid)
        np.testing.assert_allclose(raster_pixels(located, located.box), [u0, v0, u1, v1], rtol=0, atol=1e-6)
        assert len(located.points) == 0


def densified_pixel_bbox(transform, extent, crs):
    """Pixel bounding box of a heavily densified extent outline transformed to UTM by pyproj."""
    ring = shapely.segmentize(shapely_box(*extent), min(extent[2] - extent[0], extent[3] - extent[1]) / 4000)
    xy = np.asarray(ring.exterior.coords)
    x, y = Transformer.from_crs(crs, UTM18N, always_xy=True).transform(xy[:, 0], xy[:, 1])
    u = (np.asarray(x) - transform.c) / transform.a
    v = (np.asarray(y) - transform.f) / transform.e
    return [u.min(), v.min(), u.max(), v.max()]


@pytest.mark.parametrize("crs", [GEO, WEB_MERCATOR], ids=["4326", "3857"])
def test_box_in_another_crs_covers_its_outline(grid, rgb, crs):
    _, _, transform, _ = rgb
    u0, v0, u1, v1 = 300.5, 200.5, 340.5, 260.5
    corners_x, corners_y = pixel_to_utm(transform, np.array([u0, u1, u1, u0]), np.array([v0, v0, v1, v1]))
    cx, cy = from_utm(crs, corners_x, corners_y)
    extent = (min(cx), min(cy), max(cx), max(cy))
    located = locate(Prompts(box=extent, crs=crs), grid)
    got = raster_pixels(located, located.box)
    np.testing.assert_allclose(got, densified_pixel_bbox(transform, extent, crs), rtol=0, atol=1e-6)
    # and the box's bounding box of the original pixel rectangle's corners is inside it
    assert got[0] <= u0 + 1e-6 and got[1] <= v0 + 1e-6 and got[2] >= u1 - 1e-6 and got[3] >= v1 - 1e-6


def test_box_partly_outside_is_clipped_to_the_raster(grid, rgb):
    width, height, transform, _ = rgb
    cases = [
        ((-40.0, 100.0, 60.0, 150.0), (0.0, 100.0, 60.0, 150.0)),
        ((700.0, -30.0, width + 50.0, 40.0), (700.0, 0.0, float(width), 40.0)),
        ((600.0, 650.0, width + 1.0, height + 1.0), (600.0, 650.0, float(width), float(height))),
    ]
    for (u0, v0, u1, v1), expected in cases:
        x0, y0 = pixel_to_utm(transform, u0, v1)
        x1, y1 = pixel_to_utm(transform, u1, v0)
        located = locate(Prompts(box=(x0, y0, x1, y1)), grid)
        np.testing.assert_allclose(raster_pixels(located, located.box), expected, rtol=0, atol=1e-6)
        assert (
            located.tile.valid_window.col_off <= expected[0]
            and expected[2] <= located.tile.valid_window.col_end
        )
        assert (
            located.tile.valid_window.row_off <= expected[1]
            and expected[3] <= located.tile.valid_window.row_end
        )


# -- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "u, v", [(-0.5, 100.0), (100.0, -0.01), (791.01, 10.0), (10.0, 718.01), (5000.0, 5000.0)]
)
def test_point_outside_the_raster_is_an_error(grid, rgb, u, v):
    _, _, transform, _ = rgb
    x, y = pixel_to_utm(transform, u, v)
    with pytest.raises(SamCoreError, match="outside the raster"):
        locate(Prompts(points=(Point(x, y, 1),)), grid)


def test_point_outside_the_raster_in_another_crs_is_an_error(grid):
    with pytest.raises(SamCoreError, match="outside the raster"):
        locate(Prompts(points=(Point(2.35, 48.85, 1),), crs=GEO), grid)  # Paris


def test_point_that_cannot_be_transformed_is_a_readable_error(grid):
    with pytest.raises(SamCoreError):
        locate(Prompts(points=(Point(0.0, 95.0, 1),), crs=GEO), grid)  # latitude 95°


def test_one_bad_point_among_good_ones_is_an_error(grid, rgb):
    _, _, transform, _ = rgb
    inside = Point(*pixel_to_utm(transform, 100.5, 100.5), 1)
    outside = Point(*pixel_to_utm(transform, -3.0, 100.5), 0)
    with pytest.raises(SamCoreError, match="outside the raster"):
        locate(Prompts(points=(inside, outside)), grid)


@pytest.mark.parametrize(
    "pixel_box",
    [
        (-100.0, -100.0, -10.0, -10.0),
        (-50.0, 100.0, -1.0, 200.0),
        (100.0, -50.0, 200.0, -1.0),
        (800.0, 100.0, 900.0, 200.0),
        (100.0, 720.0, 200.0, 800.0),
    ],
)
def test_box_fully_outside_is_an_error(grid, rgb, pixel_box):
    _, _, transform, _ = rgb
    u0, v0, u1, v1 = pixel_box
    x0, y0 = pixel_to_utm(transform, u0, v1)
    x1, y1 = pixel_to_utm(transform, u1, v0)
    with pytest.raises(SamCoreError, match="outside the raster"):
        locate(Prompts(box=(x0, y0, x1, y1)), grid)


def test_invalid_prompts_are_errors():
    with pytest.raises(SamCoreError, match="xmin < xmax"):
        Prompts(box=(10.0, 0.0, 5.0, 1.0))
    with pytest.raises(SamCoreError, match="xmin < xmax"):
        Prompts(box=(0.0, 10.0, 5.0, 1.0))
    with pytest.raises(SamCoreError, match="xmin < xmax"):
        Prompts(box=(0.0, 0.0, 0.0, 1.0))
    with pytest.raises(SamCoreError, match="at least one point"):
        Prompts()
    with pytest.raises(SamCoreError, match="label"):
        Prompts(points=(Point(1.0, 1.0, 2),))
    with pytest.raises(SamCoreError, match="label"):
        Prompts(points=(Point(1.0, 1.0, 1), Point(1.0, 1.0, -1)))


# -- tile choice -----------------------------------------------------------------------------------------


def nearest_containing_tile(grid, u, v):
    """Brute force: among tiles whose inside-raster window contains (u, v), the one with the nearest centre."""
    containing = [
        t
        for t in grid.tiles()
        if t.valid_window.col_off <= u <= t.valid_window.col_end
        and t.valid_window.row_off <= v <= t.valid_window.row_end
    ]
    assert containing
    distances = [
        np.hypot(t.window.col_off + t.size / 2 - u, t.window.row_off + t.size / 2 - v) for t in containing
    ]
    order = np.argsort(distances)
    if len(order) > 1:
        assert distances[order[1]] - distances[order[0]] > 1e-6, "ambiguous test point"
    return containing[order[0]]


@pytest.mark.parametrize(
    "u, v",
    [
        (128.5, 128.5),
        (320.5, 330.5),
        (500.5, 520.5),
        (220.5, 100.5),
        (230.5, 250.5),
        (780.5, 700.5),
        (10.5, 400.5),
    ],
)
def test_point_chooses_the_containing_tile_with_the_nearest_centre(grid, rgb, u, v):
    _, _, transform, _ = rgb
    located = locate(Prompts(points=(Point(*pixel_to_utm(transform, u, v), 1),)), grid)
    expected = nearest_containing_tile(grid, u, v)
    assert (located.tile.col, located.tile.row) == (expected.col, expected.row)
    w = located.tile.valid_window
    assert w.col_off <= u <= w.col_end and w.row_off <= v <= w.row_end


def test_point_deep_inside_a_tile_is_served_by_that_tile(grid, rgb):
    _, _, transform, _ = rgb
    for tile in grid.tiles():
        if tile.valid_window.width < tile.size or tile.valid_window.height < tile.size:
            continue  # centre of a padded tile may be outside the raster
        u, v = tile.window.centre
        located = locate(Prompts(points=(Point(*pixel_to_utm(transform, u + 0.25, v + 0.25), 1),)), grid)
        assert (located.tile.col, located.tile.row) == (tile.col, tile.row)
        np.testing.assert_allclose(located.points, [[tile.size / 2 + 0.25, tile.size / 2 + 0.25]], atol=1e-6)


def test_prompts_together_choose_one_tile_containing_all(grid, rgb):
    _, _, transform, _ = rgb
    # the point alone is served by tile (0, 0) [0, 256); with the box, only tile (1, 0) [192, 448) holds both
    point = Point(*pixel_to_utm(transform, 195.5, 120.5), 1)
    assert locate(Prompts(points=(point,)), grid).tile.col == 0
    x0, y0 = pixel_to_utm(transform, 200.0, 150.0)
    x1, y1 = pixel_to_utm(transform, 300.0, 100.0)
    located = locate(Prompts(points=(point,), box=(x0, y0, x1, y1)), grid)
    tile = located.tile
    assert (tile.col, tile.row) == (1, 0)
    assert tile.valid_window.col_off <= 195.5 and 300.0 <= tile.valid_window.col_end
    assert tile.valid_window.row_off <= 100.0 and 150.0 <= tile.valid_window.row_end
    assert np.all(located.points >= 0) and np.all(located.points <= tile.size)
    assert np.all(located.box >= 0) and np.all(located.box <= tile.size)


def test_prompts_spanning_more_than_a_tile_are_an_error(grid, rgb):
    _, _, transform, _ = rgb
    a = Point(*pixel_to_utm(transform, 10.5, 10.5), 1)
    b = Point(*pixel_to_utm(transform, 400.5, 30.5), 1)
    with pytest.raises(SamCoreError, match="span"):
        locate(Prompts(points=(a, b)), grid)
    x0, y0 = pixel_to_utm(transform, 100.0, 400.0)
    x1, y1 = pixel_to_utm(transform, 400.0, 100.0)
    with pytest.raises(SamCoreError, match="span"):
        locate(Prompts(box=(x0, y0, x1, y1)), grid)
    with pytest.raises(SamCoreError):
        choose_tile(grid, np.array([[0.0, 0.0], [700.0, 700.0]]))


def test_largest_box_a_tile_can_hold_is_accepted(grid, rgb):
    _, _, transform, _ = rgb
    # a thousandth of a pixel inside tile (1, 1)'s window [192, 448)²
    x0, y0 = pixel_to_utm(transform, 192.001, 447.999)
    x1, y1 = pixel_to_utm(transform, 447.999, 192.001)
    located = locate(Prompts(box=(x0, y0, x1, y1)), grid)
    assert (located.tile.col, located.tile.row) == (1, 1)
    np.testing.assert_allclose(located.box, [0.001, 0.001, 255.999, 255.999], atol=1e-6)
