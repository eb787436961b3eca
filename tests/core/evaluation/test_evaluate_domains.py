"""evaluate with polygons that reach far past the grid CRS's domain: a world-sized EPSG:4326 polygon on a
UTM grid covers the grid (it was dropped silently: 0 objects, IoU 0)."""

from __future__ import annotations

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely

from sam_core.evaluation.evaluate import EvaluateOptions, evaluate


def _layer(path, geometries, crs: str):
    pyogrio.raw.write(
        str(path), np.asarray(shapely.to_wkb(geometries), dtype=object), [], [],
        driver="GPKG", geometry_type="Polygon", crs=crs,
    )  # fmt: skip
    return path


@pytest.mark.parametrize(
    "world",
    [shapely.box(-180, -90, 180, 90), shapely.box(-179.9, -80, 179.9, 84)],
    ids=["whole world", "almost the whole world"],
)
def test_a_world_polygon_on_a_utm_grid_covers_the_grid(tmp_path, rgb_tif, world):
    with rasterio.open(rgb_tif) as ds:
        t, width, height = ds.transform, ds.width, ds.height
    box = shapely.box(t.c + 100 * t.a, t.f + 200 * t.e, t.c + 300 * t.a, t.f + 100 * t.e)  # 200 × 100 px
    pred = _layer(tmp_path / "world.gpkg", [world], "EPSG:4326")
    ref = _layer(tmp_path / "box.gpkg", [box], "EPSG:32618")
    row = evaluate([(pred, ref, rgb_tif)], EvaluateOptions(include_nodata=True))["images"][0]
    assert row["predicted_objects"] == 1 and row["reference_objects"] == 1
    assert row["tp"] + row["fp"] == width * height  # the world covers every pixel
    assert row["tp"] == 200 * 100 and row["fn"] == 0
    assert row["iou"] == pytest.approx(200 * 100 / (width * height))
