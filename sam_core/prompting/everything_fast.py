"""Segment everything on one whole tile (no crops) with segment_anything's generator's rules but not its
work order: the same masks, scores and NMS, for far less computation.

``SamAutomaticMaskGenerator`` upsamples every mask of every point to the tile's pixels before its first
filter, then keeps each survivor as an RLE until its box NMS. Here, per batch of grid points:

1. the decoder (``fast_decoder``) gives every mask's predicted IoU before any mask exists, so the IoU filter
   runs first and the upscaling runs only for points with a mask that passes it;
2. stability (count of logits > t + 1 over count > t − 1 at full resolution) and the box are computed on the
   upsampled crop around the cells above t − 1, which holds every pixel either count sees (``fast_masks``);
3. a surviving mask is kept as the packed bits of its box.

Then the generator's own box NMS (``batched_nms``, its threshold and scores), and only the masks it keeps
are unpacked, in its order. In fp32 this gives the generator's masks bit for bit, up to the decoder's
rounding (~1e-6 on the logits).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from segment_anything.utils.amg import build_point_grid
from segment_anything.utils.transforms import ResizeLongestSide
from torchvision.ops.boxes import batched_nms

from ..sam.model import LoadedModel
from .fast_decoder import decode
from .fast_masks import PackedMask, mask_stats, upsample

#: SamAutomaticMaskGenerator's default ``stability_score_offset``
STABILITY_OFFSET = 1.0


@dataclass
class _Kept:
    """Masks that passed the per-batch filters, awaiting NMS."""

    iou: list[torch.Tensor] = field(default_factory=list)  # 0-d float32, the decoder's own values
    stability: list[float] = field(default_factory=list)
    masks: list[PackedMask] = field(default_factory=list)


class FastTileMasks:
    """``TileMaskGenerator``'s interface (``batches``, ``masks``) for ``crop_n_layers`` 0."""

    def __init__(
        self,
        model: LoadedModel,
        points_per_side: int,
        points_per_batch: int,
        pred_iou_thresh: float,
        stability_score_thresh: float,
        box_nms_thresh: float,
    ) -> None:
        self.model, self.points_per_batch = model, points_per_batch
        self.pred_iou_thresh, self.stability_score_thresh = pred_iou_thresh, stability_score_thresh
        self.box_nms_thresh = box_nms_thresh
        self.grid = build_point_grid(points_per_side)  # (n, 2) in [0, 1], SAM's own grid
        self.transform = ResizeLongestSide(model.img_size)
        #: decoder tokens whose masks the generator uses: the three ambiguity masks, or a fine-tuned
        #: decoder's single trained mask
        self.tokens = [1, 2, 3] if model.multimask else [0]

    def batches(self, shape: tuple[int, int]) -> int:
        return -(-len(self.grid) // self.points_per_batch)

    def masks(
        self, rgb: np.ndarray, embedding: torch.Tensor, after_batch: Callable[[], None] | None = None
    ) -> Iterator[tuple[np.ndarray, float, float]]:
        """(mask, predicted IoU, stability) of each mask the generator would return, in its order.
        ``after_batch()`` runs after each batch of points (it may raise ``Cancelled``)."""
        shape = rgb.shape[:2]
        points = self.grid * np.array(shape)[None, ::-1]
        kept = _Kept()
        for start in range(0, len(points), self.points_per_batch):
            self._batch(points[start : start + self.points_per_batch], shape, embedding, kept)
            if after_batch is not None:
                after_batch()
        if not kept.masks:
            return
        boxes = torch.tensor([m.box for m in kept.masks], dtype=torch.float32)
        scores = torch.stack(kept.iou)
        order = batched_nms(boxes, scores, torch.zeros(len(boxes)), iou_threshold=self.box_nms_thresh)
        for index in order.tolist():
            mask = kept.masks[index].unpack(shape)
            yield mask, float(scores[index]), kept.stability[index]

    def _batch(self, points: np.ndarray, shape: tuple[int, int], embedding, kept: _Kept) -> None:
        """One batch of grid points (tile pixels) through the decoder and the generator's filters."""
        sam, device = self.model.sam, self.model.device
        coords = torch.as_tensor(self.transform.apply_coords(points, shape), device=device)
        labels = torch.ones(len(points), dtype=torch.int, device=device)
        with torch.inference_mode():
            sparse, _ = sam.prompt_encoder(points=(coords[:, None], labels[:, None]), boxes=None, masks=None)
            with self.model.autocast():
                decoded = decode(sam, embedding, sparse)
                iou = decoded.iou[:, self.tokens]  # (B, masks per point)
                passed = iou > self.pred_iou_thresh
                if self.pred_iou_thresh <= 0:
                    passed = torch.ones_like(passed)
                rows = torch.nonzero(passed.any(dim=1)).flatten()
                if rows.numel() == 0:
                    return
                logits = decoded.mask_logits(self.tokens, rows)  # float32 (B', masks, h, w)
            threshold = float(sam.mask_threshold)
            for row, point in enumerate(rows.tolist()):
                for slot in torch.nonzero(passed[point]).flatten().tolist():
                    self._keep(logits[row, slot], iou[point, slot], shape, threshold, kept)

    def _keep(self, low: torch.Tensor, iou: torch.Tensor, shape, threshold: float, kept: _Kept) -> None:
        crop = upsample(self.model.sam, low, shape, threshold - STABILITY_OFFSET)
        stats = mask_stats(crop, threshold, STABILITY_OFFSET)
        # compared in float32, as the generator compares its float32 scores
        passes = np.float32(stats.stability) >= np.float32(self.stability_score_thresh)
        if self.stability_score_thresh > 0 and not passes:
            return
        kept.iou.append(iou)
        kept.stability.append(stats.stability)
        kept.masks.append(PackedMask.of(crop, stats, threshold))
