"""The three heads: shapes at the input's resolution, the UNet ignores the embedding, the loss by hand,
patches cut with padding unlabelled."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sam_core.errors import SamCoreError
from sam_core.semantic.dataset import ClassImage, cut_patches
from sam_core.semantic.heads import KINDS, build_head, stages_for
from sam_core.semantic.train import head_loss


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("skip", [False, True])
def test_every_head_gives_logits_at_the_inputs_resolution(kind, skip):
    torch.manual_seed(0)
    head = build_head(kind, 4, 64, 16, 256, skip)
    embedding, rgb = torch.randn(2, 64, 16, 16), torch.rand(2, 3, 256, 256) - 0.5
    assert head(embedding, rgb).shape == (2, 4, 256, 256)


def test_the_unet_sees_pixels_only_and_the_embedding_heads_see_the_embedding():
    torch.manual_seed(0)
    rgb = torch.rand(1, 3, 64, 64)
    unet = build_head("unet", 3, 64, 4, 64).eval()
    assert torch.equal(unet(torch.randn(1, 64, 4, 4), rgb), unet(torch.randn(1, 64, 4, 4), rgb))
    conv = build_head("sam-conv", 3, 64, 4, 64).eval()
    assert not torch.equal(conv(torch.randn(1, 64, 4, 4), rgb), conv(torch.randn(1, 64, 4, 4), rgb))
    assert stages_for(64, 1024) == 4 and stages_for(16, 256) == 4 and stages_for(64, 64) == 1
    with pytest.raises(SamCoreError, match="unknown head"):
        build_head("fcn", 3, 64, 4, 64)


def test_cross_entropy_over_labelled_pixels_and_the_dice_term_by_hand():
    logits = torch.tensor([[[[2.0, 0.0]], [[0.0, 1.0]]]])  # (1, 2 classes, 1, 2 pixels)
    targets = torch.tensor([[[0, -1]]])  # the second pixel is unlabelled
    expected_ce = -np.log(np.exp(2) / (np.exp(2) + 1))
    assert float(head_loss(logits, targets, dice=False)) == pytest.approx(expected_ce, rel=1e-6)
    p0 = np.exp(2) / (np.exp(2) + 1)  # class 0's probability on the labelled pixel; class 1's is 1 - p0
    dice0 = (2 * p0 + 1e-5) / (p0 + 1 + 1e-5)
    dice1 = (0 + 1e-5) / ((1 - p0) + 0 + 1e-5)
    expected = expected_ce + 1 - (dice0 + dice1) / 2
    assert float(head_loss(logits, targets, dice=True)) == pytest.approx(expected, rel=1e-5)


def test_patches_cover_the_image_and_padding_is_unlabelled():
    rgb = np.arange(300 * 200 * 3, dtype=np.uint32).reshape(300, 200, 3).astype(np.uint8)
    classes = np.arange(300 * 200).reshape(300, 200) % 3
    patches = cut_patches(ClassImage("a", rgb, classes, "train"), 0, 128)
    assert [(p.row, p.col) for p in patches] == [(r, c) for r in range(3) for c in range(2)]
    last = patches[-1]
    assert last.known[:44, :72].all() and not last.known[44:].any() and not last.known[:, 72:].any()
    assert np.array_equal(last.classes[:44, :72], classes[256:, 128:])
    assert np.array_equal(last.rgb[:44, :72], rgb[256:, 128:])
