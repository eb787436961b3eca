"""Pixel-level segmentation heads: two on SAM's frozen image embedding, and a UNet baseline on the pixels.

The frozen-encoder transfer study (the README's References [1], case study 2) compares

- **SAM-CONV**: a convolutional decoder on the (C, 64, 64) embedding — a few conv + ×2 upsample stages up to
  the model input's resolution — optionally fed a downsampled copy of the RGB input at every stage (``skip``),
  which gives back the sharp edges the 16 px encoder cells blur;
- **SAM-ViT**: a transformer head — a few self-attention blocks over the embedding's tokens, with a learned
  position embedding, then the same upsampling stages;
- **UNet** trained from scratch on the RGB patches: the baseline that sees no SAM at all.

The UNet is a small one of our own (four levels, two 3×3 convolutions each, group norm, transposed-conv
upsampling: Ronneberger et al.'s layout). segmentation-models-pytorch's ``Unet`` with no pretrained weights
would be the same network; it brings timm and its model zoo as dependencies for forty lines, and would need
``encoder_weights=None`` everywhere so that nothing is downloaded. All heads return logits (N, K, H, W) at
the input's resolution; the embedding heads take ``(embedding, rgb)`` and the UNet ``rgb`` only, so one
training loop serves all three (``forward(embedding, rgb)``).
"""

from __future__ import annotations

from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import SamCoreError

KINDS = ("sam-conv", "sam-vit", "unet")
#: channels of the upsampling stages of the embedding heads, from the embedding's side
STAGE_CHANNELS = (128, 64, 32, 16)


def _groups(channels: int) -> int:
    """Group norm, not batch norm: patches come a few at a time, and train and eval then behave alike."""
    return next(g for g in (8, 4, 2, 1) if channels % g == 0)


def _conv_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.GroupNorm(_groups(c_out), c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.GroupNorm(_groups(c_out), c_out),
        nn.ReLU(inplace=True),
    )


class _Upsampler(nn.Module):
    """(N, C, h, w) features → (N, K, H, W) logits by ×2 bilinear stages of conv blocks; with ``skip`` each
    stage also sees the RGB input resized to its grid."""

    def __init__(self, c_in: int, n_classes: int, stages: int, skip: bool) -> None:
        super().__init__()
        self.skip = skip
        channels = [STAGE_CHANNELS[min(k, len(STAGE_CHANNELS) - 1)] for k in range(stages)]
        self.entry = _conv_block(c_in, channels[0])
        blocks, previous = [], channels[0]
        for c in channels:
            blocks.append(_conv_block(previous + (3 if skip else 0), c))
            previous = c
        self.blocks = nn.ModuleList(blocks)
        self.out = nn.Conv2d(previous, n_classes, 1)

    def forward(self, x: torch.Tensor, rgb: torch.Tensor | None, size: tuple[int, int]) -> torch.Tensor:
        x = self.entry(x)
        for block in self.blocks:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            if self.skip:
                x = torch.cat([x, F.interpolate(rgb, x.shape[-2:], mode="area")], dim=1)
            x = block(x)
        logits = self.out(x)
        if logits.shape[-2:] != size:
            logits = F.interpolate(logits, size, mode="bilinear", align_corners=False)
        return logits


def stages_for(grid: int, size: int) -> int:
    """×2 stages from an embedding grid to (at most) the input size: 4 for 64 → 1024 (16 px cells)."""
    stages = 0
    while grid * 2 ** (stages + 1) <= size:
        stages += 1
    return max(1, stages)


class SamConvHead(nn.Module):
    """SAM-CONV: conv + upsample stages on the embedding."""

    def __init__(self, embed_dim: int, n_classes: int, grid: int, size: int, skip: bool = False) -> None:
        super().__init__()
        self.decoder = _Upsampler(embed_dim, n_classes, stages_for(grid, size), skip)

    def forward(self, embedding: torch.Tensor, rgb: torch.Tensor) -> torch.Tensor:
        return self.decoder(embedding, rgb, tuple(rgb.shape[-2:]))


class SamViTHead(nn.Module):
    """SAM-ViT: self-attention blocks over the embedding's tokens (projected to ``width``), then upsampling."""

    def __init__(
        self,
        embed_dim: int,
        n_classes: int,
        grid: int,
        size: int,
        width: int = 128,
        depth: int = 2,
        heads: int = 4,
        skip: bool = False,
    ) -> None:
        super().__init__()
        self.project = nn.Conv2d(embed_dim, width, 1)
        self.position = nn.Parameter(torch.zeros(1, grid * grid, width))
        nn.init.trunc_normal_(self.position, std=0.02)
        layer = nn.TransformerEncoderLayer(
            width, heads, dim_feedforward=2 * width, dropout=0.0, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.decoder = _Upsampler(width, n_classes, stages_for(grid, size), skip)

    def forward(self, embedding: torch.Tensor, rgb: torch.Tensor) -> torch.Tensor:
        x = self.project(embedding)
        n, c, h, w = x.shape
        tokens = self.blocks(x.flatten(2).transpose(1, 2) + self.position)
        x = tokens.transpose(1, 2).reshape(n, c, h, w)
        return self.decoder(x, rgb, tuple(rgb.shape[-2:]))


class UNet(nn.Module):
    """A small UNet from scratch on the RGB input (the embedding is ignored): ``base`` channels at the top,
    doubling at each of ``levels`` poolings."""

    def __init__(self, n_classes: int, base: int = 16, levels: int = 4) -> None:
        super().__init__()
        widths = [base * 2**k for k in range(levels + 1)]
        self.down = nn.ModuleList([_conv_block(3, widths[0])])
        self.down.extend(_conv_block(a, b) for a, b in pairwise(widths))
        self.up = nn.ModuleList(nn.ConvTranspose2d(b, a, 2, stride=2) for a, b in pairwise(widths))
        self.merge = nn.ModuleList(_conv_block(2 * a, a) for a in widths[:-1])
        self.out = nn.Conv2d(widths[0], n_classes, 1)

    def forward(self, embedding: torch.Tensor | None, rgb: torch.Tensor) -> torch.Tensor:
        size = rgb.shape[-2:]
        multiple = 2 ** (len(self.down) - 1)
        pad_h, pad_w = (-size[0]) % multiple, (-size[1]) % multiple
        x = F.pad(rgb, (0, pad_w, 0, pad_h))
        skips = []
        for k, block in enumerate(self.down):
            x = block(x if k == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        for k in reversed(range(len(self.up))):
            x = self.merge[k](torch.cat([self.up[k](x), skips[k]], dim=1))
        return self.out(x)[..., : size[0], : size[1]]


def build_head(
    kind: str, n_classes: int, embed_dim: int, grid: int, size: int, skip: bool = False
) -> nn.Module:
    """A new head of ``kind`` (see ``KINDS``) for ``n_classes`` on an (embed_dim, grid, grid) embedding of
    ``size`` px inputs."""
    if kind == "sam-conv":
        return SamConvHead(embed_dim, n_classes, grid, size, skip)
    if kind == "sam-vit":
        return SamViTHead(embed_dim, n_classes, grid, size, skip=skip)
    if kind == "unet":
        return UNet(n_classes)
    raise SamCoreError(f"unknown head {kind!r}: one of {', '.join(KINDS)}")
