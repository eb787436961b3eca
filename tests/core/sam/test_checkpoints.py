"""Checkpoint downloads (``sam_core.sam.checkpoints``, ``fetch-checkpoint``) against a server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cli_helpers import ROOT, assert_user_error
from local_http import dead_url, serve

from sam_core.errors import Cancelled, SamCoreError
from sam_core.sam.checkpoints import BASE_URL_ENV, OFFICIAL, download, resolve, user_cache


def fetch(*args, env_extra=None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "sam_core", "fetch-checkpoint", *map(str, args)],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_download_error(result: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2 and one ``error:`` line naming ``words``, last, after any progress lines; no traceback."""
    lines = result.stderr.strip().splitlines()
    assert [line for line in lines if not line.startswith("fetching ")] == lines[-1:], result.stderr
    assert_user_error(subprocess.CompletedProcess(result.args, result.returncode, "", lines[-1]), *words)


def test_a_verified_download_lands_under_its_final_name_with_progress(tmp_path, payload):
    data, digest = payload
    seen = []
    with serve({"/tiny.pth": data}) as server:
        result = download(
            server.url("/tiny.pth"), tmp_path / "tiny.pth", digest, progress=lambda d, t: seen.append((d, t))
        )
    assert result.path.read_bytes() == data and result.sha256 == digest and result.verified
    assert not (tmp_path / "tiny.pth.part").exists()
    assert seen[0] == (0, len(data)) and seen[-1] == (len(data), len(data))
    assert len(seen) > 2  # streamed in chunks, not in one piece


def test_a_dropped_connection_resumes_with_a_range_request(tmp_path, payload):
    data, digest = payload
    half = len(data) // 2
    with serve({"/tiny.pth": data}, drop_after=half) as server:
        url = server.url("/tiny.pth")
        with pytest.raises(SamCoreError, match="broke off"):
            download(url, tmp_path / "tiny.pth", digest)
        assert not (tmp_path / "tiny.pth").exists()
        assert (tmp_path / "tiny.pth.part").stat().st_size == half
        result = download(url, tmp_path / "tiny.pth", digest)
    assert "range" not in server.requests[0]
    assert server.requests[1]["range"] == f"bytes={half}-"
    assert result.resumed_from == half and result.sha256 == digest
    assert hashlib.sha256((tmp_path / "tiny.pth").read_bytes()).hexdigest() == digest


def test_a_server_that_ignores_range_restarts_the_file(tmp_path, payload):
    data, digest = payload
    (tmp_path / "tiny.pth.part").write_bytes(b"garbage that is not a prefix of the file")
    with serve({"/tiny.pth": data}, ranges=False) as server:
        result = download(server.url("/tiny.pth"), tmp_path / "tiny.pth", digest)
    assert server.requests[0]["range"].startswith("bytes=")
    assert result.resumed_from == 0 and result.path.read_bytes() == data


def test_cancel_while_the_server_stalls_lands_within_two_seconds_and_keeps_the_part(tmp_path, payload):
    data, digest = payload
    cancel = threading.Event()
    with serve({"/tiny.pth": data}, stall_after=1000) as server:
        threading.Timer(0.5, cancel.set).start()
        start = time.monotonic()
        with pytest.raises(Cancelled):
            download(server.url("/tiny.pth"), tmp_path / "tiny.pth", digest, is_cancelled=cancel.is_set)
        elapsed = time.monotonic() - start
    assert elapsed < 2.0
    assert (tmp_path / "tiny.pth.part").stat().st_size == 1000 and not (tmp_path / "tiny.pth").exists()


def test_an_existing_verified_file_is_reused_without_a_request(tmp_path, payload):
    data, digest = payload
    (tmp_path / "tiny.pth").write_bytes(data)
    result = download(dead_url() + "tiny.pth", tmp_path / "tiny.pth", digest)
    assert result.verified and result.path == tmp_path / "tiny.pth"


def test_resolve_names_the_official_files_and_refuses_nonsense(monkeypatch):
    monkeypatch.setenv(BASE_URL_ENV, "http://mirror.example/sam")
    url, _, digest = resolve("vit_h")
    assert url == "http://mirror.example/sam/sam_vit_h_4b8939.pth" and digest == OFFICIAL["vit_h"].sha256
    assert {c.filename for c in OFFICIAL.values()} == {
        "sam_vit_b_01ec64.pth",
        "sam_vit_l_0b3195.pth",
        "sam_vit_h_4b8939.pth",
    }
    for bad in ("vit_x", "ftp://host/file.pth", "https://host/"):
        with pytest.raises(SamCoreError):
            resolve(bad)
    with pytest.raises(SamCoreError, match="64 hexadecimal"):
        resolve("vit_b", "abc")


def test_the_user_cache_honours_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert user_cache("checkpoints") == tmp_path / "terrasam" / "checkpoints"


def test_cli_fetches_a_url_and_prints_the_path_as_json(tmp_path, payload):
    data, digest = payload
    with serve({"/models/tiny.pth": data}) as server:
        result = fetch(server.url("/models/tiny.pth"), "--sha256", digest.upper(), "--dir", tmp_path / "ck")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["path"] == str(tmp_path / "ck" / "tiny.pth") and report["verified"] is True
    assert Path(report["path"]).read_bytes() == data
    assert "fetching tiny.pth: 100%" in result.stderr


def test_cli_hash_mismatch_is_one_error_line_and_leaves_no_file(tmp_path, payload):
    data, _ = payload
    with serve({"/tiny.pth": data}) as server:
        result = fetch(server.url("/tiny.pth"), "--sha256", "0" * 64, "--dir", tmp_path)
    assert_download_error(result, "SHA-256 mismatch", "deleted")
    assert sorted(os.listdir(tmp_path)) == []


def test_cli_official_name_is_checked_against_the_official_digest(tmp_path, payload):
    """A mirror (here: the local server) that serves other bytes under vit_b's name is refused."""
    data, _ = payload
    with serve({"/sam_vit_b_01ec64.pth": data}) as server:
        result = fetch("vit_b", "--dir", tmp_path, env_extra={BASE_URL_ENV: server.base_url})
    assert_download_error(result, "SHA-256 mismatch", OFFICIAL["vit_b"].sha256)
    assert server.requests[0]["path"] == "/sam_vit_b_01ec64.pth"
    assert os.listdir(tmp_path) == []


def test_cli_without_network_is_one_error_line(tmp_path):
    start = time.monotonic()
    result = fetch("vit_b", "--dir", tmp_path, env_extra={BASE_URL_ENV: dead_url()})
    assert_user_error(result, "no network")
    assert time.monotonic() - start < 20 and os.listdir(tmp_path) == []


def test_cli_http_error_is_one_error_line(tmp_path):
    with serve({}) as server:
        result = fetch(server.url("/missing.pth"), "--dir", tmp_path)
    assert_download_error(result, "HTTP 404")
    assert os.listdir(tmp_path) == []
