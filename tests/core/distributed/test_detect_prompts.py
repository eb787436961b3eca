"""``detect`` and ``segment --prompts`` on Dask: the same layer as the serial run, tile for tile (detect's
stitcher and the prompt batch both take the workers' results in tile order); a cluster option without
prompt files is one error line. Serial runs call ``main`` here (a process start saved); the runs on the
cluster are ``python -m sam_core`` as a user starts them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli
from detect_helpers import ORIGIN, PIXEL, small_checkpoint, tuned, write_raster
from distributed_helpers import assert_same_features, read_features

from sam_core.cli.main import main
from sam_core.finetune.detect import detect_objects
from sam_core.geo.raster import RasterSource
from sam_core.sam.model import load_model

#: the random decoder's probabilities sit just above 0.5: this threshold gives a dozen objects, one of
#: them across most of the 12 tiles (128 px, 32 px overlap) of the 400×300 raster
THRESHOLD = 0.506


@pytest.fixture(autouse=True, scope="module")
def one_thread(one_torch_thread):
    """The workers' torch threads (1) here too: a float32 sum over 2 threads differs in the last bit, and
    this threshold sits close enough to the probabilities for that to move pixels."""
    yield


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("detect_prompts")


@pytest.fixture(scope="module")
def small(folder) -> Path:
    """A tiny SAM with a 256 px input (fast), no sidecar."""
    return small_checkpoint(folder / "small.pth", seed=1)


@pytest.fixture(scope="module")
def tuned_path(folder) -> Path:
    """A tiny SAM with a sidecar: 128 px tiles, the threshold above."""
    base = small_checkpoint(folder / "base.pth")
    return tuned(base, folder / "tuned.pth", THRESHOLD, tile_px=128)


@pytest.fixture(scope="module")
def scene(folder) -> Path:
    return write_raster(folder / "scene.tif", 400, 300)


FIELDS = ("id", "probability", "area_m2", "perimeter_m", "model")


def _key(record: dict) -> tuple:
    return (*(record[k] for k in FIELDS), record["geometry"].wkb)


def test_detect_on_the_cluster_gives_the_serial_objects(scene, tuned_path, runner):
    model = load_model(tuned_path, "cpu")
    with RasterSource(scene) as source:
        serial = detect_objects(source, model)
        distributed = detect_objects(source, model, runner=runner)
    assert serial.tiles == distributed.tiles == 12 and serial.threshold == THRESHOLD
    assert len(serial.objects) >= 5
    assert max(r["area_m2"] for r in serial.objects) > 128 * 128 * PIXEL**2  # one object over many tiles
    assert [_key(r) for r in serial.objects] == [_key(r) for r in distributed.objects]


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_detect_cli_on_a_scheduler_writes_the_serial_layer(scene, tuned_path, cluster, tmp_path, capsys):
    serial, distributed = tmp_path / "serial.gpkg", tmp_path / "dask.gpkg"
    base = ["detect", scene, "--checkpoint", tuned_path, "--device", "cpu", "--threads", "1"]
    code, _out, err = cli(capsys, *base, "--out", serial)
    assert code == 0, err
    done = run_cli(*base, "--out", distributed, "--scheduler", cluster.scheduler_address)
    assert done.returncode == 0, done.stderr
    assert f"dask: 2 workers at {cluster.scheduler_address}" in done.stderr
    assert "progress: 100%" in done.stderr
    summary = json.loads(done.stdout)
    assert summary["tiles"] == 12 and summary["tuned"] is True
    assert assert_same_features(serial, distributed, min_count=5) == summary["objects"]


def _at(col: float, row: float) -> list[float]:
    """Raster pixel (col, row) as EPSG:32633 coordinates."""
    return [ORIGIN[0] + col * PIXEL, ORIGIN[1] - row * PIXEL]


def _feature(geometry: dict, **properties) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _point(col: float, row: float, **properties) -> dict:
    return _feature({"type": "Point", "coordinates": _at(col, row)}, **properties)


def _box(col: float, row: float, half: float, **properties) -> dict:
    ring = [_at(col - half, row - half), _at(col + half, row - half), _at(col + half, row + half)]
    ring += [_at(col - half, row + half), _at(col - half, row - half)]
    return _feature({"type": "Polygon", "coordinates": [ring]}, **properties)


@pytest.fixture(scope="module")
def prompt_file(folder) -> Path:
    """Objects on five of the nine 256 px tiles of a 600×500 raster (192 px apart), listed out of tile
    order, two on one tile, one a group of a foreground and a background point, and boxes."""
    features = [
        _point(500, 420, name="far", group="far", count=1),
        _point(60, 50, name="a-in", group="a", label=1, count=2),
        _point(75, 62, name="a-out", group="a", label=0, count=3),
        _box(330, 90, 30, name="top box", count=4),
        _point(100, 230, name="left", group="left", count=5),
        _box(90, 130, 20, name="second on tile 0", count=6),
        _box(300, 300, 40, name="middle", count=None),
    ]
    path = folder / "prompts.geojson"
    collection = {"type": "FeatureCollection", "features": features}
    collection["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32633"}}
    path.write_text(json.dumps(collection))
    return path


def test_segment_prompt_files_on_a_scheduler_write_the_serial_layer(
    folder, small, prompt_file, cluster, tmp_path, capsys
):
    raster = write_raster(folder / "wide.tif", 600, 500, seed=3)
    serial, distributed = tmp_path / "serial.gpkg", tmp_path / "dask.gpkg"
    base = ["segment", raster, "--checkpoint", small, "--device", "cpu", "--threads", "1"]
    base += ["--tile-size", "256", "--prompts", prompt_file, "--label-field", "label"]
    base += ["--group-field", "group"]
    code, out, err = cli(capsys, *base, "--out", serial)
    assert code == 0, err
    expected = json.loads(out)
    done = run_cli(*base, "--out", distributed, "--scheduler", cluster.scheduler_address)
    assert done.returncode == 0, done.stderr
    assert f"dask: 2 workers at {cluster.scheduler_address}" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(("progress: 100%", "warning:"))
    summary = json.loads(done.stdout)
    assert {**summary, "out": None} == {**expected, "out": None}
    assert summary["prompt_objects"] == 6 and summary["tiles"] == 5 and summary["encoder_calls"] == 5
    count = assert_same_features(serial, distributed, min_count=4)
    assert count == summary["objects"]
    fields, _geometries, columns = read_features(distributed)
    assert {"name", "group", "label", "count"} <= set(fields)
    names = list(columns[fields.index("name")])
    assert len(set(names)) == count and set(names) <= {
        "far", "a-in", "top box", "left", "second on tile 0", "middle"
    }  # fmt: skip


def test_cluster_options_without_prompt_files_are_one_error(scene, small, tmp_path, capsys):
    out = tmp_path / "one.gpkg"
    point = ",".join(map(str, _at(100, 100)))
    for option in (["--workers", "2"], ["--scheduler", "tcp://127.0.0.1:1"]):
        args = ["segment", scene, "--checkpoint", small, "--point", point, "--out", out, *option]
        code, _out, err = cli(capsys, *args)
        assert code == 2 and err == "error: --workers and --scheduler apply to --prompts files\n", err
        assert not out.exists()
