"""Land-cover classification on Dask: each tile encoded and pooled on a worker, the cells added up and
classified here, in tile order, give the serial run's cells exactly (classes, probabilities, geometries,
areas), through the core and through ``classify --scheduler``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from cli_helpers import run_cli
from distributed_helpers import assert_same_features

from bench.rasters import tiled_profile
from sam_core.landcover.classify import ClassifyOptions, classify_raster
from sam_core.landcover.head import new_head
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config
from sam_core.sam.shared_model import models_loaded

CLASSES = ("crop", "forest", "urban", "water")
#: 256 px tiles overlapping 64 (owned up to 32 px into each overlap), 900 m = 90 px cells: cells straddle
#: the tiles' boundaries, so rows of cells are added up from several tiles of a row and of the next row
OPTIONS = {"cell_size_m": 900.0, "overlap": 64}
CLI_OPTIONS = ["--cell-size-m", "900", "--overlap", "64", "--threads", "1", "--precision", "fp32"]


def write_scene(path: Path, pixel: float, width: int, height: int) -> Path:
    """A textured 3-band uint8 scene, 10 m content at ``pixel`` m, with a nodata hole of 1050 m square over
    the second cell of the second row (smaller than a tile: no two tiles have the same content, so every
    tile costs one encoder pass in either run)."""
    repeat = round(10.0 / pixel)
    rows, cols = np.mgrid[: height // repeat, : width // repeat]
    block = (cols // 180 + 2 * (rows // 200)) % 4  # four colours of two cells by two, in blocks
    base = np.array([[200, 40, 40], [40, 180, 40], [60, 60, 220], [230, 230, 60]])[block].transpose(2, 0, 1)
    waves = [base[b] * (0.6 + 0.2 * np.sin(cols / (5 + 4 * b) + rows / (9 + 2 * b))) for b in range(3)]
    noise = np.random.default_rng(11).integers(0, 50, (3, *rows.shape))
    data = np.clip(np.stack(waves) + noise, 1, 255).astype(np.uint8).repeat(repeat, 1).repeat(repeat, 2)
    data[:, 85 * repeat : 190 * repeat, 85 * repeat : 190 * repeat] = 0
    profile = tiled_profile(width, height, pixel, nodata=0)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("classify_dask")


@pytest.fixture(scope="module")
def checkpoint(work) -> Path:
    """The tiny random SAM at 256 px: 256 px tiles, so a small raster spans a grid of them."""
    path = work / "tiny_sam256.pth"
    save_random_checkpoint(path, tiny_config(img_size=256), seed=0)
    return path


@pytest.fixture(scope="module")
def model(checkpoint, one_torch_thread):
    return load_model(checkpoint, "cpu", "fp32")


@pytest.fixture(scope="module")
def head(model, work):
    torch.manual_seed(5)
    head = new_head(model, CLASSES, input_gsd_m=10.0)
    head.save(work / "head.pt")
    return head


@pytest.fixture(scope="module")
def scenes(work) -> dict[str, Path]:
    """700 × 600 working pixels: 4 × 3 tiles, 8 × 7 cells; at 10 m and at 5 m (seen resampled by 2)."""
    return {
        "10m": write_scene(work / "scene10.tif", 10.0, 700, 600),
        "5m": write_scene(work / "scene5.tif", 5.0, 1400, 1200),
    }


def _key(cell: dict) -> tuple:
    return (cell["id"], cell["class"], cell["class_id"], cell["probability"], cell["area_m2"], cell["colour"],
            cell["geometry"].wkb)  # fmt: skip


@pytest.mark.parametrize(("scene", "stretch"), [("10m", "auto"), ("5m", "raster")])
def test_the_cluster_gives_the_serial_cells(scenes, scene, stretch, model, head, runner, client):
    options = ClassifyOptions(stretch=stretch, **OPTIONS)
    serial = classify_raster(scenes[scene], model, head, options=options)
    distributed = classify_raster(scenes[scene], model, head, options=options, runner=runner)
    assert serial.tiles == distributed.tiles == 12
    assert serial.scale == distributed.scale == (1.0 if scene == "10m" else 2.0)
    assert serial.skipped_cells == distributed.skipped_cells >= 1
    assert len(serial.cells) == len(distributed.cells) == 8 * 7 - serial.skipped_cells
    assert [_key(c) for c in serial.cells] == [_key(c) for c in distributed.cells]
    assert len({c["class_id"] for c in serial.cells}) >= 2  # a head that says one class would prove little
    assert serial.encoder_calls == distributed.encoder_calls == 12
    assert serial.summary() == distributed.summary()
    # each worker loaded the model once, whatever number of tiles it ran
    assert set(client.run(models_loaded).values()) <= {0, 1} and sum(client.run(models_loaded).values()) >= 1


def test_the_cli_on_the_cluster_writes_the_serial_layer_and_summary(scenes, checkpoint, head, work, cluster):
    def classify(name: str, *more) -> dict:
        out, summary = work / f"{name}.gpkg", work / f"{name}.json"
        done = run_cli("classify", scenes["5m"], "--checkpoint", checkpoint, "--head", work / "head.pt",
                       "--out", out, "--summary", summary, *CLI_OPTIONS, *more)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "progress: 100%" in done.stderr
        printed = json.loads(done.stdout)
        assert printed.pop("out") == str(out)
        return {"out": out, "printed": printed, "summary": json.loads(summary.read_text())}

    serial = classify("serial")
    distributed = classify("dask", "--scheduler", cluster.scheduler_address)
    assert assert_same_features(serial["out"], distributed["out"], min_count=40) >= 40
    assert serial["summary"] == distributed["summary"]
    assert serial["printed"] == distributed["printed"] and serial["printed"]["tiles"] == 12
