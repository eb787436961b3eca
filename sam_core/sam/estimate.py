"""How long the image encoder will take per tile, said before the first tile is encoded.

A job that encodes hundreds of tiles should say so, with a duration, before it starts. Nothing has been
measured then, so the estimate is the encoder's arithmetic (multiply-adds of its linear and convolution
layers over the tile's tokens, plus attention) divided by this device's speed, measured with a short
matrix product and scaled by the share of that speed a ViT forward pass reaches (about a third, measured
for vit_b on the project's 2-core CPU: 13 s for about 0.9 TFLOP). Good to a factor of two, which is what a
user deciding whether to wait needs; once tiles are done, the measured rate takes over (``progress``).
"""

from __future__ import annotations

import math
import time

import torch

#: share of the measured matrix-product speed a ViT encoder forward pass reaches
ENCODER_EFFICIENCY = 0.35
CALIBRATION_SIZE = 512


def encoder_flops(encoder: torch.nn.Module) -> float:
    """Floating-point operations of one forward pass of a SAM ``ImageEncoderViT``."""
    patch = encoder.patch_embed.proj.kernel_size[0]
    side = encoder.img_size // patch
    tokens = side * side
    weights = sum(_weight(m).numel() for m in encoder.modules() if isinstance(m, WEIGHTED))
    flops = 2.0 * weights * tokens  # every linear and convolution weight meets every token once
    for block in getattr(encoder, "blocks", []):
        dim, window = block.attn.qkv.in_features, block.window_size
        if window > 0:
            padded = (math.ceil(side / window) * window) ** 2
            flops += 4.0 * padded * window * window * dim  # q·k and attention·v in each window
        else:
            flops += 4.0 * tokens * tokens * dim
    return flops


WEIGHTED = (torch.nn.Linear, torch.nn.Conv2d, torch.ao.nn.quantized.dynamic.Linear)


def _weight(module: torch.nn.Module) -> torch.Tensor:
    weight = module.weight
    return weight() if callable(weight) else weight  # an int8 Linear's weight is a method


def device_flops_per_s(device: torch.device) -> float:
    """Matrix-product speed of ``device``, measured in a few milliseconds."""
    n = CALIBRATION_SIZE
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    best = math.inf
    with torch.no_grad():
        for _ in range(3):
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            (a @ b).sum().item()
            best = min(best, time.perf_counter() - start)
    return 2.0 * n**3 / max(best, 1e-9)


def seconds_per_tile(model) -> float:
    """Estimated seconds for one encoder pass of ``model`` (a ``LoadedModel``) on its device."""
    device = torch.device(model.device)
    fp32 = encoder_flops(model.sam.image_encoder) / (ENCODER_EFFICIENCY * device_flops_per_s(device))
    choice = model.choice  # a fast path measured its speed-up when auto chose it
    return fp32 / (choice.speedup if choice is not None and choice.speedup else 1.0)
