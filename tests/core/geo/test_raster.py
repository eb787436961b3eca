"""The raster source: the stretch (computed once, the same in overlapping windows), validity, band choice."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.windows import Window

from sam_core.errors import SamCoreError
from sam_core.geo.raster import STATS_SIZE, RasterSource
from sam_core.geo.tiles import PixelWindow

# -- stretch -------------------------------------------------------------------------------------------------


def test_stretch_matches_independent_percentiles(source, rgb_tif):
    with rasterio.open(rgb_tif) as ds:
        data = ds.read().astype(np.float64)
        valid = np.any(data != ds.nodata, axis=0)
    assert max(source.width, source.height) <= STATS_SIZE  # the "decimated" read is the full raster here
    stretch = source.stretch
    for i in range(3):
        lo, hi = np.percentile(data[i][valid], (2.0, 98.0))
        assert stretch.low[i] == pytest.approx(lo)
        assert stretch.high[i] == pytest.approx(hi)


def test_stretch_is_computed_once_from_a_decimated_read(tmp_path, monkeypatch):
    # a 3000 × 400 raster, larger than STATS_SIZE, 40 % nodata (0), values ramping 100..1600 along columns
    width, height = 3000, 400
    cols = np.arange(width)
    ramp = (100 + cols // 2).astype(np.uint16)
    data = np.broadcast_to(ramp, (3, height, width)).copy()
    data[1] += 50
    data[:, :, : int(width * 0.4)] = 0
    path = tmp_path / "big.tif"
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 3,
        "dtype": "uint16",
        "nodata": 0,
        "crs": "EPSG:32618",
        "transform": Affine(10, 0, 500000, 0, -10, 5000000),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)

    calls = []
    original = RasterSource._read_valid

    def counting_read(self, bands, window, out_shape=None, *args, **kwargs):
        calls.append(out_shape)
        return original(self, bands, window, out_shape, *args, **kwargs)

    monkeypatch.setattr(RasterSource, "_read_valid", counting_read)
    with RasterSource(path) as src:
        first = src.stretch
        for window in (
            PixelWindow(0, 0, 256, 256),
            PixelWindow(2000, 100, 256, 256),
            PixelWindow(2900, 300, 256, 256),
        ):
            src.read_window(window)
        assert src.stretch is first
    decimated = [shape for shape in calls if shape is not None]
    assert len(decimated) == 1
    assert max(decimated[0]) <= STATS_SIZE < width
    assert len(calls) == 4  # the three windows read at full resolution, no second statistics pass
    # the nodata pixels are not part of the statistics; the percentiles are those of the valid ramp
    valid = data[0][:, data[0][0] > 0]
    lo, hi = np.percentile(valid, (2.0, 98.0))
    span = hi - lo
    assert first.low[0] == pytest.approx(lo, abs=0.01 * span)
    assert first.high[0] == pytest.approx(hi, abs=0.01 * span)
    assert first.low[1] == pytest.approx(first.low[0] + 50, abs=1)


def test_same_pixel_same_value_in_overlapping_windows(source, rgb_tif):
    pairs = [
        (PixelWindow(100, 100, 256, 256), PixelWindow(292, 150, 256, 256)),
        (PixelWindow(500, 400, 256, 256), PixelWindow(600, 500, 256, 256)),  # both past the raster's edge
        (PixelWindow(-64, -64, 256, 256), PixelWindow(0, 0, 128, 128)),  # one starts before the raster
    ]
    stretch = source.stretch
    with rasterio.open(rgb_tif) as ds:
        raw = ds.read().astype(np.float64)
        nodata = ds.nodata
    low = np.asarray(stretch.low)[:, None, None]
    high = np.asarray(stretch.high)[:, None, None]
    reference = np.clip((raw - low) / (high - low), 0, 1) * 255
    reference[:, np.all(raw == nodata, axis=0)] = 0
    reference = reference.transpose(1, 2, 0)
    for a, b in pairs:
        ia, ib = source.read_window(a), source.read_window(b)
        common = a.intersection(b)
        assert common is not None
        sa = np.s_[
            common.row_off - a.row_off : common.row_end - a.row_off,
            common.col_off - a.col_off : common.col_end - a.col_off,
        ]
        sb = np.s_[
            common.row_off - b.row_off : common.row_end - b.row_off,
            common.col_off - b.col_off : common.col_end - b.col_off,
        ]
        np.testing.assert_array_equal(ia.rgb[sa], ib.rgb[sb])
        np.testing.assert_array_equal(ia.valid[sa], ib.valid[sb])
        for window, image in ((a, ia), (b, ib)):
            assert image.rgb.dtype == np.uint8 and image.rgb.shape == (window.height, window.width, 3)
            inside = window.intersection(PixelWindow(0, 0, source.width, source.height))
            r0, c0 = inside.row_off - window.row_off, inside.col_off - window.col_off
            block = image.rgb[r0 : r0 + inside.height, c0 : c0 + inside.width].astype(np.float64)
            expected = reference[inside.row_off : inside.row_end, inside.col_off : inside.col_end]
            assert np.max(np.abs(block - expected)) <= 1.0  # rounding only
            outside = np.ones(image.valid.shape, bool)
            outside[r0 : r0 + inside.height, c0 : c0 + inside.width] = False
            assert not image.valid[outside].any() and not image.rgb[outside].any()


def test_alpha_band_is_respected_and_not_shown_to_sam(rgba_tif, rgb_tif):
    window = PixelWindow(500, 400, 400, 400)  # runs past the bottom-right corner
    with rasterio.open(rgba_tif) as ds:
        alpha = ds.read(4, window=Window(500, 400, ds.width - 500, ds.height - 400))
    expected = np.zeros((400, 400), bool)
    expected[: alpha.shape[0], : alpha.shape[1]] = alpha > 0
    assert not expected[: alpha.shape[0], : alpha.shape[1]].all()
    with RasterSource(rgba_tif) as rgba, RasterSource(rgb_tif) as rgb:
        assert rgba.bands == (1, 2, 3)
        image = rgba.read_window(window)
        np.testing.assert_array_equal(image.valid, expected)
        assert not image.rgb[~expected].any()
        # the same pixels as the RGB file (same data, same stretch)
        np.testing.assert_array_equal(image.rgb, rgb.read_window(window).rgb)


def test_gdal_block_cache_is_bounded_so_memory_does_not_grow_with_the_raster(rgb_tif, monkeypatch):
    import rasterio.env

    from sam_core.geo import raster as raster_module

    monkeypatch.delenv("GDAL_CACHEMAX", raising=False)
    rasterio.env.set_gdal_config("GDAL_CACHEMAX", 512 * 2**20)  # GDAL's default would be 5 % of RAM
    with raster_module.RasterSource(rgb_tif):
        assert int(rasterio.env.get_gdal_config("GDAL_CACHEMAX")) == raster_module.GDAL_CACHE_BYTES


@pytest.mark.parametrize(
    ("count", "interp", "expected"),
    [
        (1, (), (1, 1, 1)),
        (2, (), (1, 1, 1)),
        (3, (), (1, 2, 3)),
        (4, ("red", "green", "blue", "alpha"), (1, 2, 3)),
        (3, ("blue", "green", "red"), (3, 2, 1)),
        (5, ("gray", "blue", "green", "red", "undefined"), (4, 3, 2)),
        (13, (), (4, 3, 2)),  # Sentinel-2: B4, B3, B2
    ],
)
def test_default_bands(count, interp, expected):
    from rasterio.enums import ColorInterp

    from sam_core.geo.raster import default_bands

    assert default_bands(count, [ColorInterp[name] for name in interp]) == expected


def test_a_13_band_raster_is_read_as_b4_b3_b2(tmp_path):
    from sam_core.geo.raster import RasterSource

    data = np.stack([np.full((32, 32), band * 10, np.uint16) for band in range(1, 14)])
    path = tmp_path / "s2.tif"
    profile = {
        "driver": "GTiff",
        "width": 32,
        "height": 32,
        "count": 13,
        "dtype": "uint16",
        "crs": "EPSG:32632",
        "transform": Affine(10, 0, 500000, 0, -10, 5000000),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    with RasterSource(path) as source:
        assert source.bands == (4, 3, 2)
        assert source.stretch.low == (40.0, 30.0, 20.0)


@pytest.mark.parametrize(
    ("bands", "message"), [((1, 2), "1 or 3 bands"), ((1, 2, 9), "band 9 does not exist")]
)
def test_bad_band_choices_are_readable_errors(rgb_tif, bands, message):
    from sam_core.geo.raster import RasterSource

    with pytest.raises(SamCoreError, match=message):
        RasterSource(rgb_tif, bands=bands)
