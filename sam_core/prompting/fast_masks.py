"""Low-resolution mask logits → SAM's full-resolution masks, stability scores and boxes, upsampling only
the part of the mask that can be in it.

SAM's ``postprocess_masks`` upsamples the decoder's 256² logits bilinearly (``align_corners=False``) to the
model's input, crops it to the input size and resizes it to the tile. When the tile *is* the model's input
(1024 px tiles), the last two steps are the identity and the first has an integer factor (4), so a crop of
the low-resolution logits upsamples to exactly the same values as the same crop of the whole upsampled
image (the same sample positions and weights), but for the two pixels at each end of the crop that the
crop's edge clamps. One margin cell around the cells that can exceed the threshold makes those pixels, and
every pixel outside the crop, interpolate only cells below it: they are False in SAM's mask too. So
thresholding the upsampled crop gives SAM's mask bit for bit, at a fraction of the cost. Any other tile size
goes through ``postprocess_masks`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from segment_anything.modeling import Sam
from torch import Tensor

#: cells around the bounding box of those that can exceed the threshold (one is enough, see above)
MARGIN = 1


@dataclass(frozen=True)
class LogitCrop:
    """Full-resolution logits of one mask over rows ``row:row+h`` and columns ``col:col+w`` of the tile:
    SAM's values wherever they can exceed ``floor``; every pixel outside the crop is ≤ ``floor``."""

    logits: Tensor  # (h, w) float32
    row: int
    col: int
    floor: float


@dataclass(frozen=True)
class MaskStats:
    """What SAM's generator computes from a mask's full-resolution logits."""

    stability: float  # count(logits > t + offset) / count(logits > t - offset), NaN for an empty union
    box: tuple[int, int, int, int]  # (x0, y0, x1, y1) inclusive pixel box of logits > t, zeros if empty
    area: int  # pixels > t


def upsample(sam: Sam, low: Tensor, shape: tuple[int, int], floor: float) -> LogitCrop | None:
    """The part of ``low`` (h, w) logits' full-resolution upsampling to a ``shape`` tile's mask that can
    exceed ``floor``; None when no pixel can."""
    size = sam.image_encoder.img_size
    low = low.float()
    if tuple(shape) != (size, size) or size % low.shape[-1]:
        full = sam.postprocess_masks(low[None, None], (size, size), tuple(shape))[0, 0]
        return LogitCrop(full, 0, 0, floor) if bool((full > floor).any()) else None
    factor = size // low.shape[-1]
    # a cell a little above the floor counts too: a convex combination of cells all below floor - slack
    # cannot round above floor
    slack = 1e-3 * max(1.0, abs(floor))
    rows, cols = _span(low > floor - slack, dim=1), _span(low > floor - slack, dim=0)
    if rows is None or cols is None:
        return None
    (r0, r1), (c0, c1) = rows, cols
    crop = low[r0:r1, c0:c1][None, None]
    up = F.interpolate(crop, ((r1 - r0) * factor, (c1 - c0) * factor), mode="bilinear", align_corners=False)
    return LogitCrop(up[0, 0], r0 * factor, c0 * factor, floor)


def _span(on: Tensor, dim: int) -> tuple[int, int] | None:
    """[first, last + 1) of the rows (dim 1) or columns (dim 0) of ``on`` with any True, plus the margin."""
    hits = torch.nonzero(on.any(dim=dim)).flatten()
    if hits.numel() == 0:
        return None
    size = on.shape[1 - dim]
    return max(int(hits[0]) - MARGIN, 0), min(int(hits[-1]) + 1 + MARGIN, size)


def full_mask(sam: Sam, low: Tensor, shape: tuple[int, int]) -> np.ndarray:
    """SAM's bool mask of a ``shape`` tile: ``postprocess_masks(low) > mask_threshold``, exactly."""
    threshold = float(sam.mask_threshold)
    mask = np.zeros(shape, bool)
    crop = upsample(sam, low, shape, threshold)
    if crop is not None:
        paste(mask, crop, threshold)
    return mask


def paste(mask: np.ndarray, crop: LogitCrop, threshold: float) -> None:
    """Set ``mask`` where the crop's logits exceed ``threshold`` (≥ the crop's floor)."""
    h, w = crop.logits.shape
    mask[crop.row : crop.row + h, crop.col : crop.col + w] = (crop.logits > threshold).cpu().numpy()


def mask_stats(crop: LogitCrop | None, threshold: float, offset: float) -> MaskStats:
    """``calculate_stability_score`` and ``batched_mask_to_box`` of SAM's generator, from a crop whose floor
    is ``threshold - offset``."""
    if crop is None:
        return MaskStats(float("nan"), (0, 0, 0, 0), 0)
    inter = torch.count_nonzero(crop.logits > threshold + offset)
    union = torch.count_nonzero(crop.logits > threshold - offset)
    on = crop.logits > threshold
    area = int(torch.count_nonzero(on))
    stability = float((inter.to(torch.int32) / union.to(torch.int32)).item())
    if area == 0:
        return MaskStats(stability, (0, 0, 0, 0), 0)
    ys, xs = torch.nonzero(on.any(dim=1)).flatten(), torch.nonzero(on.any(dim=0)).flatten()
    box = (crop.col + int(xs[0]), crop.row + int(ys[0]), crop.col + int(xs[-1]), crop.row + int(ys[-1]))
    return MaskStats(stability, box, area)


@dataclass(frozen=True)
class PackedMask:
    """A mask kept as its box's bits until it is needed whole (segment everything holds hundreds)."""

    bits: np.ndarray  # np.packbits of the box's pixels
    box: tuple[int, int, int, int]  # inclusive (x0, y0, x1, y1); all zero for an empty mask
    area: int

    @classmethod
    def of(cls, crop: LogitCrop | None, stats: MaskStats, threshold: float) -> PackedMask:
        if crop is None or stats.area == 0:
            return cls(np.zeros(0, np.uint8), (0, 0, 0, 0), 0)
        x0, y0, x1, y1 = stats.box
        window = crop.logits[y0 - crop.row : y1 + 1 - crop.row, x0 - crop.col : x1 + 1 - crop.col]
        return cls(np.packbits((window > threshold).cpu().numpy()), stats.box, stats.area)

    def unpack(self, shape: tuple[int, int]) -> np.ndarray:
        mask = np.zeros(shape, bool)
        if self.area:
            x0, y0, x1, y1 = self.box
            shape = (y1 + 1 - y0, x1 + 1 - x0)
            mask[y0 : y1 + 1, x0 : x1 + 1] = np.unpackbits(self.bits, count=shape[0] * shape[1]).reshape(
                shape
            )
        return mask
