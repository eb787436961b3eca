"""Segment everything's whole-tile fast path (``everything_fast.FastTileMasks``) against segment_anything's
own ``SamAutomaticMaskGenerator`` (through ``TileMaskGenerator``, on the same tile and embedding).

A tiny random SAM at 256 px keeps each comparison to a second: the same decoder layout, a 64² low-resolution
mask upsampled ×4 as at 1024 px. Its masks are noise over the whole tile, so with thresholds 0 every mask
survives the filters and NMS keeps few (their boxes are the tile's); with NMS off, and the filters on, every
mask is compared one to one, in order.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mask_fidelity import matched_fraction

from sam_core.errors import Cancelled
from sam_core.prompting.everything import EverythingOptions, TileMaskGenerator, tile_mask_generator
from sam_core.prompting.everything_fast import FastTileMasks
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config


@pytest.fixture(scope="module")
def small_model(tmp_path_factory, one_torch_thread):
    """Tiny, 256 px, its mask logits scaled ×100 (the hypernetworks' last layers): random logits of ±0.2
    would give every mask stability 0; scaled, stability spreads around 0.5."""
    path = tmp_path_factory.mktemp("ckpt") / "tiny_256.pth"
    save_random_checkpoint(path, tiny_config(img_size=256), seed=1)
    state = torch.load(path, weights_only=True)
    for name, tensor in state.items():
        if name.startswith("mask_decoder.output_hypernetworks_mlps.") and ".layers.2." in name:
            tensor.mul_(100.0)
    torch.save(state, path)
    return load_model(path, "cpu", precision="fp32", verdicts=None)


def _embedding(model, seed: int = 0) -> torch.Tensor:
    return torch.randn(model.embedding_shape, generator=torch.Generator().manual_seed(seed))


def _options(**kwargs) -> EverythingOptions:
    defaults = {
        "points_per_side": 6,
        "pred_iou_thresh": 0.0,
        "stability_score_thresh": 0.0,
        "points_per_batch": 4,
    }
    return EverythingOptions(**{**defaults, **kwargs})


def _both(model, options: EverythingOptions, tile: int = 256, fast_options: EverythingOptions | None = None):
    """(fast path's masks, segment_anything's generator's masks) on one tile: (mask, iou, stability)s."""
    rgb, embedding = np.zeros((tile, tile, 3), np.uint8), _embedding(model)
    fast = tile_mask_generator(model, fast_options or options)
    assert isinstance(fast, FastTileMasks)
    with torch.inference_mode():
        reference = list(TileMaskGenerator(model, options).masks(rgb, embedding))
    return list(fast.masks(rgb, embedding)), reference


def _assert_same_objects(found, expected) -> None:
    assert len(found) == len(expected)
    assert matched_fraction(found, expected) >= 0.95


def test_fast_tile_gives_the_generators_objects(small_model):
    found, expected = _both(small_model, _options())
    assert expected  # thresholds 0: random masks survive
    _assert_same_objects(found, expected)
    for (_, iou, stability), (_, iou_ref, stability_ref) in zip(found, expected):
        assert iou == pytest.approx(iou_ref, abs=1e-5)
        assert stability == pytest.approx(stability_ref, abs=1e-3, nan_ok=True)


@pytest.mark.parametrize("tile", [256, 200])  # the model's own input (box crops), and a resized tile
def test_without_nms_every_mask_is_the_generators_in_its_order(small_model, tile):
    """NMS off (IoU threshold 1) and filters on: every mask that passes is compared with its counterpart."""
    found_all, _ = _both(small_model, _options(box_nms_thresh=1.0), tile)
    ious = sorted(iou for _, iou, _ in found_all)
    stabilities = sorted(s for _, _, s in found_all if not np.isnan(s))
    options = _options(
        box_nms_thresh=1.0,
        pred_iou_thresh=float(np.median(ious)),
        stability_score_thresh=stabilities[len(stabilities) // 3] if stabilities else 0.0,
    )
    found, expected = _both(small_model, options, tile)
    assert 0 < len(expected) < len(found_all)  # the filters removed some, kept some
    assert len(found) == len(expected)
    for (mask, iou, stability), (mask_ref, iou_ref, stability_ref) in zip(found, expected):
        assert iou == pytest.approx(iou_ref, abs=1e-5)
        assert stability == pytest.approx(stability_ref, abs=1e-3)
        assert np.count_nonzero(mask != mask_ref) <= 0.001 * mask.size  # threshold-level rounding only


def test_the_comparison_catches_a_missing_nms(small_model):
    """Mutation check: the fast path without its NMS no longer gives the generator's objects."""
    found, expected = _both(small_model, _options(), fast_options=_options(box_nms_thresh=1.0))
    with pytest.raises(AssertionError):
        _assert_same_objects(found, expected)


def test_crops_keep_segment_anythings_generator(small_model):
    assert isinstance(tile_mask_generator(small_model, _options(crop_n_layers=1)), TileMaskGenerator)


def test_bf16_path_gives_masks_in_float32(small_model):
    rgb, embedding = np.zeros((256, 256, 3), np.uint8), _embedding(small_model)
    small_model.precision = "bf16"
    try:
        found = list(tile_mask_generator(small_model, _options()).masks(rgb, embedding))
    finally:
        small_model.precision = "fp32"
    assert found and all(mask.dtype == bool and isinstance(iou, float) for mask, iou, _ in found)


def test_progress_and_cancel_after_every_batch(small_model):
    rgb, embedding = np.zeros((256, 256, 3), np.uint8), _embedding(small_model)
    generator = tile_mask_generator(small_model, _options(points_per_batch=5))
    assert generator.batches((256, 256)) == 8  # 36 points in batches of 5
    calls = []

    def after_batch() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise Cancelled()

    with pytest.raises(Cancelled):
        list(generator.masks(rgb, embedding, after_batch))
    assert len(calls) == 2
