"""The prompt decoder's fast path against segment_anything's own code, on tiny random-weight SAMs.

``fast_decoder`` rearranges ``MaskDecoder``'s computation (cached first layer, projections folded into the
few tokens, the upscaling as matrix products): its logits and IoU must equal segment_anything's to float
rounding. ``fast_masks`` upsamples only a mask's box: its masks, stability scores and boxes must equal
``postprocess_masks`` + threshold, ``calculate_stability_score`` and ``batched_mask_to_box`` bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from affine import Affine
from segment_anything.utils.amg import batched_mask_to_box, calculate_stability_score

from sam_core.geo.tiles import Tile, TileGrid
from sam_core.prompting.decoder import predict_mask
from sam_core.prompting.fast_decoder import decode, dense_pe
from sam_core.prompting.fast_masks import full_mask, mask_stats, upsample
from sam_core.prompting.prompts import PixelPrompts
from sam_core.sam.model import load_model


@pytest.fixture(scope="module")
def fp32_model(tiny_checkpoint, one_torch_thread):
    return load_model(tiny_checkpoint, "cpu", precision="fp32", verdicts=None)


def _embedding(model, seed: int) -> torch.Tensor:
    return torch.randn(model.embedding_shape, generator=torch.Generator().manual_seed(seed))


def _sam_decoder(sam, embedding, sparse, dense, multimask: bool):
    return sam.mask_decoder(
        image_embeddings=embedding,
        image_pe=sam.prompt_encoder.get_dense_pe(),
        sparse_prompt_embeddings=sparse,
        dense_prompt_embeddings=dense,
        multimask_output=multimask,
    )


PROMPTS = {
    "one point": {"points": 1, "labels": [1], "box": False},
    "three points, one background": {"points": 3, "labels": [1, 0, 1], "box": False},
    "box": {"points": 0, "labels": [], "box": True},
    "box and a point": {"points": 1, "labels": [0], "box": True},
}


@pytest.mark.parametrize("kind", PROMPTS)
def test_fast_decoder_equals_segment_anythings_mask_decoder(fp32_model, kind):
    sam, spec, batch = fp32_model.sam, PROMPTS[kind], 3
    g = torch.Generator().manual_seed(1)
    points = None
    if spec["points"]:
        coords = torch.rand(batch, spec["points"], 2, generator=g) * 1024
        points = (coords, torch.tensor([spec["labels"]] * batch))
    boxes = torch.sort(torch.rand(batch, 4, generator=g) * 1024)[0] if spec["box"] else None
    for seed in (0, 1, 0):  # a second tile, then the first again: the per-tile cache must follow
        embedding = _embedding(fp32_model, seed)
        with torch.inference_mode():
            sparse, dense = sam.prompt_encoder(points=points, boxes=boxes, masks=None)
            single, single_iou = _sam_decoder(sam, embedding, sparse, dense, False)
            multi, multi_iou = _sam_decoder(sam, embedding, sparse, dense, True)
            decoded = decode(sam, embedding, sparse)
            logits = decoded.mask_logits([0, 1, 2, 3])
        reference, reference_iou = torch.cat([single, multi], 1), torch.cat([single_iou, multi_iou], 1)
        scale = float(reference.abs().max())
        assert float((logits - reference).abs().max()) <= 1e-5 * scale
        assert float((decoded.iou - reference_iou).abs().max()) <= 1e-5
        one = decoded.mask_logits([2], torch.tensor([1]))[0, 0]  # one mask of one prompt, as a click makes
        assert float((one - reference[:, 2][1]).abs().max()) <= 1e-5 * scale


def test_dense_pe_is_computed_once_per_model(fp32_model):
    sam = fp32_model.sam
    assert dense_pe(sam) is dense_pe(sam)
    assert torch.equal(dense_pe(sam), sam.prompt_encoder.get_dense_pe())


def _low_res_cases(threshold: float, n: int, seed: int):
    """Low-resolution logits of every shape that matters: noise, blobs anywhere (the border included),
    ramps touching an edge, empty masks, and cells within float rounding of the threshold."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(256.0), torch.arange(256.0), indexing="ij")
    for i in range(n):
        kind = i % 5
        if kind == 0:
            low = torch.randn(256, 256, generator=g) * 3 - 4 + threshold
        elif kind == 1:
            y, x = torch.randint(-20, 276, (2,), generator=g).tolist()
            radius = float(torch.randint(1, 60, (1,), generator=g))
            noise = torch.randn(256, 256, generator=g) * 0.3
            low = threshold + 2.0 - ((yy - y) ** 2 + (xx - x) ** 2).sqrt() / radius * 3 + noise
        elif kind == 2:
            low = torch.randn(256, 256, generator=g) - 100 + threshold
        elif kind == 3:
            low = threshold + torch.linspace(3, -30, 256)[None, :].repeat(256, 1)
            low = low.flip(1).T if i % 2 else low
        else:
            low = torch.full((256, 256), threshold - 1e-7)
            low[100:110, 50:51], low[5, 5], low[255, 0] = threshold, threshold + 1e-6, threshold + 2
        yield low


