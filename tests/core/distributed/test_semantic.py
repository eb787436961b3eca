"""``map`` and ``label-objects`` on Dask: the tiles' probabilities computed by the workers, blended here in
grid order, give the serial class GeoTIFF, polygons, summary and labels, on a raster of 3 × 3 tiles (seams
both ways, a nodata corner); label-objects' kept tiles are the serial ones even when few are kept."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import rasterio
import shapely
import torch
from affine import Affine
from cli_helpers import ROOT
from distributed_helpers import assert_same_features, assert_same_raster
from pyproj import CRS
from semantic_data import CLASSES, generate_scene

from sam_core.errors import SamCoreError
from sam_core.geo.output import write_polygons
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config
from sam_core.sam.shared_model import models_loaded
from sam_core.semantic import label_objects as labelling
from sam_core.semantic.head_file import new_segmentation_head, save_segmentation_head
from sam_core.semantic.map_tiles import HeadSpec, head_digest
from sam_core.semantic.mapping import MapOptions, map_classes

COLOURS = ("#228b22", "#808080", "#b22222", "#1e90ff")
TRANSFORM = Affine(1.0, 0, 400_000, 0, -1.0, 5_500_000)  # UTM 33N, 1 m pixels
#: 128 px tiles (the head's patch, no ground size) overlapping 32: 3 columns and 3 rows of tiles
WIDTH, HEIGHT = 300, 230


@pytest.fixture(autouse=True, scope="module")
def one_thread(one_torch_thread):
    yield


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("semantic")
    checkpoint = root / "tiny_128.pth"
    save_random_checkpoint(checkpoint, tiny_config(img_size=128), seed=0)
    model = load_model(checkpoint, "cpu", "fp32")
    torch.manual_seed(0)
    head = new_segmentation_head(model, "sam-conv", CLASSES, COLOURS, skip=True)
    head.net.eval()
    save_segmentation_head(head, root / "head.pt")
    rgb = generate_scene(WIDTH, np.random.default_rng(7))[0][:HEIGHT, :WIDTH]
    data = rgb.transpose(2, 0, 1).copy()
    data[data == 0] = 1
    data[:, :40, :50] = 0  # nodata: the corner tile's valid mask is partial
    profile = {"driver": "GTiff", "width": WIDTH, "height": HEIGHT, "count": 3, "dtype": "uint8"}
    with rasterio.open(
        root / "in.tif", "w", crs="EPSG:32633", transform=TRANSFORM, nodata=0, **profile
    ) as ds:
        ds.write(data)
    objects = [  # (col0, row0, col1, row1) in pixels: across seams both ways, one large, one sub-pixel
        (90, 20, 135, 60), (150, 90, 200, 140), (5, 5, 290, 220), (60, 200, 250, 228),
        (100.2, 100.2, 100.6, 100.5), (20, 120, 60, 160), (200, 10, 280, 100), (95, 95, 130, 130),
    ]  # fmt: skip
    records = [{"geometry": _box(*b), "name": f"object {k}"} for k, b in enumerate(objects)]
    records.append({"geometry": shapely.box(0, 0, 10, 10), "name": "off the raster"})
    write_polygons(root / "objects.gpkg", records, CRS.from_epsg(32633), {"name": str})
    return {"root": root, "checkpoint": checkpoint, "model": model, "head": head, "raster": root / "in.tif"}


def _box(c0, r0, c1, r1):
    x0, y0 = TRANSFORM @ (c0, r1)
    x1, y1 = TRANSFORM @ (c1, r0)
    return shapely.box(x0, y0, x1, y1)


def _without(summary: dict, *keys: str) -> dict:
    return {k: v for k, v in summary.items() if k not in keys}


def test_the_cluster_maps_what_the_serial_run_maps(files, runner, client, tmp_path):
    model, head, raster = files["model"], files["head"], files["raster"]
    options = MapOptions(polygons="regions")
    serial = map_classes(raster, model, head, tmp_path / "serial.tif", options=options)
    distributed = map_classes(raster, model, head, tmp_path / "dask.tif", options=options, runner=runner)
    assert serial.tiles == 9 and serial.encoder_calls == 9
    assert_same_raster(tmp_path / "serial.tif", tmp_path / "dask.tif")
    assert _without(serial.summary(), "out") == _without(distributed.summary(), "out")
    assert serial.class_areas() == distributed.class_areas()
    assert len(serial.polygons) == len(distributed.polygons) >= 2
    for a, b in zip(serial.polygons, distributed.polygons):
        assert shapely.equals_exact(a.pop("geometry"), b.pop("geometry"), 0.0) and a == b
    with rasterio.open(tmp_path / "serial.tif") as ds:
        assert len(np.unique(ds.read(1))) >= 3  # classes and nodata to compare, not one flat class
    assert sum(client.run(models_loaded).values()) >= 1  # the workers computed the tiles


def test_labels_on_the_cluster_are_the_serial_ones_with_few_tiles_kept(files, runner, monkeypatch):
    model, head, raster = files["model"], files["head"], files["raster"]
    objects = files["root"] / "objects.gpkg"
    serial = labelling.label_objects(raster, objects, model, head)
    monkeypatch.setattr(labelling, "KEPT_TILES", 2)  # tiles let go and computed again, in the planned order
    few = labelling.label_objects(raster, objects, model, head)
    distributed = labelling.label_objects(raster, objects, model, head, runner=runner)
    assert serial.labels == few.labels == distributed.labels
    assert sum(label is not None for label in serial.labels) == 8 and serial.labels[-1] is None
    assert len({label["class"] for label in serial.labels[:-1]}) >= 2


def test_a_worker_rebuilds_the_head_tensor_for_tensor_and_refuses_another_file(files, tmp_path):
    head = files["head"]
    pickled, read = HeadSpec.of(head), HeadSpec.of(head, files["root"] / "head.pt")
    assert pickled.digest == read.digest == head_digest(read.load()) == head_digest(pickled.load())
    assert read.payload is None and "payload" not in repr(read)  # the job's key names the head by digest
    torch.manual_seed(1)
    other = new_segmentation_head(files["model"], "sam-conv", CLASSES, COLOURS, skip=True)
    save_segmentation_head(other, tmp_path / "other.pt")
    with pytest.raises(SamCoreError, match="not the head the run started with"):
        HeadSpec(read.digest, False, str(tmp_path / "other.pt")).load()


def _started(*args) -> subprocess.Popen:
    command = [sys.executable, "-m", "sam_core", *map(str, args)]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finished(process: subprocess.Popen) -> tuple[dict, str]:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return json.loads(out), err


def test_the_cli_on_the_cluster_writes_the_serial_map_polygons_summary_and_labels(files, cluster, tmp_path):
    common = ["--checkpoint", files["checkpoint"], "--head", files["root"] / "head.pt", "--threads", "1"]
    objects = files["root"] / "objects.gpkg"
    started = {}
    for name, more in (("serial", []), ("dask", ["--scheduler", cluster.scheduler_address])):
        out = {suffix: tmp_path / f"{name}{suffix}" for suffix in (".tif", ".gpkg", ".json")}
        out["labelled"] = tmp_path / f"{name}_labelled.gpkg"
        mapping = _started("map", files["raster"], *common, "--out", out[".tif"], "--polygons", out[".gpkg"],
                           "--summary", out[".json"], *more)  # fmt: skip
        label = _started("label-objects", files["raster"], objects, *common, "--out", out["labelled"], *more)
        started[name] = out, mapping, label  # the four commands at once: most of each is its imports
    done = {}
    for name, (out, mapping, label) in started.items():
        (map_json, err), (label_json, _) = _finished(mapping), _finished(label)
        assert "progress: 100%" in err
        done[name] = out, map_json, label_json
    (serial, serial_map, serial_labels), (dask, dask_map, dask_labels) = done["serial"], done["dask"]
    assert_same_raster(serial[".tif"], dask[".tif"])
    assert assert_same_features(serial[".gpkg"], dask[".gpkg"], min_count=2) >= 2
    paths = ("out", "polygons_out", "summary_out")
    assert _without(serial_map, *paths) == _without(dask_map, *paths) and serial_map["tiles"] == 9
    summaries = [_without(json.loads(p.read_text()), "out") for p in (serial[".json"], dask[".json"])]
    assert summaries[0] == summaries[1]
    assert assert_same_features(serial["labelled"], dask["labelled"], min_count=8) == 8
    assert _without(serial_labels, "out") == _without(dask_labels, "out")
    assert serial_labels["outside_raster"] == 1 and serial_labels["encoder_calls"] == 9
