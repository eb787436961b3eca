"""The engine's segmentation-head calls over the protocol, without QGIS: a head is checked against the loaded
model, ``label`` gives accepted objects (WKB in the raster's CRS) their class as ``label-objects`` would, a
restarted engine gets its head back, and ``map_classes`` writes the class GeoTIFF with its area per class."""

from __future__ import annotations

import os
import signal
import sys

import numpy as np
import pytest
import rasterio
import shapely
import torch
from affine import Affine
from semantic_data import CLASSES, generate_scene

from sam_core.errors import SamCoreError
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config
from sam_core.semantic.head_file import (
    load_segmentation_head,
    new_segmentation_head,
    save_segmentation_head,
)
from sam_core.semantic.label_objects import label_geometries
from sam_core.service.client import EngineClient

COLOURS = ("#228b22", "#808080", "#b22222", "#1e90ff")
TRANSFORM = Affine(2.0, 0.0, 400_000.0, 0.0, -2.0, 5_500_000.0)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A 128 px tiny SAM, a random head for it, and a 256 px generated scene (UTM 33N, 2 m pixels)."""
    folder = tmp_path_factory.mktemp("engine_semantic")
    checkpoint = folder / "tiny_128.pth"
    save_random_checkpoint(checkpoint, tiny_config(img_size=128), seed=0)
    torch.manual_seed(0)
    head = new_segmentation_head(load_model(checkpoint, "cpu"), "sam-conv", CLASSES, COLOURS, skip=True)
    save_segmentation_head(head, folder / "head.pt")
    rgb = generate_scene(256, np.random.default_rng(3))[0]
    profile = {"driver": "GTiff", "width": 256, "height": 256, "count": 3, "dtype": "uint8"}
    with rasterio.open(folder / "scene.tif", "w", crs="EPSG:32633", transform=TRANSFORM, **profile) as ds:
        ds.write(rgb.transpose(2, 0, 1))
    return {"checkpoint": checkpoint, "head": folder / "head.pt", "raster": folder / "scene.tif"}


@pytest.fixture
def engine():
    client = EngineClient(sys.executable)
    yield client
    client.close()


def test_label_gives_objects_their_class_and_a_restarted_engine_keeps_the_head(engine, files):
    engine.call("load_model", {"checkpoint": str(files["checkpoint"]), "device": "cpu"})
    loaded = engine.call("load_segmentation_head", {"path": str(files["head"])})
    assert loaded["classes"] == list(CLASSES) and loaded["colours"] == list(COLOURS)
    inside = shapely.box(400_100.0, 5_499_700.0, 400_180.0, 5_499_760.0)
    outside = shapely.box(300_000.0, 5_000_000.0, 300_010.0, 5_000_010.0)
    params = {"path": str(files["raster"]), "geometries": [shapely.to_wkb(g) for g in (inside, outside)]}
    labels = engine.call("label", params)
    model = load_model(files["checkpoint"], "cpu")  # the core's own answer for the same geometries
    expected = label_geometries(
        files["raster"], [inside, outside], model, load_segmentation_head(files["head"], model)
    )
    assert labels[1] is None and labels[0]["class"] in CLASSES
    assert labels[0] == pytest.approx(expected[0]) and set(labels[0]) == {
        "class",
        "class_probability",
        "runner_up",
        "runner_up_probability",
    }

    first = engine.pid
    os.kill(first, signal.SIGKILL)
    engine._gone.wait(10)
    assert engine.call("label", params) == labels and engine.pid != first  # model and head replayed

    assert engine.call("load_segmentation_head", {"path": None}) is None
    with pytest.raises(SamCoreError, match="no segmentation head loaded"):
        engine.call("label", params)


def test_a_head_of_another_encoder_is_refused_and_map_classes_writes_the_styled_map(engine, files, tmp_path):
    other = tmp_path / "other.pth"
    save_random_checkpoint(other, tiny_config(img_size=128), seed=7)
    engine.call("load_model", {"checkpoint": str(other), "device": "cpu"})
    with pytest.raises(SamCoreError, match="trained with"):
        engine.call("load_segmentation_head", {"path": str(files["head"])})
    engine.call("load_model", {"checkpoint": str(files["checkpoint"]), "device": "cpu"})
    out = tmp_path / "classes.tif"
    extent = [400_100.0, 5_499_700.0, 400_180.0, 5_499_760.0]
    result = engine.call(
        "map_classes",
        {"path": str(files["raster"]), "head": str(files["head"]), "out": str(out), "extent": extent},
    )
    assert result["out"] == str(out) and out.is_file() and out.with_suffix(".qml").is_file()
    with rasterio.open(out) as ds:
        assert (ds.width, ds.height) == (40, 30) and ds.transform == TRANSFORM @ Affine.translation(50, 120)
    assert [row["class"] for row in result["classes"]] == list(CLASSES)
    total = sum(row["area_m2"] for row in result["classes"])
    assert total == pytest.approx(40 * 30 * 4.0, rel=1e-3)  # geodesic: UTM's scale factor aside
    assert result["summary"]["area_m2"] == pytest.approx(total)
