"""Pixel metrics of a binary segmentation against a reference (numpy only, no I/O).

The metrics come from the confusion counts of a predicted mask against a reference mask, optionally
restricted to a ``valid`` mask (pixels outside it are not counted at all):

================  ==========================  =====================================================
metric            formula                     value when the denominator is 0
================  ==========================  =====================================================
IoU               TP / (TP + FP + FN)         1.0 (both masks empty: they agree exactly)
Dice              2TP / (2TP + FP + FN)       1.0 (both masks empty)
pixel accuracy    (TP + TN) / all pixels      1.0 (no pixel to get wrong)
precision         TP / (TP + FP)              1.0 (nothing predicted: no false claim)
TPR (recall)      TP / (TP + FN)              1.0 (reference empty: nothing to miss)
FPR               FP / (FP + TN)              0.0 (reference all true: no negative to flag)
================  ==========================  =====================================================

One rule gives every value in the last column: when a denominator is 0 its numerator is 0 too, and the
metric takes its *best* value, because there was nothing it could get wrong. The other metrics still show
the error: an empty prediction over a non-empty reference has precision 1.0 but IoU, Dice and recall 0.0;
an all-true prediction over an all-true reference has FPR 0.0 and everything else 1.0. No metric ever
divides by zero, returns NaN or raises.

**FPR is FP / (FP + TN)**, the standard false positive rate: the share of the reference's *negative* pixels
that the prediction marks positive (the x axis of a ROC curve). The USTH study of SAM for remote-sensing
segmentation (see the README's References), whose IoU, Dice and pixel accuracy are the ones above, writes
FP / (FP + FN), which mixes the two kinds of error (it is 1.0 for a prediction whose only errors are false
positives, however few), so it is not a rate over any population of pixels and does not match the text beside
it ("the fraction of FP instances out of all negative instances"); we follow that text.

**Image accuracy**, as in SAM fine-tuning recipes (IoU > 0.5 counts an image as correct): the share of images
whose predicted mask has IoU > ``threshold`` with the reference mask.

**Overall figures** over several images are computed from the *summed* confusion counts (micro average), not
by averaging per-image metrics; ``mean_iou`` (the plain mean of the images' IoU) is reported beside them.
``ConfusionCounts`` add up, so a large raster is counted window by window. Object metrics (connected
components, hits) are in ``objects``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

#: As in SAM fine-tuning recipes: a prediction counts as correct when its IoU with the reference is greater
#: than this (an image for the accuracy, an object for the hit rate).
IOU_THRESHOLD = 0.5


def ratio(numerator: int, denominator: int, empty: float) -> float:
    """numerator / denominator, or ``empty`` (the metric's best value) when the denominator is 0."""
    return float(numerator) / float(denominator) if denominator else float(empty)


# -- pixel metrics -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConfusionCounts:
    """Pixel counts of a binary prediction against a binary reference. Counts add: ``a + b``."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __add__(self, other: ConfusionCounts) -> ConfusionCounts:
        if not isinstance(other, ConfusionCounts):
            return NotImplemented
        return ConfusionCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)

    @property
    def pixels(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def iou(self) -> float:
        return ratio(self.tp, self.tp + self.fp + self.fn, 1.0)

    @property
    def dice(self) -> float:
        return ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn, 1.0)

    @property
    def pixel_accuracy(self) -> float:
        return ratio(self.tp + self.tn, self.pixels, 1.0)

    @property
    def precision(self) -> float:
        return ratio(self.tp, self.tp + self.fp, 1.0)

    @property
    def tpr(self) -> float:
        """True positive rate, also called recall or sensitivity."""
        return ratio(self.tp, self.tp + self.fn, 1.0)

    recall = tpr

    @property
    def fpr(self) -> float:
        """False positive rate FP / (FP + TN), the standard form (not FP / (FP + FN), see the module)."""
        return ratio(self.fp, self.fp + self.tn, 0.0)

    def metrics(self) -> dict[str, float]:
        """Every pixel metric by name (plain floats, ready for JSON)."""
        return {
            "iou": self.iou,
            "dice": self.dice,
            "pixel_accuracy": self.pixel_accuracy,
            "precision": self.precision,
            "recall": self.tpr,
            "tpr": self.tpr,
            "fpr": self.fpr,
        }

    def to_dict(self) -> dict[str, int | float]:
        """Counts and metrics (plain ints and floats, ready for JSON)."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "pixels": self.pixels,
            **self.metrics(),
        }


def as_bool(mask) -> np.ndarray:
    """A mask as booleans (non-zero = true), without a copy when it already is one."""
    array = np.asarray(mask)
    if array.dtype != bool:
        array = array != 0
    return array


def confusion(pred, ref, valid=None) -> ConfusionCounts:
    """Confusion counts of two binary masks of the same shape (non-zero = positive).

    ``valid`` (same shape) restricts the counts to its true pixels; pixels outside it count nowhere.
    """
    pred, ref = as_bool(pred), as_bool(ref)
    if pred.shape != ref.shape:
        raise ValueError(f"masks differ in shape: {pred.shape} and {ref.shape}")
    if valid is not None:
        valid = as_bool(valid)
        if valid.shape != pred.shape:
            raise ValueError(f"valid mask has shape {valid.shape}, the masks {pred.shape}")
        pred, ref = pred[valid], ref[valid]
    total = pred.size
    tp = int(np.count_nonzero(pred & ref))
    n_pred = int(np.count_nonzero(pred))
    n_ref = int(np.count_nonzero(ref))
    fp, fn = n_pred - tp, n_ref - tp
    return ConfusionCounts(tp, fp, fn, int(total) - tp - fp - fn)


def iou(pred, ref, valid=None) -> float:
    return confusion(pred, ref, valid).iou


def dice(pred, ref, valid=None) -> float:
    return confusion(pred, ref, valid).dice


def pixel_accuracy(pred, ref, valid=None) -> float:
    return confusion(pred, ref, valid).pixel_accuracy


def precision(pred, ref, valid=None) -> float:
    return confusion(pred, ref, valid).precision


def tpr(pred, ref, valid=None) -> float:
    """True positive rate (recall)."""
    return confusion(pred, ref, valid).tpr


recall = tpr


def fpr(pred, ref, valid=None) -> float:
    """False positive rate FP / (FP + TN)."""
    return confusion(pred, ref, valid).fpr


def image_accuracy(ious: Iterable[float], threshold: float = IOU_THRESHOLD) -> float:
    """Image accuracy (as in SAM fine-tuning recipes): the share of images whose IoU is greater than
    ``threshold`` (1.0 for no images)."""
    values = np.asarray(list(ious), dtype=float)
    return ratio(int(np.count_nonzero(values > threshold)), values.size, 1.0)


def overall(counts: Sequence[ConfusionCounts], threshold: float = IOU_THRESHOLD) -> dict:
    """Figures over several images: metrics of the summed counts, the mean IoU and the image accuracy."""
    total = sum(counts, ConfusionCounts())
    ious = [c.iou for c in counts]
    return {
        "images": len(counts),
        **total.to_dict(),
        "mean_iou": float(np.mean(ious)) if ious else 1.0,
        "accuracy": image_accuracy(ious, threshold),
    }
