"""The probability threshold, picked on validation, and the one place a mask is cut from logits.

The recipe thresholds probabilities: ``sigmoid(logits) > p``. SAM thresholds logits (``sam.mask_threshold``),
so the sidecar's p reaches SAM as the logit log(p / (1 − p)) (``probability_to_logit``); the two are the same
mask because the sigmoid is increasing. Comparing logits with p itself would be a different mask, and one a
score hardly shows (tuned logits saturate far from 0), so ``mask_at`` is the only threshold in the package and
a unit test pins its space.

The sweep scores every validation image at each threshold (0.05 … 0.95): the chosen one has the best image
accuracy (share of images with IoU > 0.5), ties broken by mean IoU, then by closeness to 0.5 (a saturated
decoder ties across a wide range; the middle of it is the least arbitrary).
"""

from __future__ import annotations

import numpy as np

from ..evaluation.metrics import confusion, overall
from ..sam.tuned import probability_to_logit
from .dataset import TuningImage

#: SAM's own threshold (logit 0), as a probability: what the base model is scored with.
SAM_THRESHOLD = 0.5


def mask_at(logits: np.ndarray, probability: float) -> np.ndarray:
    """The mask of ``sigmoid(logits) > probability``, computed in logit space as SAM does."""
    return np.asarray(logits) > probability_to_logit(probability)


def thresholds(step: float) -> list[float]:
    """0.05, 0.05 + step, … up to 0.95 (rounded so that 0.65 is 0.65)."""
    count = round((0.95 - 0.05) / step + 1e-9) + 1
    return [round(0.05 + k * step, 6) for k in range(count) if 0.05 + k * step <= 0.95 + 1e-9]


def score(logit_maps: list[np.ndarray], images: list[TuningImage], probability: float) -> dict:
    """``overall`` figures of the images' masks at ``probability``; unknown pixels count nowhere."""
    counts = [
        confusion(mask_at(logits, probability), image.target, image.known)
        for logits, image in zip(logit_maps, images)
    ]
    return {"threshold": probability, **overall(counts)}


def sweep(logit_maps: list[np.ndarray], images: list[TuningImage], step: float) -> list[dict]:
    """One row per threshold: threshold, accuracy, mean IoU, Dice."""
    rows = []
    for p in thresholds(step):
        figures = score(logit_maps, images, p)
        rows.append({k: figures[k] for k in ("threshold", "accuracy", "mean_iou", "dice")})
    return rows


def pick(rows: list[dict]) -> float:
    """The threshold with the best accuracy, then mean IoU, then nearest 0.5."""
    best = max(rows, key=lambda r: (r["accuracy"], r["mean_iou"], -abs(r["threshold"] - SAM_THRESHOLD)))
    return float(best["threshold"])
