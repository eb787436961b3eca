"""The engine process and its client, without QGIS: calls, errors, cancel, a restart that keeps the state,
and a Python that lacks the packages."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cancel_helpers import CancelMidTile

from sam_core.errors import Cancelled, SamCoreError
from sam_core.service import protocol
from sam_core.service.client import EngineClient, EngineStopped, MissingPackages

PYTHON = sys.executable


@pytest.fixture
def engine():
    client = EngineClient(PYTHON)
    yield client
    client.close()


def test_messages_carry_bytes_and_numbers_exactly():
    message = {"id": 3, "result": {"wkb": b"\x01\x06\x00\xff", "area": 0.1 + 0.2, "n": [1, 2]}}
    assert protocol.decode(protocol.encode(message)) == message
    assert protocol.encode(message).count(b"\n") == 1


def test_calls_return_results_and_errors_are_one_message(engine, rgb_tif, tiny_checkpoint):
    opened = engine.call("open_raster", {"path": str(rgb_tif)})
    assert opened == {"bands": [1, 2, 3], "width": 791, "height": 718}
    with pytest.raises(SamCoreError, match="no model loaded"):
        engine.call("add_point", {"x": 0, "y": 0, "label": 1})
    model = engine.call("load_model", {"checkpoint": str(tiny_checkpoint), "device": "cpu"})
    assert "M parameters" in model["describe"] and model["device"] == "cpu"
    with pytest.raises(SamCoreError, match="outside the raster"):
        engine.call("add_point", {"x": 0, "y": 0, "label": 1})
    with pytest.raises(SamCoreError, match="no method"):
        engine.call("__init__")
    with pytest.raises(SamCoreError, match="raster not found"):
        engine.call("open_raster", {"path": "/no/such.tif"})
    assert engine.starts == 1 and engine.running  # errors never cost the engine


def test_a_cancel_sent_before_the_job_starts_stops_it_with_nothing_done(engine, rgb_tif, tiny_checkpoint):
    engine.call("load_model", {"checkpoint": str(tiny_checkpoint), "device": "cpu"})
    pid = engine.pid
    os.kill(pid, signal.SIGSTOP)  # the request and the cancel wait in the pipe together
    resume = threading.Timer(0.5, os.kill, (pid, signal.SIGCONT))
    resume.start()
    params = {"path": str(rgb_tif), "bands": [1, 2, 3], "tiles": [[0, 0]]}
    with pytest.raises(Cancelled):
        engine.call("encode", params, is_cancelled=lambda: True)
    resume.join()
    assert engine.running and engine.call("state") == {"points": [], "box": None, "preview": None}


def test_segment_everything_reports_tiles_over_the_protocol_and_a_cancel_lands_within_two_seconds(
    engine, rgb_tif, tiny_checkpoint
):
    """64 points per 512 px tile in batches of 1: the first progress comes after one batch, carrying the
    tile and the tile count; a cancel pressed during the first tile ends the call within 2 s."""
    engine.call("load_model", {"checkpoint": str(tiny_checkpoint), "device": "cpu"})
    options = {"points_per_side": 8, "points_per_batch": 1, "tile_size": 512, "overlap": 128}
    options |= {"pred_iou_thresh": 0.0, "stability_score_thresh": 0.5, "min_region_px": 0}
    cancel = CancelMidTile()
    params = {"path": str(rgb_tif), "bands": [1, 2, 3], "options": options}
    with pytest.raises(Cancelled):
        engine.call("everything", params, progress=cancel.progress, is_cancelled=cancel.is_cancelled)
    latency = cancel.latency()
    print(f"cancel latency: {latency:.2f} s")
    assert latency < 2.0, f"cancel took {latency:.2f} s"
    first = cancel.seen[0]
    assert 0 < first <= max(cancel.seen) < 0.25  # fractions inside the first tile
    assert (first.tile, first.tiles) == (1, 4) and first.describe().startswith("tile 1 of 4")
    assert engine.running and engine.call("state") == {"points": [], "box": None, "preview": None}


def kill_once(pid: int) -> bool:
    """Kills ``pid`` the first time the client asks whether to cancel; the client asks on every turn
    of its wait, and a second kill of the reaped process would raise."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return False


