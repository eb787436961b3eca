"""The fused-attention encoder gives segment_anything's embeddings: relative positions included, in window
and global blocks, through the loader users use."""

from __future__ import annotations

import numpy as np
import torch

from sam_core.sam.embeddings import prepare_image, run_image_encoder
from sam_core.sam.fused_attention import use_fused_attention
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config


def test_the_fused_encoder_gives_the_eager_embeddings(tmp_path, one_torch_thread):
    save_random_checkpoint(tmp_path / "tiny.pth", tiny_config(img_size=256), seed=0)
    eager, fused = (load_model(tmp_path / "tiny.pth", "cpu") for _ in range(2))
    generator = torch.Generator().manual_seed(1)
    for model in (eager, fused):  # relative positions that matter (a checkpoint's are trained, not zero)
        for name, parameter in model.sam.image_encoder.named_parameters():
            if "rel_pos" in name:
                with torch.no_grad():
                    parameter.copy_(torch.randn(parameter.shape, generator=generator))
        generator.manual_seed(1)
    assert use_fused_attention(fused.sam.image_encoder) == 2  # a window block and a global block
    rgb = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    valid = np.ones((256, 256), bool)
    with torch.inference_mode():
        a = run_image_encoder(eager.sam.image_encoder, prepare_image(eager, rgb, valid))
        b = run_image_encoder(fused.sam.image_encoder, prepare_image(fused, rgb, valid))
    assert a.abs().max() > 0.1
    torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5)
    changed = a.clone()
    changed[0, 0, 0, 0] += 1e-3  # the comparison would see a difference
    assert not torch.allclose(b, changed, rtol=1e-4, atol=1e-5)
