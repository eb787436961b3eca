"""Mask fidelity of the fast paths (issue 14): with a decoder that produces real masks (fine-tuned here on
generated objects), the bf16 and int8 paths give the fp32 path's masks: median IoU ≥ 0.95 over ≥ 50 prompts
(a box and a centre point per object of held-out images) and areas within 2 % at the median.

The masks are real ones: against the image's objects, IoU ≥ 0.5 (with a tiny random encoder the tuned
decoder marks the image's objects, all of them, rather than the prompted one alone: its features are too poor
to tell objects apart, which changes nothing here). The comparison is shown to be sensitive: the fast path's
masks from the next image's embedding (a mutation) are far from the fp32 masks.
"""

from __future__ import annotations

import numpy as np
import pytest
from finetune_sets import small_checkpoint, tuning_set
from mask_fidelity import iou, object_prompts, prompt_masks

from sam_core.finetune.report import save_tuned
from sam_core.finetune.train import FinetuneOptions, finetune_decoder
from sam_core.sam.model import load_model

OPTIONS = FinetuneOptions(sizes=(256,), epochs=10, learning_rate=1e-3, batch_size=8, patch_px=256)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fast-masks")
    base = load_model(small_checkpoint(folder), "cpu", "fp32", None)
    data = tuning_set(train=16, val=4, test=10, size=256, objects=(2, 4), seed=11)
    result = finetune_decoder(data, base, OPTIONS)
    path, _ = save_tuned(result, base, folder / "tuned.pth")
    return path, data.part("test")


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_fast_paths_give_the_fp32_masks_and_areas(tuned, precision):
    path, test = tuned
    fp32 = load_model(path, "cpu", "fp32", None)
    fast = load_model(path, "cpu", precision, None)
    ious, area_errors, truth_ious, shifted = [], [], [], []
    for image, other in zip(test, test[1:] + test[:1]):
        prompts = object_prompts(image.objects)
        reference, masks = prompt_masks(fp32, image.rgb, prompts), prompt_masks(fast, image.rgb, prompts)
        for ref, mask in zip(reference, masks):
            ious.append(iou(ref, mask))
            area_errors.append(abs(int(mask.sum()) - int(ref.sum())) / max(int(ref.sum()), 1))
            truth_ious.append(iou(ref, image.objects > 0))
        moved = prompt_masks(fast, other.rgb, prompts)  # the next image's embedding: the mutation
        shifted += [iou(ref, mask) for ref, mask in zip(reference, moved)]
    print(
        f"{precision}: {len(ious)} prompts, median IoU {np.median(ious):.4f}, area error "
        f"{np.median(area_errors):.4f}, truth IoU {np.median(truth_ious):.3f}, shifted {np.median(shifted):.3f}"
    )
    assert len(ious) >= 50
    assert np.median(truth_ious) >= 0.5  # real masks, not empty or whole-image ones
    assert np.median(ious) >= 0.95
    assert np.median(area_errors) <= 0.02
    assert np.median(shifted) < 0.5