def test_a_killed_engine_fails_the_waiting_call_then_restarts_with_its_state(
    engine, rgb_tif, tiny_checkpoint
):
    engine.call("configure", {"cache_dir": None})
    engine.call("load_model", {"checkpoint": str(tiny_checkpoint), "device": "cpu"})
    engine.call("open_raster", {"path": str(rgb_tif)})
    first = engine.pid
    os.kill(first, signal.SIGSTOP)
    with pytest.raises(EngineStopped, match="stopped unexpectedly"):
        engine.call("tiles_for_extent", {"extent": [0, 0, 1, 1]}, is_cancelled=lambda: kill_once(first))
    # the next call starts a new engine, which gets the model and the raster again before answering
    tiles = engine.call("tiles_for_extent", {"extent": [101985.0, 2611485.0, 339315.0, 2826915.0]})
    assert engine.pid != first and engine.starts == 2
    assert [(t["col"], t["row"]) for t in tiles] == [(0, 0)]


def test_a_python_without_the_packages_is_named_with_what_it_lacks(tmp_path):
    venv = tmp_path / "bare"
    subprocess.run(
        [str(Path(sys.base_prefix) / "bin" / "python3"), "-m", "venv", "--without-pip", str(venv)], check=True
    )
    client = EngineClient(str(venv / "bin" / "python"))
    try:
        with pytest.raises(MissingPackages) as missing:
            client.call("state")
        assert "torch" in missing.value.missing and "rasterio" in missing.value.missing
        assert missing.value.python.startswith(str(venv))
    finally:
        client.close()


def test_an_interpreter_that_does_not_exist_is_a_clear_error(tmp_path):
    with pytest.raises(SamCoreError, match="cannot start the TerraSAM engine"):
        EngineClient(str(tmp_path / "python")).call("state")


def test_a_venv_engine_ignores_the_hosts_pythonhome(monkeypatch, rgb_tif):
    """QGIS on Windows sets PYTHONHOME for its own Python; a venv's interpreter must not inherit it."""
    monkeypatch.setenv("PYTHONHOME", "/nonexistent/python-home")
    broken = subprocess.run([PYTHON, "-c", "pass"], check=False, capture_output=True, timeout=60)
    assert broken.returncode != 0  # what the engine would meet with the host's PYTHONHOME
    client = EngineClient(PYTHON)  # this test runs in the project's .venv
    try:
        assert client.call("open_raster", {"path": str(rgb_tif)})["bands"] == [1, 2, 3]
    finally:
        client.close()


def test_a_click_is_one_request_answered_with_the_state_or_the_tile_to_encode(
    engine, rgb_tif, tiny_checkpoint
):
    """The engine chooses the tile once; ``encode`` encodes it on the session's own grid, after which the
    same click is answered with the preview and the tile is listed as encoded."""
    engine.call("configure", {"cache_dir": None})
    engine.call("load_model", {"checkpoint": str(tiny_checkpoint), "device": "cpu"})
    engine.call("open_raster", {"path": str(rgb_tif)})
    click = {"x": 220650.0, "y": 2719000.0, "label": 1}
    assert engine.call(
        "tiles_for_extent", {"extent": [101985.0, 2611485.0, 339315.0, 2826915.0], "missing": True}
    )
    answer = engine.call("add_point", click)
    assert set(answer) == {"encode"} and (answer["encode"]["col"], answer["encode"]["row"]) == (0, 0)
    assert engine.call("state") == {"points": [], "box": None, "preview": None}  # nothing changed
    assert engine.call("encoded_tiles") == []
    engine.call("encode", {"path": str(rgb_tif), "bands": [1, 2, 3], "tiles": [[0, 0]]})
    assert engine.call("encoded_tiles") == [answer["encode"]]
    assert (
        engine.call(
            "tiles_for_extent", {"extent": [101985.0, 2611485.0, 339315.0, 2826915.0], "missing": True}
        )
        == []
    )
    state = engine.call("add_point", click)
    assert state["points"] == [[click["x"], click["y"], 1]] and state["preview"]["tile"] == answer["encode"]
