"""Segment everything and encode on Dask: the same objects as the serial run (seams merged by the same
rules), a worker killed mid-run changes nothing, a cancel writes nothing, a dead address is one error."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from cancel_helpers import CancelMidTile
from cli_helpers import ROOT, assert_user_error, run_cli
from distributed_helpers import assert_same_features, write_island_raster

from bench.rasters import write_test_raster
from sam_core.errors import Cancelled
from sam_core.geo.raster import RasterSource
from sam_core.prompting.everything import EverythingOptions, segment_everything
from sam_core.sam.model import load_model
from sam_core.sam.shared_model import models_loaded

#: every mask kept (random weights), islands confined to their valid pixels, 512 px tiles overlapping 128:
#: the island at column 820 lies across the seam of tiles 1 and 2, the others inside one tile
OPTIONS = EverythingOptions(
    points_per_side=2,
    pred_iou_thresh=0.0,
    stability_score_thresh=0.0,
    min_region_px=0,
    tile_size=512,
    overlap=128,
)
CLI_OPTIONS = ["--points-per-side", "2", "--tile-size", "512", "--overlap", "128", "--pred-iou-thresh", "0"]
CLI_OPTIONS += ["--stability-thresh", "0", "--min-region-px", "0", "--threads", "1"]


@pytest.fixture(scope="module")
def islands(tmp_path_factory) -> Path:
    return write_island_raster(tmp_path_factory.mktemp("islands") / "islands.tif")


@pytest.fixture(scope="module")
def model(tiny_checkpoint):
    return load_model(tiny_checkpoint, "cpu", "fp32")


def _key(record: dict) -> tuple:
    return (record["id"], record["tiles"], record["score"], record["stability"], record["geometry"].wkb)


def test_the_cluster_gives_the_serial_objects_with_seams_merged_alike(islands, model, runner, client):
    with RasterSource(islands) as source:
        serial = segment_everything(source, model, options=OPTIONS)
        distributed = segment_everything(source, model, options=OPTIONS, runner=runner)
    assert len(serial.objects) >= 4 and serial.tiles == distributed.tiles == 15
    assert [_key(r) for r in serial.objects] == [_key(r) for r in distributed.objects]
    assert [r["area_m2"] for r in serial.objects] == [r["area_m2"] for r in distributed.objects]
    # the seam rule was exercised: an object merged from two tiles, and objects of one tile only
    assert any(";" in r["tiles"] for r in distributed.objects)
    assert any(";" not in r["tiles"] for r in distributed.objects)
    # each worker loaded the model once, whatever number of tiles it ran
    assert set(client.run(models_loaded).values()) <= {0, 1} and sum(client.run(models_loaded).values()) >= 1


def test_a_cancel_on_the_cluster_lands_within_two_seconds_and_returns_nothing(islands, model, runner):
    cancel = CancelMidTile(delay=0.2)
    slow = EverythingOptions(**{**OPTIONS.__dict__, "points_per_side": 16})
    with RasterSource(islands) as source, pytest.raises(Cancelled):
        segment_everything(
            source,
            model,
            options=slow,
            progress=cancel.progress,
            is_cancelled=cancel.is_cancelled,
            runner=runner,  # the function's own cancel check reaches the cluster's runner
        )
    assert cancel.latency() < 2.0


def test_encode_on_the_cluster_fills_the_cache_the_serial_run_then_finds(tiny_checkpoint, cluster, tmp_path):
    # every tile's content differs: two workers never race to encode one content key (as two tiles of nodata
    # only would: both may miss the shared cache before either has written it), so the counts are exact
    raster = write_test_raster(tmp_path / "textured.tif", 1152, 1152, pixel=1.0)

    def encode(cache, *more):
        done = run_cli("encode", raster, "--checkpoint", tiny_checkpoint, "--cache-dir", cache, "--tile-size",
                       "512", "--overlap", "128", "--threads", "1", *more)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    on_cluster = encode(tmp_path / "cache", "--scheduler", cluster.scheduler_address)
    serial = encode(tmp_path / "serial")
    assert on_cluster["tiles"] == serial["tiles"] == 9
    assert (on_cluster["encoded"], on_cluster["cached"]) == (serial["encoded"], serial["cached"]) == (9, 0)
    assert sorted(p.name for p in (tmp_path / "cache").rglob("*.emb")) == sorted(
        p.name for p in (tmp_path / "serial").rglob("*.emb")
    )
    again = encode(tmp_path / "cache")
    assert (again["encoded"], again["cached"]) == (0, 9)


def test_an_address_nobody_answers_is_one_error_line_within_seconds(islands, tiny_checkpoint, tmp_path):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "never.gpkg"
    started = time.monotonic()
    done = run_cli(
        "everything", islands, "--checkpoint", tiny_checkpoint, *CLI_OPTIONS, "--out", out,
        "--scheduler", f"tcp://127.0.0.1:{port}", timeout=60,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert_user_error(done, "cannot reach the Dask scheduler", f"tcp://127.0.0.1:{port}")
    assert elapsed < 20, f"{elapsed:.1f} s"
    assert not out.exists()


def test_scheduler_and_workers_together_are_refused(islands, tiny_checkpoint):
    done = run_cli(
        "everything", islands, "--checkpoint", tiny_checkpoint, "--workers", "2", "--scheduler", "tcp://x:1"
    )
    assert_user_error(done, "--scheduler")


def _cli(*args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sam_core", *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _workers_of(process: subprocess.Popen) -> list[psutil.Process]:
    """The local cluster's worker processes (multiprocessing children of the command)."""
    children = psutil.Process(process.pid).children(recursive=True)
    return [c for c in children if "spawn_main" in " ".join(c.cmdline())]


