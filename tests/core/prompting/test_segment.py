"""The segmenter end to end: a point prompt on the tiny model gives a valid, measured object inside the tile."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
from pyproj import CRS
from rasterio import features
from shapely.geometry import MultiPolygon, box

from sam_core.geo.measures import measure
from sam_core.prompting.prompts import Point, Prompts
from sam_core.prompting.segment import Segmenter
from sam_core.sam.embeddings import EmbeddingCache

# -- end to end ------------------------------------------------------------------------------------------------


def test_segmenter_point_at_the_raster_centre(model, source, rgb_tif):
    segmenter = Segmenter(source, model, EmbeddingCache(), tile_size=256, overlap=64)
    with rasterio.open(rgb_tif) as ds:
        bounds = ds.bounds
        transform = ds.transform
        crs = CRS.from_wkt(ds.crs.to_wkt())
    x = transform.c + transform.a * source.width / 2
    y = transform.f + transform.e * source.height / 2
    result = segmenter.segment(Prompts(points=(Point(x, y, 1),)))
    assert isinstance(result.geometry, MultiPolygon)
    assert not result.geometry.is_empty  # the seeded tiny model draws something here
    assert result.geometry.is_valid

    tile = result.tile
    valid = tile.valid_window
    vx0, vy0 = transform.c + transform.a * valid.col_off, transform.f + transform.e * valid.row_end
    vx1, vy1 = transform.c + transform.a * valid.col_end, transform.f + transform.e * valid.row_off
    slack = 1e-6 * abs(transform.a)
    assert result.geometry.within(box(vx0, vy0, vx1, vy1).buffer(slack, join_style="mitre"))
    assert result.geometry.within(box(*bounds).buffer(slack, join_style="mitre"))
    assert (
        valid.col_off <= source.width / 2 <= valid.col_end
        and valid.row_off <= source.height / 2 <= valid.row_end
    )

    measures = measure(result.geometry, crs)
    assert result.area_m2 == pytest.approx(measures.area_m2, rel=1e-12)
    assert result.perimeter_m == pytest.approx(measures.perimeter_m, rel=1e-12)
    assert result.area_m2 > 0
    assert (result.prompt_type, result.n_fg, result.n_bg) == ("point", 1, 0)
    assert isinstance(result.score, float) and math.isfinite(result.score)
    assert segmenter.encoder.encoder_calls == 1
    # a second prompt on the same tile only runs the decoder
    segmenter.segment(Prompts(points=(Point(x + 1000.0, y - 1000.0, 1),)))
    assert segmenter.encoder.encoder_calls == 1


def test_segmenter_on_a_padded_edge_tile_keeps_to_valid_pixels(model, source, rgb_tif):
    """Near the bottom-right corner the tile runs past the raster and over the nodata collar: the object
    never covers a pixel outside the raster or a nodata pixel."""
    u, v = 630.5, 600.5
    with rasterio.open(rgb_tif) as ds:
        transform, bounds, nodata = ds.transform, ds.bounds, ds.nodata
        valid = np.any(ds.read() != nodata, axis=0)
    assert valid[int(v), int(u)]
    segmenter = Segmenter(source, model, EmbeddingCache(), tile_size=256, overlap=64)
    x, y = transform.c + transform.a * u, transform.f + transform.e * v
    result = segmenter.segment(Prompts(points=(Point(x, y, 1),)))
    tile = result.tile
    assert tile.window.col_end > source.width or tile.window.row_end > source.height  # a padded tile
    assert not result.geometry.is_empty
    slack = 1e-6 * abs(transform.a)
    assert result.geometry.within(box(*bounds).buffer(slack, join_style="mitre"))
    covered = features.rasterize([(result.geometry, 1)], out_shape=valid.shape, transform=transform, fill=0)
    assert covered.any()
    assert not (covered.astype(bool) & ~valid).any()
