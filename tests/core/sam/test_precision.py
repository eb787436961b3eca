"""The encoder's fast paths (issue 14): which one ``auto`` takes, the fidelity gate, the cache key, and the
fidelity itself on real imagery, generated scenes and real masks from a fine-tuned decoder.

Timings live in ``make bench``; here the paths' *results* are checked against fp32, and the gate is shown to
refuse a path that is not faithful.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from sam_core.errors import SamCoreError
from sam_core.geo.raster import RasterSource
from sam_core.geo.tiles import PixelWindow
from sam_core.sam import precision as paths
from sam_core.sam.embeddings import EmbeddingCache, TileEncoder, encode_input, prepare_image
from sam_core.sam.hardware import Hardware, detect, physical_cores, resolve_device
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config

CPU = torch.device("cpu")


def _hardware(bf16: bool, vnni: bool, kind: str = "cpu") -> Hardware:
    return Hardware(torch.device(kind), "test", bf16, vnni, 2)


def test_candidates_follow_the_hardware_fastest_first():
    assert paths.candidates(_hardware(True, True)) == ["bf16", "int8", "fp32"]
    assert paths.candidates(_hardware(False, True)) == ["int8", "fp32"]
    assert paths.candidates(_hardware(False, False)) == ["fp32"]
    assert paths.candidates(_hardware(True, False, "cuda")) == ["bf16", "fp32"]
    assert paths.candidates(_hardware(False, False, "mps")) == ["fp32"]
    with pytest.raises(SamCoreError, match="int8 runs on the CPU only"):
        paths.check_requested("int8", _hardware(True, False, "cuda"))
    with pytest.raises(SamCoreError, match="unknown precision"):
        paths.check_requested("fp16", _hardware(True, True))


def test_this_machine_is_described_with_its_reason():
    device, why = resolve_device("auto")
    hardware = detect(device, why)
    assert 1 <= physical_cores() <= os.cpu_count()
    if not torch.cuda.is_available():  # as here: the reason is said, and asking for CUDA is a clear error
        with pytest.raises(SamCoreError, match="CUDA"):
            resolve_device("cuda")
        if device.type == "cpu":
            assert "CUDA" in why and why in hardware.describe()
            assert hardware.describe("bf16").startswith(f"cpu: {hardware.threads} threads, bf16")


def test_auto_measures_once_records_the_verdict_and_obeys_it(tiny_checkpoint, tmp_path):
    store = tmp_path / "precision.json"
    model = load_model(tiny_checkpoint, "cpu", "auto", store)
    fast = paths.candidates(model.hardware)[:-1]
    if not fast:  # a machine without fast kernels: fp32, with no measurement at all
        assert model.precision == "fp32" and not store.exists()
        return
    verdicts = json.loads(store.read_text())
    chosen = model.precision
    assert chosen == fast[0]  # a faithful path: the fastest one this hardware has kernels for
    for verdict in verdicts.values():
        assert verdict["passed"] == (verdict["cosine_p01"] >= paths.MIN_COSINE_P01) and verdict["speedup"] > 0
    if chosen != "fp32":
        assert model.choice.cosine_p01 >= 0.99 and "checked" in model.describe_device()
    # a recorded "failed" verdict is obeyed without measuring again: fp32, and the file is not rewritten
    failed = {key: {**v, "passed": False} for key, v in verdicts.items()}
    for precision in fast:
        key = next(iter(verdicts)).rsplit("|", 1)[0] + f"|{precision}"
        failed[key] = {"passed": False, "cosine_p01": 0.5, "speedup": 3.0}
    store.write_text(json.dumps(failed))
    again = load_model(tiny_checkpoint, "cpu", "auto", store)
    assert again.precision == "fp32" and "no faster path passed" in again.describe_device()
    assert json.loads(store.read_text()) == failed


def test_the_gate_refuses_an_int8_path_that_is_not_faithful(tmp_path):
    """Weights with outliers (a few huge values per Linear layer) defeat per-tensor int8: the gate's cosine
    falls under 0.99 and the path is refused; the same model's fp32-like weights pass."""
    path = tmp_path / "outliers.pth"
    save_random_checkpoint(path, tiny_config(img_size=512), seed=3)
    model = load_model(path, "cpu", "fp32", None)
    hardware = detect(CPU)
    reference = paths._reference(model.sam, hardware)
    plain = paths.gate(model.sam, "int8", hardware, reference)
    assert plain["cosine_p01"] >= 0.99
    with torch.no_grad():
        for module in model.sam.image_encoder.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.view(-1)[::97] *= 400.0
    reference = paths._reference(model.sam, hardware)
    spoiled = paths.gate(model.sam, "int8", hardware, reference)
    assert spoiled["cosine_p01"] < 0.99 and not spoiled["passed"]


def test_the_cache_key_includes_the_precision(tiny_checkpoint, rgb_tif, tmp_path):
    cache = EmbeddingCache(tmp_path / "cache")
    fp32 = load_model(tiny_checkpoint, "cpu", "fp32", None)
    bf16 = load_model(tiny_checkpoint, "cpu", "bf16", None)
    with RasterSource(rgb_tif) as source:
        tile = source.grid(512, 128).tile(0, 0)
        first = TileEncoder(fp32, source, cache)
        first.encode(tile)
        second = TileEncoder(bf16, source, cache)
        second.encode(tile)  # another path: its own entry, not the fp32 one
        assert (first.encoder_calls, second.encoder_calls) == (1, 1)
        third = TileEncoder(bf16, source, EmbeddingCache(tmp_path / "cache"))
        third.encode(tile)  # the bf16 entry on disk is found
        assert third.encoder_calls == 0
        image = source.read_window(tile.window)
        assert first.key_for(image.digest, tile.size) != second.key_for(image.digest, tile.size)


def _embedding(model, rgb: np.ndarray) -> torch.Tensor:
    valid = np.ones(rgb.shape[:2], bool)
    return encode_input(model, prepare_image(model, rgb, valid))


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_fast_embeddings_match_fp32_on_real_imagery_and_generated_scenes(tiny_checkpoint, rgb_tif, precision):
    fp32 = load_model(tiny_checkpoint, "cpu", "fp32", None)
    fast = load_model(tiny_checkpoint, "cpu", precision, None)
    with RasterSource(rgb_tif) as source:
        real = source.read_window(PixelWindow(100, 100, 1024, 1024)).rgb
    from finetune_data import generate_image

    scene, _ = generate_image(1024, 6, np.random.default_rng(5))
    for rgb in (real, scene):
        reference, out = _embedding(fp32, rgb), _embedding(fast, rgb)
        assert out.dtype == torch.float32
        assert paths.cosine_p01(out, reference) >= 0.99
    # the check is sensitive: another image's embedding is far from this one's
    assert paths.cosine_p01(_embedding(fast, scene), _embedding(fp32, real)) < 0.9
