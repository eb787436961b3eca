"""Prompts on the raster's boundary: its corners and edges are inside (the extent is closed); a point just
past an edge is "outside the raster", never "prompts span 0 pixels"."""

from __future__ import annotations

import pytest
import rasterio
from cli_helpers import run_cli

from sam_core.errors import SamCoreError
from sam_core.geo.tiles import TileGrid
from sam_core.prompting.prompts import Point, Prompts, locate

#: (name, column, row) as fractions of the raster's width and height
BOUNDARY = [
    ("top-left", 0, 0), ("top-right", 1, 0), ("bottom-left", 0, 1), ("bottom-right", 1, 1),
    ("top", 0.5, 0), ("bottom", 0.5, 1), ("left", 0, 0.5), ("right", 1, 0.5),
]  # fmt: skip


@pytest.fixture(scope="module")
def grids(rgb_tif):
    with rasterio.open(rgb_tif) as ds:
        args = (ds.width, ds.height, ds.transform, None)
    # one tile, and a grid of several tiles (so that corners meet tile seams and padded edge tiles)
    return {"one tile": TileGrid(*args, tile_size=1024, overlap=128), "tiles": TileGrid(*args, 256, 64)}


@pytest.mark.parametrize("grid_name", ["one tile", "tiles"])
@pytest.mark.parametrize(("where", "fu", "fv"), BOUNDARY, ids=[b[0] for b in BOUNDARY])
def test_a_point_on_the_boundary_is_in_a_tile(grids, grid_name, where, fu, fv):
    grid = grids[grid_name]
    x, y = grid.pixel_to_map(fu * grid.width, fv * grid.height)
    located = locate(Prompts(points=(Point(float(x), float(y)),)), grid)
    u, v = located.points[0]
    assert located.tile.valid_window.contains(
        u + located.tile.window.col_off, v + located.tile.window.row_off
    )
    assert u == pytest.approx(fu * grid.width - located.tile.window.col_off, abs=1e-6)
    assert v == pytest.approx(fv * grid.height - located.tile.window.row_off, abs=1e-6)


@pytest.mark.parametrize(("where", "fu", "fv"), BOUNDARY, ids=[b[0] for b in BOUNDARY])
def test_a_point_just_past_the_boundary_is_outside_the_raster(grids, where, fu, fv):
    grid = grids["tiles"]
    du = -0.01 if fu == 0 else 0.01 if fu == 1 else 0
    dv = -0.01 if fv == 0 else 0.01 if fv == 1 else 0
    x, y = grid.pixel_to_map(fu * grid.width + du, fv * grid.height + dv)
    with pytest.raises(SamCoreError, match="outside the raster"):
        locate(Prompts(points=(Point(float(x), float(y)),)), grid)


def test_segment_at_the_top_left_corner_runs(tmp_path, rgb_tif, tiny_checkpoint):
    with rasterio.open(rgb_tif) as ds:
        x, y = ds.transform.c, ds.transform.f
    out = tmp_path / "corner.gpkg"
    result = run_cli("segment", rgb_tif, "--checkpoint", tiny_checkpoint, "--point", f"{x},{y}", "--out", out)
    assert result.returncode == 0, result.stderr
    assert out.exists() and "span" not in result.stderr
