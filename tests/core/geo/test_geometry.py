"""Geometry core: map↔pixel maths, masks → polygons, geodesic measures and tile coverage.

Every expected number is computed here independently of ``sam_core``: areas with a Lambert azimuthal
equal-area projection of the densified polygon (pyproj) or the closed-form ellipsoidal area of cells
bounded by parallels and meridians, perimeters with ``Geod.inv`` over densified rings, tile sets by brute
force over the whole grid.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import CRS, Geod, Proj, Transformer
from rasterio import features
from shapely.geometry import MultiPolygon, box

from sam_core.geo.measures import measure
from sam_core.geo.tiles import PixelWindow, TileGrid
from sam_core.geo.vectorize import mask_to_geometry

WGS84 = Geod(ellps="WGS84")
WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563
GEO = CRS.from_epsg(4326)
UTM18N = CRS.from_epsg(32618)
WEB_MERCATOR = CRS.from_epsg(3857)

#: the synthetic geographic grids: 0.001° and 0.01° pixels between latitudes 45 and 46
GEO_FINE = Affine(0.001, 0.0, 10.0, 0.0, -0.001, 46.0)
GEO_COARSE = Affine(0.01, 0.0, 10.0, 0.0, -0.01, 46.0)


# -- independent references ---------------------------------------------------------------------------


def authalic_zone(lat_deg: float, a: float = WGS84_A, f: float = WGS84_F) -> float:
    """Area of the ellipsoid between the equator and ``lat_deg`` over the full 360° of longitude / 1 (m²)."""
    b = a * (1.0 - f)
    e = math.sqrt(f * (2.0 - f))
    s = math.sin(math.radians(lat_deg))
    return math.pi * b * b * (s / (1.0 - e * e * s * s) + math.log((1.0 + e * s) / (1.0 - e * s)) / (2.0 * e))


def cell_area(lon0: float, lon1: float, lat0: float, lat1: float) -> float:
    """Closed-form ellipsoidal area of the region between two meridians and two parallels."""
    return abs(lon1 - lon0) / 360.0 * abs(authalic_zone(lat1) - authalic_zone(lat0))


def geographic_mask_area(mask: np.ndarray, transform: Affine) -> float:
    """Sum of closed-form cell areas of the True pixels of a mask on a north-up lon/lat grid."""
    total = 0.0
    for row in np.flatnonzero(mask.any(axis=1)):
        top = transform.f + transform.e * row
        bottom = transform.f + transform.e * (row + 1)
        total += int(mask[row].sum()) * cell_area(0.0, transform.a, bottom, top)
    return total


def to_lonlat(geometry, crs: CRS):
    if crs == GEO:
        return geometry
    transformer = Transformer.from_crs(crs, GEO, always_xy=True)
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def laea_area(geometry, crs: CRS, step: float) -> float:
    """Ellipsoidal area: densify in the CRS (edges are straight there), project to an equal-area LAEA."""
    lonlat = to_lonlat(shapely.segmentize(geometry, step), crs)
    centre = lonlat.centroid
    proj = Proj(f"+proj=laea +lat_0={centre.y!r} +lon_0={centre.x!r} +x_0=0 +y_0=0 +ellps=WGS84 +units=m")
    projected = shapely.transform(lonlat, lambda xy: np.column_stack(proj(xy[:, 0], xy[:, 1])))
    return float(projected.area)


def geodesic_perimeter(geometry, crs: CRS, step: float) -> float:
    """Sum of Geod.inv over every densified ring (exteriors and holes)."""
    lonlat = to_lonlat(shapely.segmentize(geometry, step), crs)
    total = 0.0
    for ring in shapely.get_rings(shapely.get_parts(lonlat)):
        xy = np.asarray(ring.coords)
        _, _, lengths = WGS84.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
        total += float(np.sum(lengths))
    return total


def rect_mask(shape, r0, r1, c0, c1) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[r0:r1, c0:c1] = True
    return mask


def known_masks(size: int) -> dict[str, np.ndarray]:
    """Rectangle, rectangle with a hole, two separate parts, and a staircase-edged disk."""
    masks = {"rectangle": rect_mask((size, size), size // 6, size // 2, size // 8, size * 5 // 8)}
    holed = rect_mask((size, size), size // 10, size * 8 // 10, size // 10, size * 8 // 10)
    holed[size * 3 // 10 : size * 5 // 10, size * 4 // 10 : size * 6 // 10] = False
    masks["hole"] = holed
    two = rect_mask((size, size), 2, size // 4, 3, size // 3)
    two |= rect_mask((size, size), size // 2, size - 5, size // 2, size - 7)
    masks["two_parts"] = two
    rows, cols = np.mgrid[0:size, 0:size]
    masks["disk"] = (rows - size * 0.45) ** 2 + (cols - size * 0.55) ** 2 < (size * 0.3) ** 2
    return masks


@pytest.fixture(scope="module")
def rgb_meta(rgb_tif):
    with rasterio.open(rgb_tif) as ds:
        return ds.width, ds.height, ds.transform, CRS.from_wkt(ds.crs.to_wkt()), ds.bounds


@pytest.fixture(scope="module")
def shade_meta(shade_tif):
    with rasterio.open(shade_tif) as ds:
        return ds.width, ds.height, ds.transform, CRS.from_wkt(ds.crs.to_wkt()), ds.bounds


def real_meta(request, name):
    return request.getfixturevalue(name)


# -- map ↔ pixel --------------------------------------------------------------------------------------


@pytest.mark.parametrize("meta_name", ["rgb_meta", "shade_meta"])
def test_pixel_origin_is_the_top_left_bounds_corner_exactly(request, meta_name):
    width, height, transform, crs, bounds = real_meta(request, meta_name)
    grid = TileGrid(width, height, transform, crs, tile_size=256, overlap=64)
    x, y = grid.pixel_to_map(0, 0)
    assert (float(x), float(y)) == (bounds.left, bounds.top)
    u, v = grid.map_to_pixel(bounds.left, bounds.top)
    assert (float(u), float(v)) == (0.0, 0.0)
    x1, y1 = grid.pixel_to_map(width, height)
    pixel = abs(transform.a)
    assert float(x1) == pytest.approx(bounds.right, abs=1e-9 * pixel)
    assert float(y1) == pytest.approx(bounds.bottom, abs=1e-9 * pixel)


def test_geographic_grid_pixel_maths_by_hand():
    grid = TileGrid(1000, 1000, GEO_FINE, GEO, tile_size=256, overlap=32)
    x, y = grid.pixel_to_map([0.0, 0.5, 1000.0], [0.0, 0.5, 1000.0])
    assert (float(x[0]), float(y[0])) == (10.0, 46.0)  # the top-left corner, exactly
    np.testing.assert_allclose(x, [10.0, 10.0005, 11.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(y, [46.0, 45.9995, 45.0], rtol=0, atol=1e-12)
    u, v = grid.map_to_pixel([10.25, 10.9999], [45.75, 45.0001])
    np.testing.assert_allclose(u, [250.0, 999.9], rtol=0, atol=1e-8)
    np.testing.assert_allclose(v, [250.0, 999.9], rtol=0, atol=1e-8)


@pytest.mark.parametrize("source", ["rgb_meta", "shade_meta", "geographic"])
def test_random_points_round_trip_to_1e_9_pixel(request, source):
    if source == "geographic":
        width, height, transform, crs = 1000, 1000, GEO_FINE, GEO
    else:
        width, height, transform, crs, _ = real_meta(request, source)
    grid = TileGrid(width, height, transform, crs, tile_size=256, overlap=64)
    rng = np.random.default_rng(1234)
    u = rng.uniform(-0.5 * width, 1.5 * width, 2000)
    v = rng.uniform(-0.5 * height, 1.5 * height, 2000)
    x, y = grid.pixel_to_map(u, v)
    # independently: north-up affine by hand
    np.testing.assert_allclose(x, transform.c + transform.a * u, rtol=1e-15, atol=1e-9 * abs(transform.a))
    np.testing.assert_allclose(y, transform.f + transform.e * v, rtol=1e-15, atol=1e-9 * abs(transform.e))
    u2, v2 = grid.map_to_pixel(x, y)
    np.testing.assert_allclose(u2, u, rtol=0, atol=1e-9)
    np.testing.assert_allclose(v2, v, rtol=0, atol=1e-9)
    # tile transforms agree with the grid: tile pixel (s, t) is raster pixel (col_off + s, row_off + t)
    for tile in grid.tiles():
        s, t = rng.uniform(0, tile.size, 2)
        tx, ty = tile.transform @ (s, t)
        gx, gy = grid.pixel_to_map(tile.window.col_off + s, tile.window.row_off + t)
        assert tx == pytest.approx(float(gx), abs=1e-9 * abs(transform.a))
        assert ty == pytest.approx(float(gy), abs=1e-9 * abs(transform.e))
        su, sv = tile.to_tile_pixels(tile.window.col_off + s, tile.window.row_off + t)
        assert float(su) == pytest.approx(s, abs=1e-9)
        assert float(sv) == pytest.approx(t, abs=1e-9)


# -- masks → polygons → measures ----------------------------------------------------------------------


def tile_bounds(tile):
    x0, y0 = tile.transform @ (0, 0)
    x1, y1 = tile.transform @ (tile.size, tile.size)
    return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def check_vectorised(mask: np.ndarray, tile, pixel_area: float):
    """Vectorise in a tile; check topology, bounds and pixel-exactness; return the geometry."""
    geometry = mask_to_geometry(mask, tile.transform)
    assert isinstance(geometry, MultiPolygon)
    assert geometry.is_valid
    # inside the tile (edges may lie on its boundary)
    bounds = tile_bounds(tile)
    pixel = math.sqrt(pixel_area)
    assert geometry.within(bounds.buffer(1e-7 * pixel, join_style="mitre"))
    # vertices sit on pixel corners
    coords = shapely.get_coordinates(geometry)
    u, v = ~tile.transform @ (coords[:, 0], coords[:, 1])
    np.testing.assert_allclose(u, np.round(u), rtol=0, atol=1e-6)
    np.testing.assert_allclose(v, np.round(v), rtol=0, atol=1e-6)
    # rasterising the polygons again gives back the mask
    burnt = features.rasterize([(geometry, 1)], out_shape=mask.shape, transform=tile.transform, fill=0)
    np.testing.assert_array_equal(burnt.astype(bool), mask)
    # planar area = pixel count × pixel area (up to floating rounding of large map coordinates)
    assert geometry.area == pytest.approx(mask.sum() * pixel_area, rel=1e-11)
    return geometry


def test_mask_to_geometry_is_pixel_exact_in_pixel_space():
    for name, mask in known_masks(64).items():
        geometry = mask_to_geometry(mask, Affine.identity())
        assert geometry.area == mask.sum(), name
    geometry = mask_to_geometry(known_masks(64)["hole"], Affine.identity())
    assert len(geometry.geoms) == 1 and len(geometry.geoms[0].interiors) == 1
    geometry = mask_to_geometry(known_masks(64)["two_parts"], Affine.identity())
    assert len(geometry.geoms) == 2
    assert mask_to_geometry(np.zeros((8, 8), bool), Affine.identity()).is_empty


@pytest.mark.parametrize("mask_name", ["rectangle", "hole", "two_parts", "disk"])
def test_utm_masks_measure_geodesic_area(rgb_meta, mask_name):
    width, height, transform, _, _ = rgb_meta
    grid = TileGrid(width, height, transform, UTM18N, tile_size=128, overlap=32)
    tile = grid.tile(2, 3)
    mask = known_masks(tile.size)[mask_name]
    pixel_area = abs(transform.a * transform.e)
    geometry = check_vectorised(mask, tile, pixel_area)
    result = measure(geometry, UTM18N)
    expected = laea_area(geometry, UTM18N, abs(transform.a) / 50)
    assert result.area_m2 == pytest.approx(expected, rel=1e-6)
    # UTM scale distortion here is ~1e-3: a planar answer would fail the check above
    assert abs(geometry.area / expected - 1) > 1e-4


@pytest.mark.parametrize("mask_name", ["rectangle", "hole", "two_parts", "disk"])
def test_web_mercator_masks_measure_geodesic_area(shade_meta, mask_name):
    width, height, transform, _, _ = shade_meta
    grid = TileGrid(width, height, transform, WEB_MERCATOR, tile_size=256, overlap=64)
    tile = grid.tile(1, 2)
    mask = known_masks(tile.size)[mask_name]
    geometry = check_vectorised(mask, tile, abs(transform.a * transform.e))
    result = measure(geometry, WEB_MERCATOR)
    expected = laea_area(geometry, WEB_MERCATOR, abs(transform.a) / 50)
    assert result.area_m2 == pytest.approx(expected, rel=1e-6)
    assert geometry.area / expected > 1.5  # Mercator inflation at ~40°N


@pytest.mark.parametrize("transform", [GEO_FINE, GEO_COARSE], ids=["0.001deg", "0.01deg"])
@pytest.mark.parametrize("mask_name", ["rectangle", "hole", "two_parts", "disk"])
def test_geographic_masks_measure_geodesic_area(transform, mask_name):
    n = round(1.0 / transform.a)  # one degree of latitude and longitude: 45°N–46°N
    grid = TileGrid(n, n, transform, GEO, tile_size=min(n, 256), overlap=min(n, 256) // 4)
    tile = grid.tile(grid.n_cols - 1, grid.n_rows - 1)  # a padded edge tile when the grid has several
    mask = known_masks(tile.size)[mask_name]
    mask &= _valid_part(tile)
    geometry = check_vectorised(mask, tile, transform.a * transform.a)
    result = measure(geometry, GEO)
    row_off, col_off = tile.window.row_off, tile.window.col_off
    closed_form = geographic_mask_area(mask, transform @ Affine.translation(col_off, row_off))
    assert result.area_m2 == pytest.approx(closed_form, rel=1e-6)
    assert laea_area(geometry, GEO, transform.a / 50) == pytest.approx(closed_form, rel=1e-7)


def _valid_part(tile) -> np.ndarray:
    valid = np.zeros((tile.size, tile.size), bool)
    w = tile.valid_window
    valid[
        w.row_off - tile.window.row_off : w.row_end - tile.window.row_off,
        w.col_off - tile.window.col_off : w.col_end - tile.window.col_off,
    ] = True
    return valid


def test_geographic_rectangle_closed_form():
    """Whole-degree rectangle 10–11°E, 45–46°N on the 0.01° grid against the authalic formula."""
    grid = TileGrid(100, 100, GEO_COARSE, GEO, tile_size=128, overlap=16)
    tile = grid.tile(0, 0)
    mask = np.zeros((tile.size, tile.size), bool)
    mask[:100, :100] = True
    geometry = mask_to_geometry(mask, tile.transform)
    assert geometry.bounds == pytest.approx((10.0, 45.0, 11.0, 46.0), abs=1e-12)
    expected = cell_area(10.0, 11.0, 45.0, 46.0)
    assert measure(geometry, GEO).area_m2 == pytest.approx(expected, rel=1e-6)
    # the same area in a single shapely polygon drawn directly (independent of the mask path)
    assert measure(box(10, 45, 11, 46), GEO).area_m2 == pytest.approx(expected, rel=1e-6)


# -- perimeter ----------------------------------------------------------------------------------------


def test_utm_rectangle_perimeter(rgb_meta):
    width, height, transform, _, _ = rgb_meta
    grid = TileGrid(width, height, transform, UTM18N, tile_size=256, overlap=64)
    tile = grid.tile(1, 1)
    geometry = mask_to_geometry(rect_mask((256, 256), 10, 200, 30, 250), tile.transform)
    expected = geodesic_perimeter(geometry, UTM18N, abs(transform.a) / 50)
    assert measure(geometry, UTM18N).perimeter_m == pytest.approx(expected, rel=1e-6)
    # sanity of the reference: close to the planar perimeter, but not equal (UTM scale ≠ 1)
    planar = 2 * (190 + 220) * abs(transform.a)
    assert expected == pytest.approx(planar, rel=5e-3)
    assert abs(expected / planar - 1) > 1e-4


def test_perimeter_counts_holes(rgb_meta):
    width, height, transform, _, _ = rgb_meta
    grid = TileGrid(width, height, transform, UTM18N, tile_size=128, overlap=32)
    tile = grid.tile(2, 2)
    geometry = mask_to_geometry(known_masks(128)["hole"], tile.transform)
    expected = geodesic_perimeter(geometry, UTM18N, abs(transform.a) / 50)
    assert measure(geometry, UTM18N).perimeter_m == pytest.approx(expected, rel=1e-6)


def test_geographic_rectangle_perimeter_closed_form():
    lon0, lon1, lat0, lat1 = 10.0, 10.5, 45.2, 45.9
    geometry = box(lon0, lat0, lon1, lat1)
    e2 = WGS84_F * (2 - WGS84_F)

    def parallel_length(lat):
        phi = math.radians(lat)
        n = WGS84_A / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        return math.radians(lon1 - lon0) * n * math.cos(phi)

    _, _, meridian = WGS84.inv(lon0, lat0, lon0, lat1)
    expected = 2 * meridian + parallel_length(lat0) + parallel_length(lat1)
    result = measure(geometry, GEO).perimeter_m
    assert result == pytest.approx(expected, rel=1e-6)
    assert result == pytest.approx(geodesic_perimeter(geometry, GEO, 1e-4), rel=1e-6)


def test_empty_geometry_measures_zero():
    result = measure(MultiPolygon(), UTM18N)
    assert (result.area_m2, result.perimeter_m) == (0.0, 0.0)


# -- tile coverage ------------------------------------------------------------------------------------

GRID_CASES = [
    (100, 80, 256, 64),  # raster smaller than a tile
    (256, 256, 256, 64),  # exactly one tile
    (512, 512, 256, 0),  # exactly divisible, no overlap
    (448, 640, 256, 64),  # exactly divisible by the stride after the first tile
    (449, 447, 256, 64),  # off by one either way
    (257, 255, 256, 64),
    (791, 718, 256, 64),  # RGB.byte.tif
    (1024, 1024, 1024, 128),  # shade.tif at the default tile size
    (1025, 1023, 1024, 128),
    (50, 300, 16, 15),  # the smallest tile, stride 1
]


@pytest.mark.parametrize("width, height, tile_size, overlap", GRID_CASES)
def test_tiles_cover_the_raster_without_gaps(width, height, tile_size, overlap):
    grid = TileGrid(width, height, Affine(2.0, 0, 1000.0, 0, -2.0, 9000.0), UTM18N, tile_size, overlap)
    stride = tile_size - overlap
    tiles = grid.tiles()
    assert len(tiles) == grid.n_cols * grid.n_rows
    coverage = np.zeros((height, width), np.int32)
    for tile in tiles:
        w = tile.window
        assert (w.col_off, w.row_off) == (tile.col * stride, tile.row * stride)
        assert (w.width, w.height) == (tile_size, tile_size)
        v = tile.valid_window
        assert v is not None, "a tile with no pixel of the raster"
        assert v == PixelWindow(
            w.col_off, w.row_off, min(w.col_end, width) - w.col_off, min(w.row_end, height) - w.row_off
        )
        coverage[v.row_off : v.row_end, v.col_off : v.col_end] += 1
    assert coverage.min() >= 1
    # no superfluous tile: the last-but-one column/row stops short of the raster's edge
    if grid.n_cols > 1:
        assert grid.tile(grid.n_cols - 2, 0).window.col_end < width
    else:
        assert width <= tile_size
    if grid.n_rows > 1:
        assert grid.tile(0, grid.n_rows - 2).window.row_end < height
    else:
        assert height <= tile_size
    # adjacent tiles overlap by exactly ``overlap`` (full windows and inside-raster parts alike)
    for tile in tiles:
        for dc, dr in ((1, 0), (0, 1)):
            if tile.col + dc >= grid.n_cols or tile.row + dr >= grid.n_rows:
                continue
            nxt = grid.tile(tile.col + dc, tile.row + dr)
            for a, b in ((tile.window, nxt.window), (tile.valid_window, nxt.valid_window)):
                common = a.intersection(b)
                if overlap == 0:
                    assert common is None
                else:
                    assert common is not None
                    assert (common.width if dc else common.height) == overlap
    with pytest.raises(IndexError):
        grid.tile(grid.n_cols, 0)


def expected_tiles(grid, u0, v0, u1, v1):
    """Brute force: tiles whose inside-raster window intersects the continuous box with positive area."""
    return {
        (t.col, t.row)
        for t in grid.tiles()
        if u0 < t.valid_window.col_end
        and u1 > t.valid_window.col_off
        and v0 < t.valid_window.row_end
        and v1 > t.valid_window.row_off
    }


def test_tiles_for_extent_random_extents(rgb_meta):
    width, height, transform, crs, _ = rgb_meta
    grid = TileGrid(width, height, transform, crs, tile_size=256, overlap=64)
    rng = np.random.default_rng(7)
    for _ in range(300):
        # extents that overlap the raster, possibly sticking out of it on any side
        u = np.sort([rng.uniform(-100, width), rng.uniform(0, width + 100)])
        v = np.sort([rng.uniform(-100, height), rng.uniform(0, height + 100)])
        if (
            u[1] - u[0] < 1e-3
            or v[1] - v[0] < 1e-3
            or u[1] <= 0
            or v[1] <= 0
            or u[0] >= width
            or v[0] >= height
        ):
            continue
        xs = transform.c + transform.a * u
        ys = transform.f + transform.e * v
        got = {(t.col, t.row) for t in grid.tiles_for_extent(xs[0], ys.min(), xs[1], ys.max())}
        assert got, (u, v)
        assert got == expected_tiles(grid, u[0], v[0], u[1], v[1]), (u, v)


@pytest.mark.parametrize("side", ["above", "left", "above-left", "below", "right", "below-right"])
def test_tiles_for_extent_entirely_outside_the_raster_is_empty(rgb_meta, side):
    width, height, transform, crs, _ = rgb_meta
    grid = TileGrid(width, height, transform, crs, tile_size=256, overlap=64)
    u = {"left": (-80.0, -70.0), "right": (width + 70.0, width + 80.0)}
    v = {"above": (-80.0, -70.0), "below": (height + 70.0, height + 80.0)}
    u0, u1 = next((u[k] for k in u if k in side), (100.0, 200.0))
    v0, v1 = next((v[k] for k in v if k in side), (100.0, 200.0))
    assert expected_tiles(grid, u0, v0, u1, v1) == set()
    x0, y1 = transform @ (u0, v0)
    x1, y0 = transform @ (u1, v1)
    assert grid.tiles_for_extent(x0, y0, x1, y1) == []
    assert grid.tiles_for_pixel_box(u0, v0, u1, v1) == []


def test_tiles_for_extent_on_exact_tile_boundaries():
    """Binary-exact pixel size: an extent that ends exactly where a tile's window begins does not pick it."""
    transform = Affine(2.0, 0.0, 1000.0, 0.0, -2.0, 9000.0)
    grid = TileGrid(700, 500, transform, UTM18N, tile_size=256, overlap=64)
    for u0, v0, u1, v1 in [
        (0, 0, 192, 192),
        (0, 0, 193, 192),
        (192, 192, 256, 256),
        (255.5, 10, 256, 20),
        (256, 0, 384, 100),
        (600, 400, 700, 500),
        (699, 499, 700, 500),
    ]:
        x0, y1 = transform @ (u0, v0)
        x1, y0 = transform @ (u1, v1)
        got = {(t.col, t.row) for t in grid.tiles_for_extent(x0, y0, x1, y1)}
        assert got == expected_tiles(grid, u0, v0, u1, v1), (u0, v0, u1, v1)
    x0, y1 = transform @ (0, 0)
    x1, y0 = transform @ (192, 192)
    assert {(t.col, t.row) for t in grid.tiles_for_extent(x0, y0, x1, y1)} == {(0, 0)}


