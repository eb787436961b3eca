"""``--precision`` and ``--threads`` on the command line, and ``info --device`` saying what runs the model
and why (issue 14), in a subprocess as users run them."""

from __future__ import annotations

import json

import torch
from cli_helpers import assert_user_error, run_cli


def test_info_device_says_what_runs_the_model_and_why():
    result = run_cli("info", "--device")
    assert result.returncode == 0, result.stderr
    device = json.loads(result.stdout)["device"]
    if not torch.cuda.is_available():
        assert device["device"] == "cpu" and "CUDA" in device["why"]
        assert device["says"].startswith(f"cpu: {device['threads']} threads")
    assert set(device["fast_paths"]) <= {"bf16", "int8"}


def test_info_with_a_checkpoint_names_the_precision_chosen(tiny_checkpoint):
    result = run_cli("info", "--device", "cpu", "--checkpoint", tiny_checkpoint, "--precision", "int8")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["model"]["precision"] == report["device"]["precision"] == "int8"
    assert "int8" in report["device"]["says"] and "asked for" in report["device"]["says"]


def test_precision_and_threads_are_taken_and_checked(tiny_checkpoint, rgb_tif, tmp_path):
    encoded = run_cli(
        "encode", rgb_tif, "--checkpoint", tiny_checkpoint, "--precision", "bf16", "--threads", "1",
        "--cache-dir", tmp_path / "cache", "--tile-size", "512",
    )
    assert encoded.returncode == 0, encoded.stderr
    base = ("encode", rgb_tif, "--checkpoint", tiny_checkpoint, "--cache-dir", tmp_path / "other")
    assert_user_error(run_cli(*base, "--precision", "fp16"), "fp16")
    assert_user_error(run_cli(*base, "--threads", "0"), "threads")
    if not torch.cuda.is_available():
        assert_user_error(run_cli(*base, "--device", "cuda"), "CUDA")
    assert not (tmp_path / "other").exists()
