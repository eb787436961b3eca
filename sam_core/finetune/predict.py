"""One patch's embedding plus prompts → mask logits, with SAM's own prompt encoder and mask decoder.

Training, the validation threshold sweep, the test report and detection all decode through ``decode_logits``,
so the decoder sees prompts the same way everywhere. Coordinates are patch pixels (continuous, x then y),
scaled to the model's input as ``prompting.decoder`` does (SAM's prompt encoder adds the half pixel back).
The mask decoder's own single-mask output is used (``multimask_output=False``): it is the output trained.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..sam.model import LoadedModel


def to_input_coords(coords: torch.Tensor, patch_px: int, img_size: int) -> torch.Tensor:
    """Patch pixel coordinates → the model input's, as SAM's prompt encoder expects them."""
    return coords * (img_size / patch_px) - 0.5


def decode_logits(
    model: LoadedModel,
    embedding: torch.Tensor,
    patch_px: int,
    boxes: torch.Tensor | None = None,
    points: torch.Tensor | None = None,
    point_labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mask logits (N, patch_px, patch_px) for N prompts on one patch.

    ``embedding`` (1, C, h, w); ``boxes`` (N, 4) x0, y0, x1, y1 and/or ``points`` (N, K, 2) with
    ``point_labels`` (N, K) (1 foreground, 0 background), in patch pixels. Gradients flow when the caller
    has them enabled (training); the caller chooses ``torch.no_grad`` otherwise.
    """
    sam, size = model.sam, model.img_size
    device = embedding.device
    point_arg = None
    if points is not None:
        coords = to_input_coords(points.to(device, torch.float32), patch_px, size)
        point_arg = (coords, point_labels.to(device, torch.int64))
    box_arg = None if boxes is None else to_input_coords(boxes.to(device, torch.float32), patch_px, size)
    sparse, dense = sam.prompt_encoder(points=point_arg, boxes=box_arg, masks=None)
    low_res, _ = sam.mask_decoder(
        image_embeddings=embedding,
        image_pe=sam.prompt_encoder.get_dense_pe(),
        sparse_prompt_embeddings=sparse,
        dense_prompt_embeddings=dense,
        multimask_output=False,
    )
    logits = low_res[:, 0]
    if logits.shape[-1] != patch_px:  # SAM's low-res masks are a quarter of its input: 256 px for 1024
        logits = F.interpolate(logits[:, None], (patch_px, patch_px), mode="bilinear", align_corners=False)[
            :, 0
        ]
    return logits
