"""The fine-tuning sidecar: written and read back, applied by the loader (logit threshold, learned scale,
description), and a damaged one refused with a readable message."""

from __future__ import annotations

import math
import shutil

import pytest
import torch

from sam_core import config
from sam_core.errors import SamCoreError
from sam_core.sam.model import load_model
from sam_core.sam.tuned import TunedInfo, probability_to_logit, read_sidecar, sidecar_path, write_sidecar


def tuned_info(**changes) -> TunedInfo:
    values = {
        "base_label": "ViT-B",
        "base_name": "sam_vit_b_01ec64.pth",
        "base_fingerprint": "ab" * 32,
        "threshold": 0.65,
        "prompt": "box",
        "size": 512,
        "patch_px": 256,
        "tile_px": 128,
        "sizes": [512],
        "metrics": {"accuracy": 0.619, "mean_iou": 0.55},
    }
    values.update(changes)
    return TunedInfo(**values)


def test_probability_threshold_becomes_the_logit_sam_compares_with():
    assert probability_to_logit(0.5) == 0.0
    assert probability_to_logit(0.65) == pytest.approx(math.log(0.65 / 0.35))
    logits = torch.linspace(-8, 8, 401)
    for p in (0.05, 0.3, 0.65, 0.95):
        # the same mask as thresholding the probabilities: what the recipe does
        assert torch.equal(logits > probability_to_logit(p), torch.sigmoid(logits) > p)
    # comparing logits with the probability itself is another mask: the mistake this conversion avoids
    assert not torch.equal(logits > 0.65, torch.sigmoid(logits) > 0.65)
    for bad in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(SamCoreError, match="between 0 and 1"):
            probability_to_logit(bad)


def test_sidecar_round_trip_and_description(tmp_path):
    checkpoint = tmp_path / "tuned.pth"
    path = write_sidecar(checkpoint, tuned_info())
    assert path == sidecar_path(checkpoint) == tmp_path / "tuned.pth.json"
    assert read_sidecar(checkpoint) == tuned_info()
    assert tuned_info().describe() == "fine-tuned from ViT-B, threshold 0.65, test accuracy 62 %"
    assert tuned_info(metrics={}).describe() == "fine-tuned from ViT-B, threshold 0.65"
    assert read_sidecar(tmp_path / "plain.pth") is None


def test_loader_applies_the_sidecar(tiny_checkpoint, tmp_path):
    plain = load_model(tiny_checkpoint, "cpu")
    assert plain.info.tuned is None and plain.sam.mask_threshold == 0.0
    assert plain.tile_size == config.TILE_SIZE
    tuned_path = tmp_path / "tuned.pth"
    shutil.copy(tiny_checkpoint, tuned_path)
    write_sidecar(tuned_path, tuned_info())
    tuned = load_model(tuned_path, "cpu")
    assert tuned.sam.mask_threshold == pytest.approx(probability_to_logit(0.65))
    assert tuned.tile_size == 128
    assert tuned.info.describe().endswith(", fine-tuned from ViT-B, threshold 0.65, test accuracy 62 %")
    assert tuned.info.describe().startswith(plain.info.describe())


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"format": "something-else/1"}',
        '{"format": "terrasam-tuned-decoder/1", "threshold": 0.5}',
        None,  # a valid file with a threshold of 1.0
    ],
)
def test_damaged_sidecar_is_refused_naming_it(tiny_checkpoint, tmp_path, text):
    tuned_path = tmp_path / "tuned.pth"
    shutil.copy(tiny_checkpoint, tuned_path)
    if text is None:
        write_sidecar(tuned_path, tuned_info(threshold=1.0))
    else:
        sidecar_path(tuned_path).write_text(text)
    with pytest.raises(SamCoreError, match=r"sidecar tuned\.pth\.json is damaged"):
        load_model(tuned_path, "cpu")