@pytest.mark.parametrize("threshold", [0.0, 0.7, -1.3])
def test_box_upsampling_equals_postprocess_masks_bit_for_bit(fp32_model, threshold):
    sam = fp32_model.sam
    sam.mask_threshold = threshold
    try:
        for low in _low_res_cases(threshold, 40, seed=int(threshold * 10) + 5):
            with torch.inference_mode():
                reference = sam.postprocess_masks(low[None, None], (1024, 1024), (1024, 1024))[0]
                expected_box = tuple(int(v) for v in batched_mask_to_box(reference > threshold)[0])
                expected_stability = float(calculate_stability_score(reference, threshold, 1.0)[0])
                mask = full_mask(sam, low, (1024, 1024))
                stats = mask_stats(upsample(sam, low, (1024, 1024), threshold - 1.0), threshold, 1.0)
            assert np.array_equal(mask, (reference[0] > threshold).numpy())
            assert stats.box == expected_box
            assert stats.stability == expected_stability or (
                np.isnan(stats.stability) and np.isnan(expected_stability)
            )
    finally:
        sam.mask_threshold = 0.0


def test_other_tile_sizes_go_through_postprocess_masks(fp32_model):
    sam = fp32_model.sam
    for low in _low_res_cases(0.0, 5, seed=3):
        with torch.inference_mode():
            reference = sam.postprocess_masks(low[None, None], (1024, 1024), (700, 700))[0, 0] > 0
            assert np.array_equal(full_mask(sam, low, (700, 700)), reference.numpy())


def _reference_prediction(model, embedding, prompts: PixelPrompts):
    """segment_anything's plain path for the same prompt: its decoder, best of three, postprocess_masks."""
    sam, tile = model.sam, prompts.tile.size
    scale = model.img_size / tile
    points = None
    if len(prompts.points):
        coords = torch.as_tensor(prompts.points * scale - 0.5, dtype=torch.float32)[None]
        points = (coords, torch.as_tensor(prompts.labels)[None])
    boxes = (
        None if prompts.box is None else torch.as_tensor(prompts.box * scale - 0.5, dtype=torch.float32)[None]
    )
    multimask = prompts.box is None and len(prompts.points) == 1
    with torch.inference_mode():
        sparse, dense = sam.prompt_encoder(points=points, boxes=boxes, masks=None)
        low_res, iou = _sam_decoder(sam, embedding, sparse, dense, multimask)
        best = int(torch.argmax(iou[0]))
        logits = sam.postprocess_masks(low_res[:, best : best + 1], (1024, 1024), (tile, tile))
    return (logits[0, 0] > sam.mask_threshold).numpy(), float(iou[0, best])


def _tile(size: int) -> Tile:
    return TileGrid(size, size, Affine.identity(), None, tile_size=size, overlap=0).tile(0, 0)


@pytest.mark.parametrize("tile_size", [1024, 600])
def test_predict_mask_equals_segment_anythings_path(fp32_model, tile_size):
    embedding = _embedding(fp32_model, 2)
    tile = _tile(tile_size)
    cases = [
        PixelPrompts(tile, np.array([[300.5, 200.25]]), np.array([1]), None),
        PixelPrompts(tile, np.array([[100.0, 90.0], [400.0, 410.0]]), np.array([1, 0]), None),
        PixelPrompts(tile, np.zeros((0, 2)), np.zeros(0, int), np.array([50.0, 60.0, 420.0, 380.0])),
    ]
    for prompts in cases:
        expected, expected_score = _reference_prediction(fp32_model, embedding, prompts)
        result = predict_mask(fp32_model, embedding, prompts)
        assert result.mask.dtype == bool and result.mask.shape == (tile_size, tile_size)
        assert result.score == pytest.approx(expected_score, abs=1e-5)
        # the decoders differ by float rounding (~1e-7 of the logits): a pixel sitting on the threshold
        # may flip, no more
        assert np.count_nonzero(result.mask != expected) <= 0.0005 * expected.size


def test_bf16_path_runs_in_autocast_and_returns_float32_scores(fp32_model):
    embedding = _embedding(fp32_model, 4)
    prompts = PixelPrompts(_tile(1024), np.array([[512.0, 500.0]]), np.array([1]), None)
    expected, _ = _reference_prediction(fp32_model, embedding, prompts)
    fp32_model.precision = "bf16"
    try:
        result = predict_mask(fp32_model, embedding, prompts)
    finally:
        fp32_model.precision = "fp32"
    assert isinstance(result.score, float) and result.mask.dtype == bool
    # bf16 moves logits by ~1e-3: pixels near the threshold flip, the mask stays the same mask
    assert np.mean(result.mask == expected) > 0.98
