"""Dice + binary cross-entropy on mask logits, as the recipe trains (MONAI's ``DiceCELoss``), with a per-pixel
``known`` mask.

MONAI's semantics for one channel with ``sigmoid=True``: the Dice loss of each mask is
``1 - (2 Σ p g + ε) / (Σ p + Σ g + ε)`` (p = sigmoid(logits), g the target, ε = 1e-5 above and below),
averaged over the masks; the cross-entropy is binary cross-entropy with logits averaged over every pixel;
the loss is their sum with weights 1 and 1 (``lambda_dice = lambda_ce = 1``). MONAI is not a dependency, so
these few lines stand in for it. Pixels outside ``known`` count in neither term: they are left out of the
Dice sums and of the cross-entropy's mean (a patch's zero padding and unlabelled ground are not background).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

SMOOTH = 1e-5  # MONAI's smooth_nr = smooth_dr


def dice_ce_loss(
    logits: torch.Tensor, target: torch.Tensor, known: torch.Tensor | None = None, smooth: float = SMOOTH
) -> torch.Tensor:
    """Scalar loss of ``logits`` (N, H, W) against binary ``target`` (N, H, W); ``known`` (N, H, W) bool or
    0/1 weights, None for every pixel."""
    target = target.to(logits.dtype)
    weight = torch.ones_like(logits) if known is None else known.to(logits.dtype)
    prob = torch.sigmoid(logits)
    dims = tuple(range(1, logits.ndim))
    intersection = (prob * target * weight).sum(dims)
    denominator = (prob * weight).sum(dims) + (target * weight).sum(dims)
    dice = 1.0 - (2.0 * intersection + smooth) / (denominator + smooth)
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    ce = (bce * weight).sum() / weight.sum().clamp_min(1.0)
    return dice.mean() + ce
