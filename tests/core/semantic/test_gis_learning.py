"""The GIS form end to end: a head trained on a raster with class polygons maps another raster, at another
resolution, as well as one at the training resolution, because the head file's ground pixel size sets the
tiles.

Set-up: the tiny random SAM at 128 px; training raster 4×4 generated scenes (1024 px at 1 m, UTM) with one
polygon per road/building/water patch, chips of 128 px split by 2×2-chip blocks (48/8/8 chips); SAM-CONV,
10 epochs. Held out: four other scenes at 1 m (512 px) and the same scenes averaged to 2 m (256 px).

Measured (mean IoU over the four classes): majority rule 0.207 on the test chips; the map at 1 m 0.640, at
2 m 0.637 (tiles of 64 px, each seen at 128 px as in training); at 2 m with 128 px tiles (the scale ignored)
0.507. Mutation, by hand: polygons shifted by one chip (128 m) → 0.217 at 1 m and 2 m (majority 0.214): the
bar fails.
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine
from semantic_data import CLASSES, mosaic, write_scene_raster

from sam_core.landcover.scores import confusion_matrix
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config
from sam_core.semantic.gis_form import open_raster_classes
from sam_core.semantic.mapping import MapOptions, map_classes
from sam_core.semantic.train import HeadOptions, majority_scores, mean_iou, train_head


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("gis_learning")


@pytest.fixture(scope="module")
def model(work):
    save_random_checkpoint(work / "tiny_128.pth", tiny_config(img_size=128), seed=0)
    return load_model(work / "tiny_128.pth", "cpu")


@pytest.fixture(scope="module")
def data(work):
    scene = write_scene_raster(work / "train", tiles=4, seed=0)
    return open_raster_classes(scene["raster"], scene["labels"][".gpkg"], "class", chip_px=128)


def _write(path, rgb, pixel_m):
    profile = {"driver": "GTiff", "width": rgb.shape[1], "height": rgb.shape[0], "count": 3, "dtype": "uint8"}
    transform = Affine(pixel_m, 0, 500_000, 0, -pixel_m, 4_000_000)
    with rasterio.open(path, "w", crs="EPSG:32633", transform=transform, **profile) as ds:
        ds.write(rgb.transpose(2, 0, 1))
    return path


def _miou(model, head, raster, truth, out, options=None) -> tuple[float, int]:
    result = map_classes(raster, model, head, out, options=options)
    with rasterio.open(out) as ds:
        codes = ds.read(1).astype(np.int64)
    return mean_iou(confusion_matrix(truth.ravel(), codes.ravel(), len(head.class_names))), result.tile_px


def test_a_head_from_class_polygons_maps_a_raster_at_another_resolution(work, model, data):
    run = train_head(data, model, HeadOptions(head="sam-conv", epochs=10, learning_rate=3e-4, batch_size=4))
    head = run.head
    assert head.gsd_m == pytest.approx(1.0, rel=1e-3) and head.stretch is not None  # geodesic: UTM scale
    rgb, truth = mosaic(2, np.random.default_rng(5))
    names = data.class_names  # background first, then sorted; the generator's order differs
    truth = np.array([0] + [names.index(n) for n in CLASSES[1:]])[truth]
    coarse = rgb.reshape(256, 2, 256, 2, 3).mean(axis=(1, 3)).round().astype(np.uint8)
    fine_raster, coarse_raster = _write(work / "fine.tif", rgb, 1.0), _write(work / "coarse.tif", coarse, 2.0)
    fine, fine_tile = _miou(model, head, fine_raster, truth, work / "fine_classes.tif")
    scaled, scaled_tile = _miou(model, head, coarse_raster, truth[::2, ::2], work / "coarse_classes.tif")
    ignored, _ = _miou(
        model, head, coarse_raster, truth[::2, ::2], work / "ignored.tif", MapOptions(tile_size=128)
    )
    baseline = majority_scores(data)["mean_iou"]
    print(f"majority {baseline:.3f}; map at 1 m {fine:.3f}, at 2 m {scaled:.3f}, scale ignored {ignored:.3f}")
    assert (fine_tile, scaled_tile) == (128, 64)
    assert scaled >= baseline + 0.3 and fine >= baseline + 0.3
    assert abs(scaled - fine) < 0.05
    assert scaled >= ignored + 0.08