def _wait_for_progress(process: subprocess.Popen) -> list[str]:
    lines = []
    for line in process.stderr:
        lines.append(line)
        if line.startswith("progress:") and "tile 1 of" not in line:
            return lines
    raise AssertionError("".join(lines))


SLOW = ["--points-per-side", "4"]  # 15 tiles of 4 point batches: seconds, not a moment


def test_two_local_workers_one_killed_mid_run_write_the_serial_layer(islands, tiny_checkpoint, tmp_path):
    """``--workers 2`` as a user runs it, and one of its worker processes killed after the first tiles: the
    layer is the serial run's, feature by feature."""
    serial, distributed = tmp_path / "serial.gpkg", tmp_path / "dask.gpkg"
    base = ["everything", islands, "--checkpoint", tiny_checkpoint, *CLI_OPTIONS, *SLOW]
    done = run_cli(*base, "--out", serial)
    assert done.returncode == 0, done.stderr
    process = _cli(*base, "--out", distributed, "--workers", "2")
    try:
        seen = "".join(_wait_for_progress(process))
        workers = _workers_of(process)
        assert len(workers) == 2
        os.kill(workers[0].pid, signal.SIGKILL)
        _out, err = process.communicate(timeout=300)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "dask: local cluster of 2 workers, dashboard http://127.0.0.1:" in seen
    assert "progress: 100%" in err
    assert assert_same_features(serial, distributed, min_count=4) >= 4


def test_ctrl_c_closes_the_local_cluster_and_writes_nothing(islands, tiny_checkpoint, tmp_path):
    out = tmp_path / "cancelled.gpkg"
    process = _cli("everything", islands, "--checkpoint", tiny_checkpoint, *CLI_OPTIONS, *SLOW, "--out", out,
                   "--workers", "2")  # fmt: skip
    try:
        _wait_for_progress(process)
        workers = _workers_of(process)
        pressed = time.monotonic()
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
        latency = time.monotonic() - pressed
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "error: interrupted" in err and "Traceback" not in err
    assert latency < 5.0, f"{latency:.1f} s"
    assert not out.exists() and not list(tmp_path.glob("*.gpkg*"))
    _gone, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, [p.pid for p in alive]


def test_on_a_terminal_progress_is_a_bar_drawn_in_place(islands, tiny_checkpoint, tmp_path):
    """stderr a pseudo-terminal: tqdm's bar with the tile and time left, no ``progress:`` lines."""
    import pty

    main, side = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "sam_core", "encode", islands, "--checkpoint", tiny_checkpoint,
         "--cache-dir", tmp_path / "cache", "--tile-size", "512", "--overlap", "128", "--threads", "1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=side,
    )  # fmt: skip
    os.close(side)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the command closed its end
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait(timeout=120) == 0
    text = seen.decode("utf-8", "replace")
    assert "progress:" not in text
    assert "100% |" in text and "█" in text and "\r" in text  # redrawn in place, full at the end
    assert " 6% |" in text or " 13% |" in text  # and partway through (1 or 2 of 15 tiles)
