"""The saved result: a plain SAM state dict whose encoders are the base checkpoint's bit for bit and whose decoder
changed, its sidecar read back by the loader, and the report folder's files."""

from __future__ import annotations

import json

import pytest
import torch
from finetune_sets import small_checkpoint, tuning_set

from sam_core.finetune.report import save_tuned, write_report
from sam_core.finetune.train import FinetuneOptions, finetune_decoder
from sam_core.sam.model import build_sam, infer_config, load_model
from sam_core.sam.tuned import probability_to_logit


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    base_path = small_checkpoint(folder)
    base = load_model(base_path, "cpu")
    data = tuning_set(train=4, val=2, test=2, size=256)
    options = FinetuneOptions(sizes=(256,), epochs=2, learning_rate=1e-3)
    result = finetune_decoder(data, base, options)
    out, sidecar = save_tuned(result, base, folder / "tuned.pth")
    files = write_report(result, folder / "report")
    return base_path, out, sidecar, result, files


def test_only_the_mask_decoder_changed_and_the_file_loads_in_segment_anything(saved):
    base_path, out, _, _, _ = saved
    base = torch.load(base_path, map_location="cpu", weights_only=True)
    tuned = torch.load(out, map_location="cpu", weights_only=True)
    assert tuned.keys() == base.keys()
    assert all(tuned[k].shape == base[k].shape and tuned[k].dtype == base[k].dtype for k in base)
    frozen = [k for k in base if not k.startswith("mask_decoder.")]
    assert frozen and all(torch.equal(tuned[k], base[k]) for k in frozen)
    changed = [k for k in base if k.startswith("mask_decoder.") and not torch.equal(tuned[k], base[k])]
    assert len(changed) >= 10, changed
    build_sam(infer_config(tuned)).load_state_dict(tuned, strict=True)


def test_the_loader_reads_the_sidecar_written_beside_it(saved):
    _, out, sidecar, result, _ = saved
    assert sidecar == out.with_name("tuned.pth.json")
    info = json.loads(sidecar.read_text())
    run = result.best
    assert info["threshold"] == run.threshold and info["tile_px"] == run.tile_px == 256
    assert info["metrics"]["accuracy"] == run.test_metrics["accuracy"]
    assert info["base_metrics"]["accuracy"] == run.base_metrics["accuracy"]
    model = load_model(out, "cpu")
    assert model.sam.mask_threshold == pytest.approx(probability_to_logit(run.threshold))
    assert "fine-tuned from ViT" in model.info.describe() and model.tile_size == 256


def test_the_report_holds_the_table_the_curves_the_sweep_and_the_examples(saved):
    *_, files = saved
    names = {f.name for f in files}
    for name in ("summary.json", "metrics.json", "curves.png", "threshold.png", "examples.png"):
        assert name in names, names
    summary = json.loads(next(f for f in files if f.name == "summary.json").read_text())
    assert summary["table"][0]["size"] == 256 and "base_accuracy" in summary["table"][0]
    for f in files:
        assert f.stat().st_size > 0
        if f.suffix == ".png":
            assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
