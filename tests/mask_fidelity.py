"""Comparing two paths' masks (issue 14's fidelity checks), shared by the tests and ``bench/fast_*.py``.

``object_prompts``: a box and an interior point per object of an id mask; ``prompt_masks``: one model's mask
for each prompt on an image (the decoder in the model's autocast, as the product runs it); and
``matched_fraction``: how many of one generator's masks the other finds (IoU ≥ 0.9, each match used once).
"""

from __future__ import annotations

import numpy as np
import torch

from sam_core.finetune.patches import interior_point, object_box
from sam_core.finetune.predict import decode_logits
from sam_core.sam.embeddings import encode_input, prepare_image


def object_prompts(objects: np.ndarray) -> list[tuple[str, list[float]]]:
    prompts = []
    for object_id in np.unique(objects[objects > 0]):
        mask = objects == object_id
        prompts += [("box", object_box(mask).tolist()), ("point", interior_point(mask).tolist())]
    return prompts


def prompt_masks(model, rgb: np.ndarray, prompts, patch_px: int = 256) -> list[np.ndarray]:
    """Each prompt's mask on the image ``rgb`` (``patch_px`` square)."""
    embedding = encode_input(model, prepare_image(model, rgb, np.ones(rgb.shape[:2], bool)))
    out = []
    with torch.inference_mode(), model.autocast():
        for kind, value in prompts:
            if kind == "box":
                logits = decode_logits(model, embedding, patch_px, boxes=torch.tensor([value]))
            else:
                points, labels = torch.tensor([[value]]), torch.tensor([[1]])
                logits = decode_logits(model, embedding, patch_px, points=points, point_labels=labels)
            out.append((logits[0].float() > model.sam.mask_threshold).numpy())
    return out


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def matched_fraction(found: list, expected: list, threshold: float = 0.9) -> float:
    """Share of ``expected`` masks (tuples whose first item is the mask) with a distinct match in ``found``
    of IoU ≥ ``threshold``, greedily in order; 1.0 when both are empty."""
    if not expected:
        return 1.0 if not found else 0.0
    free, matched = list(range(len(found))), 0
    for mask, *_ in expected:
        for k in free:
            if iou(mask, found[k][0]) >= threshold and np.count_nonzero(mask | found[k][0]):
                free.remove(k)
                matched += 1
                break
    return matched / len(expected)
