"""Prompt → mask on an already encoded tile, with segment_anything's own prompt encoder and mask decoder.

Multimask rule (SAM's own advice): a single point is ambiguous, so three masks are predicted and the one
with the best predicted IoU is kept; with several points or a box, one mask is predicted, and always with a
fine-tuned decoder (its single-mask output is the one trained). Only the kept mask is made, and only its
bounding box is upsampled to the tile's pixels (``fast_masks``: the same mask, bit for bit). The decoder is
``fast_decoder``'s (segment_anything's computation in fewer operations), in the model's autocast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..sam.model import LoadedModel
from .fast_decoder import decode
from .fast_masks import full_mask
from .prompts import PixelPrompts


@dataclass(frozen=True)
class MaskPrediction:
    mask: np.ndarray  # (tile, tile) bool
    score: float  # the decoder's predicted IoU for the kept mask


def predict_mask(model: LoadedModel, embedding: torch.Tensor, prompts: PixelPrompts) -> MaskPrediction:
    sam, size, tile = model.sam, model.img_size, prompts.tile.size
    scale = size / tile
    # SAM's prompt encoder adds 0.5 ("pixel centre") to the coordinates it gets; continuous tile pixels
    # scaled to the model input, minus 0.5, land exactly where the user clicked.
    coords = labels = boxes = None
    if len(prompts.points):
        coords = torch.as_tensor(prompts.points * scale - 0.5, dtype=torch.float32, device=model.device)[None]
        labels = torch.as_tensor(prompts.labels, dtype=torch.int64, device=model.device)[None]
    if prompts.box is not None:
        boxes = torch.as_tensor(prompts.box * scale - 0.5, dtype=torch.float32, device=model.device)[None]
    multimask = prompts.box is None and len(prompts.points) == 1 and model.multimask
    tokens = [1, 2, 3] if multimask else [0]  # MaskDecoder's mask tokens: ambiguity masks, or the single one
    with torch.inference_mode():
        sparse, _ = sam.prompt_encoder(
            points=None if coords is None else (coords, labels), boxes=boxes, masks=None
        )
        with model.autocast():
            decoded = decode(sam, embedding, sparse)
            best = tokens[int(torch.argmax(decoded.iou[0, tokens]))]
            low_res = decoded.mask_logits([best])[0, 0]  # float32
    return MaskPrediction(full_mask(sam, low_res, (tile, tile)), float(decoded.iou[0, best]))
