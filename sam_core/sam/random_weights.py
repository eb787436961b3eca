"""SAMs with random, seeded weights, saved as ordinary checkpoint files.

Real checkpoints cannot be downloaded in tests or CI, so tests and benchmarks build models here and load
them back through ``model.load_model`` exactly as users' files are loaded. A random vit_b costs what the
pretrained one costs, which makes it the right stand-in for speed benchmarks. The masks it draws are
meaningless. ``make demo`` needs this module too: offline, with no checkpoint, it runs its pipeline on a
seeded random vit_b and labels every output with ``RANDOM_LABEL``.
"""

from __future__ import annotations

import os

import torch

from ..io import atomic_output
from .model import SamConfig, build_sam

#: what every output made with random weights says about itself
RANDOM_LABEL = "random weights — masks are meaningless"


def vit_b_config() -> SamConfig:
    """The official vit_b architecture."""
    return SamConfig(
        embed_dim=768,
        depth=12,
        num_heads=12,
        global_attn_indexes=(2, 5, 8, 11),
        window_size=14,
        patch_size=16,
        img_size=1024,
        mlp_ratio=4.0,
        prompt_embed_dim=256,
        mask_in_chans=16,
        decoder_depth=2,
        decoder_mlp_dim=2048,
        num_multimask_outputs=3,
        iou_head_depth=3,
        iou_head_hidden_dim=256,
    )


def tiny_config(img_size: int = 1024) -> SamConfig:
    """A few-hundred-kB encoder with the real decoder layout: fast enough for every test."""
    return SamConfig(
        embed_dim=32,
        depth=2,
        num_heads=2,
        global_attn_indexes=(1,),
        window_size=8,
        patch_size=16,
        img_size=img_size,
        mlp_ratio=2.0,
        prompt_embed_dim=64,
        mask_in_chans=8,
        decoder_depth=2,
        decoder_mlp_dim=128,
        num_multimask_outputs=3,
        iou_head_depth=3,
        iou_head_hidden_dim=64,
    )


def save_random_checkpoint(path: str | os.PathLike, config: SamConfig, seed: int = 0) -> None:
    """Build ``config`` with weights drawn from ``seed`` and save its state dict like an official file."""
    torch.manual_seed(seed)
    sam = build_sam(config)
    with torch.no_grad():
        for name, param in sam.named_parameters():
            if "rel_pos" in name or "pos_embed" in name:
                param.normal_(0.0, 0.02)  # zero-initialised in SAM; random keeps prompts position-sensitive
    with atomic_output(path) as tmp:
        torch.save(sam.state_dict(), tmp)
