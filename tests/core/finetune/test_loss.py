"""Dice + cross-entropy on mask logits against values worked by hand, and the ``known`` mask's exclusion."""

from __future__ import annotations

import math

import pytest
import torch

from sam_core.finetune.loss import dice_ce_loss

L3 = math.log(3.0)  # sigmoid(ln 3) = 0.75, sigmoid(-ln 3) = 0.25


def example():
    """p = [[0.5, 0.5], [0.75, 0.25]] against g = [[1, 0], [1, 0]]."""
    logits = torch.tensor([[[0.0, 0.0], [L3, -L3]]], dtype=torch.float64)
    target = torch.tensor([[[1, 0], [1, 0]]], dtype=torch.float64)
    return logits, target


def test_a_2x2_mask_worked_by_hand():
    # Dice: Σpg = 0.5 + 0.75 = 1.25, Σp = 2, Σg = 2 → 1 − (2.5 + ε) / (4 + ε) = 0.375 (ε = 1e-5)
    # BCE: −ln 0.5, −ln 0.5, −ln 0.75, −ln 0.75 → mean (ln 2 + ln 4/3) / 2 = ln(8/3) / 2 = 0.49041
    logits, target = example()
    dice = 1 - (2.5 + 1e-5) / (4 + 1e-5)
    bce = math.log(8 / 3) / 2
    assert dice_ce_loss(logits, target).item() == pytest.approx(dice + bce, abs=1e-9)
    assert dice + bce == pytest.approx(0.86541, abs=1e-4)


def test_unknown_pixels_count_in_neither_term():
    # pixel (0, 1) unknown: Σpg = 1.25, Σp = 1.5, Σg = 2 → Dice 1 − 2.5 / 3.5 = 0.285714;
    # BCE over the three known pixels: (ln 2 + 2 ln 4/3) / 3 = 0.422837
    logits, target = example()
    known = torch.tensor([[[True, False], [True, True]]])
    dice = 1 - (2.5 + 1e-5) / (3.5 + 1e-5)
    bce = (math.log(2) + 2 * math.log(4 / 3)) / 3
    assert dice_ce_loss(logits, target, known).item() == pytest.approx(dice + bce, abs=1e-9)
    assert dice + bce == pytest.approx(0.70855, abs=1e-4)
    # whatever the unknown pixel's logit, the loss and the gradient through it are unchanged / zero
    moved = logits.clone()
    moved[0, 0, 1] = 7.0
    moved.requires_grad_(True)
    loss = dice_ce_loss(moved, target, known)
    assert loss.item() == pytest.approx(dice + bce, abs=1e-9)
    loss.backward()
    assert moved.grad[0, 0, 1].item() == 0.0 and moved.grad[0, 0, 0].item() != 0.0


def test_dice_is_per_mask_and_averaged_and_a_perfect_mask_costs_almost_nothing():
    logits, target = example()
    perfect = torch.where(target > 0, 30.0, -30.0).to(torch.float64)
    assert dice_ce_loss(perfect, target).item() == pytest.approx(0.0, abs=1e-6)
    both = dice_ce_loss(torch.cat([logits, perfect]), torch.cat([target, target])).item()
    # Dice terms 0.375 and ≈0 average to 0.1875; the BCE is the mean over all eight pixels
    assert both == pytest.approx(0.375 / 2 + math.log(8 / 3) / 4, abs=1e-5)