def test_tiles_for_extent_in_another_crs(rgb_meta):
    width, height, transform, crs, _ = rgb_meta
    grid = TileGrid(width, height, transform, crs, tile_size=256, overlap=64)
    to_utm = Transformer.from_crs(GEO, UTM18N, always_xy=True)
    to_geo = Transformer.from_crs(UTM18N, GEO, always_xy=True)
    boundaries = {k * grid.stride for k in range(grid.n_cols + 1)} | {
        k * grid.stride + grid.tile_size for k in range(grid.n_cols + 1)
    }
    rng = np.random.default_rng(11)
    tried = 0
    while tried < 40:
        # a lon/lat rectangle around a random spot of the raster (partly outside sometimes)
        cu, cv = rng.uniform(0, width), rng.uniform(0, height)
        lon, lat = to_geo.transform(*(transform @ (cu, cv)))
        dlon, dlat = rng.uniform(0.05, 1.2, 2)
        extent = (lon - dlon / 2, lat - dlat / 2, lon + dlon / 2, lat + dlat / 2)
        # reference: the pixel bounding box of the heavily densified lon/lat outline
        ring = shapely.segmentize(box(*extent), min(dlon, dlat) / 2000)
        xy = np.asarray(ring.exterior.coords)
        ex, ey = to_utm.transform(xy[:, 0], xy[:, 1])
        pu = (np.asarray(ex) - transform.c) / transform.a
        pv = (np.asarray(ey) - transform.f) / transform.e
        u0, u1, v0, v1 = pu.min(), pu.max(), pv.min(), pv.max()
        edges = np.array([u0, u1, v0, v1])
        if min(abs(e - b) for e in edges for b in boundaries | {0, width, height}) < 0.01:
            continue  # too close to a tile boundary for the reference's own precision
        tried += 1
        got = {(t.col, t.row) for t in grid.tiles_for_extent(*extent, extent_crs=GEO)}
        assert got == expected_tiles(grid, u0, v0, u1, v1), extent
        box_px = grid.extent_to_pixel_box(*extent, extent_crs=GEO)
        np.testing.assert_allclose(box_px, (u0, v0, u1, v1), rtol=0, atol=1e-3)
