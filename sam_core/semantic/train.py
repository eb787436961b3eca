"""Training segmentation heads on a frozen SAM encoder (and the UNet baseline on the same patches).

Every patch is encoded once (``sam.array_encoder``): epochs then cost only the head. The loss is
cross-entropy over the labelled pixels (+ a soft multi-class Dice term with ``dice``); Adam; the same seed
and data give the same head bit for bit on the CPU (torch's generator is seeded before the head is built,
batches are drawn from a seeded numpy generator). The head kept is the epoch with the best validation mean
IoU. Test figures come from one confusion matrix over the test patches (``landcover.scores``: precision,
recall, F1 per class) plus per-class IoU, and per image the pixel accuracy, mean Dice and macro F1 (the
distributions the frozen-encoder study plots). The majority-class rule is scored beside them, the baseline a
head has to beat. A few test patches are kept with the head's prediction (``Examples``) for the report's
example grid.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import Cancelled, SamCoreError
from ..landcover.scores import confusion_matrix, scores
from ..sam.array_encoder import ArrayEncoder
from ..sam.embeddings import EmbeddingCache
from ..sam.model import LoadedModel
from .dataset import ClassPatch, ClassSet, cut_patches
from .head_file import SegmentationHead, new_segmentation_head
from .heads import KINDS


@dataclass(frozen=True)
class HeadOptions:
    head: str = "sam-conv"
    epochs: int = 25
    learning_rate: float = 1e-3
    batch_size: int = 4
    seed: int = 0
    dice: bool = False  # add a soft Dice term to the cross-entropy
    skip: bool = False  # feed the embedding heads a downsampled RGB copy at every stage

    def validate(self) -> None:
        if self.head not in KINDS:
            raise SamCoreError(f"unknown head {self.head!r}: one of {', '.join(KINDS)}")
        if self.epochs < 1 or self.batch_size < 1:
            raise SamCoreError("epochs and batch size must be at least 1")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise SamCoreError(f"the learning rate must be positive, not {self.learning_rate:g}")


EXAMPLES = 4  # test images whose first patch the run keeps to draw


@dataclass(frozen=True, eq=False)  # holds arrays
class Examples:
    """The first patch of each of the first ``EXAMPLES`` test images: RGB (n, P, P, 3) uint8, the truth
    (n, P, P) int16 with -1 where unlabelled (padding too) and the head's predicted classes (n, P, P) uint8."""

    rgb: np.ndarray
    truth: np.ndarray
    predicted: np.ndarray


@dataclass
class HeadRun:
    """One trained head: its weights, curves and test figures (``to_dict`` is plain JSON)."""

    options: HeadOptions
    state: dict[str, torch.Tensor]  # the head's weights at its best validation epoch
    head: SegmentationHead | None = None  # with ``state`` loaded (``train_head`` sets it)
    history: dict[str, list] = field(default_factory=dict)
    test: dict = field(default_factory=dict)
    per_image: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    epoch_seconds: list[float] = field(default_factory=list)
    encoder_calls: int = 0  # real encoder passes (0 when every patch came from the cache)
    encoder_seconds: float = 0.0
    examples: Examples | None = None  # drawn by the report, not in ``to_dict``

    def to_dict(self) -> dict:
        return {
            "head": self.options.head,
            "best_epoch": self.best_epoch,
            "epoch_seconds": [round(s, 4) for s in self.epoch_seconds],
            "encoder_calls": self.encoder_calls,
            "encoder_seconds": round(self.encoder_seconds, 4),
            "history": self.history,
            "test": self.test,
            "per_image": self.per_image,
        }


@dataclass(frozen=True, eq=False)
class Batchable:
    """The tensors of one split's patches, stacked once: embeddings (N, C, h, w), RGB (N, 3, P, P) in
    −0.5..0.5, targets (N, P, P) with -1 where unlabelled, and which patch came from which image."""

    embeddings: torch.Tensor
    rgb: torch.Tensor
    targets: torch.Tensor
    images: list[int]


def split_tensors(
    data: ClassSet,
    split: str,
    encoder: ArrayEncoder,
    patch_px: int,
    is_cancelled: Callable[[], bool] | None = None,
) -> Batchable:
    """Every patch of one split, encoded (each once) and stacked."""
    patches: list[ClassPatch] = []
    for index, image in enumerate(data.part(split)):
        patches.extend(cut_patches(image, index, patch_px))
    embeddings = [encoder.encode_array(p.rgb, p.inside, is_cancelled) for p in patches]
    rgb = torch.from_numpy(np.stack([p.rgb for p in patches])).permute(0, 3, 1, 2).float() / 255.0 - 0.5
    targets = torch.from_numpy(np.stack([np.where(p.known, p.classes, -1) for p in patches]))
    return Batchable(torch.cat(embeddings).cpu(), rgb, targets, [p.image for p in patches])


def head_loss(logits: torch.Tensor, targets: torch.Tensor, dice: bool) -> torch.Tensor:
    """Cross-entropy over labelled pixels (targets -1 are not), plus 1 − soft Dice averaged over classes."""
    labelled = targets >= 0
    if not labelled.any():
        return logits.sum() * 0.0
    loss = F.cross_entropy(logits, targets.clamp(min=0), reduction="none")[labelled].mean()
    if dice:
        probability = logits.softmax(dim=1) * labelled[:, None]
        one_hot = F.one_hot(targets.clamp(min=0), logits.shape[1]).permute(0, 3, 1, 2) * labelled[:, None]
        overlap = (probability * one_hot).sum(dim=(0, 2, 3))
        total = probability.sum(dim=(0, 2, 3)) + one_hot.sum(dim=(0, 2, 3))
        loss = loss + 1.0 - ((2 * overlap + 1e-5) / (total + 1e-5)).mean()
    return loss


def train_head(
    data: ClassSet,
    model: LoadedModel,
    options: HeadOptions | None = None,
    cache: EmbeddingCache | None = None,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> HeadRun:
    """Train one head on ``data``'s training split; keep the epoch best on validation; score the test split."""
    options = options or HeadOptions()
    options.validate()
    data.check()
    patch_px = model.img_size
    encoder = ArrayEncoder(model, "segmentation-patch", (patch_px,), cache)
    splits = {s: split_tensors(data, s, encoder, patch_px, is_cancelled) for s in ("train", "val", "test")}
    torch.manual_seed(options.seed)
    head = new_segmentation_head(
        model,
        options.head,
        data.class_names,
        data.colours,
        options.skip,
        data.gsd_m,
        data.stretch,
        data.bands,
    )
    run = fit(head.net, splits, len(data.class_names), options, progress, is_cancelled)
    run.encoder_calls, run.encoder_seconds = encoder.encoder_calls, encoder.seconds
    head.net.load_state_dict(run.state)
    run.head = head
    matrix, run.per_image = evaluate(head.net, splits["test"], len(data.class_names))
    run.test = segmentation_scores(matrix, data.class_names)
    run.examples = example_patches(head.net, splits["test"])
    return run


def fit(head, splits, n_classes, options, progress, is_cancelled) -> HeadRun:
    rng = np.random.default_rng(options.seed)
    optimiser = torch.optim.Adam(head.parameters(), lr=options.learning_rate)
    train = splits["train"]
    history: dict[str, list] = {"train_loss": [], "train_miou": [], "val_loss": [], "val_miou": []}
    best, best_state, best_epoch, seconds = -1.0, None, 0, []
    for epoch in range(options.epochs):
        start = time.perf_counter()
        head.train()
        losses, seen = [], np.zeros((n_classes, n_classes), np.int64)
        order = rng.permutation(len(train.images))
        for first in range(0, len(order), options.batch_size):
            if is_cancelled and is_cancelled():
                raise Cancelled()
            pick = torch.from_numpy(order[first : first + options.batch_size])
            logits = head(train.embeddings[pick], train.rgb[pick])
            loss = head_loss(logits, train.targets[pick], options.dice)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
            seen += labelled_confusion(logits.detach().argmax(dim=1), train.targets[pick], n_classes)
        val_loss, matrix = validation(head, splits["val"], n_classes, options.dice)
        miou = mean_iou(matrix)
        history["train_loss"].append(float(np.mean(losses)))
        history["train_miou"].append(mean_iou(seen))  # as the batches were predicted while learning
        history["val_loss"].append(val_loss)
        history["val_miou"].append(miou)
        if miou > best:
            best, best_state, best_epoch = miou, copy.deepcopy(head.state_dict()), epoch + 1
        seconds.append(time.perf_counter() - start)
        if progress:
            progress((epoch + 1) / options.epochs)
    return HeadRun(options, best_state, history=history, best_epoch=best_epoch, epoch_seconds=seconds)


@torch.no_grad()
def all_logits(head, batch: Batchable, chunk: int = 4) -> torch.Tensor:
    """(N, K, P, P) logits of every patch, ``chunk`` patches at a time, in eval mode."""
    head.eval()
    picks = [slice(first, first + chunk) for first in range(0, len(batch.images), chunk)]
    return torch.cat([head(batch.embeddings[picked], batch.rgb[picked]) for picked in picks])


def predict(head, batch: Batchable) -> torch.Tensor:
    """(N, P, P) class indexes of every patch."""
    return all_logits(head, batch).argmax(dim=1)


def example_patches(head, batch: Batchable, count: int = EXAMPLES) -> Examples:
    """The first patch of each of ``batch``'s first ``count`` images, with ``head``'s prediction (copies)."""
    rows = [batch.images.index(image) for image in sorted(set(batch.images))[:count]]
    picked = Batchable(
        batch.embeddings[rows], batch.rgb[rows], batch.targets[rows], [batch.images[k] for k in rows]
    )
    rgb = ((picked.rgb + 0.5) * 255).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1)
    return Examples(
        np.ascontiguousarray(rgb.numpy()),
        picked.targets.numpy().astype(np.int16),
        predict(head, picked).numpy().astype(np.uint8),
    )


def validation(head, batch: Batchable, n_classes: int, dice: bool) -> tuple[float, np.ndarray]:
    """Validation loss and confusion matrix."""
    logits = all_logits(head, batch)
    loss = float(head_loss(logits, batch.targets, dice))
    return loss, labelled_confusion(logits.argmax(dim=1), batch.targets, n_classes)


def labelled_confusion(predicted: torch.Tensor, targets: torch.Tensor, n_classes: int) -> np.ndarray:
    labelled = targets >= 0
    return confusion_matrix(targets[labelled].numpy(), predicted[labelled].numpy(), n_classes)


def class_iou(matrix: np.ndarray) -> np.ndarray:
    """IoU per class (NaN for a class neither present nor predicted)."""
    hits = np.diag(matrix).astype(float)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - hits
    return np.divide(hits, union, out=np.full_like(hits, np.nan), where=union > 0)


def mean_iou(matrix: np.ndarray) -> float:
    values = class_iou(matrix)
    return float(np.nanmean(values)) if np.isfinite(values).any() else 0.0


def segmentation_scores(matrix: np.ndarray, class_names) -> dict:
    """Accuracy, macro F1, mean IoU and a per-class table (IoU, precision, recall, F1, support)."""
    report = scores(matrix, class_names)
    for row, value in zip(report["classes"], class_iou(matrix)):
        row["iou"] = None if math.isnan(value) else float(value)
    report["mean_iou"] = mean_iou(matrix)
    return report


def evaluate(head, batch: Batchable, n_classes: int) -> tuple[np.ndarray, list[dict]]:
    """The test confusion matrix and, per image, pixel accuracy, mean Dice and macro F1."""
    predicted = predict(head, batch)
    total = np.zeros((n_classes, n_classes), np.int64)
    per_image = []
    for image in sorted(set(batch.images)):
        rows = [k for k, i in enumerate(batch.images) if i == image]
        matrix = labelled_confusion(predicted[rows], batch.targets[rows], n_classes)
        total += matrix
        per_image.append(image_scores(matrix))
    return total, per_image


def image_scores(matrix: np.ndarray) -> dict:
    hits = np.diag(matrix).astype(float)
    present = (matrix.sum(axis=0) + matrix.sum(axis=1)) > 0
    dice = 2 * hits[present] / (matrix.sum(axis=0) + matrix.sum(axis=1))[present]
    report = scores(matrix, range(len(matrix)))
    return {
        "accuracy": report["accuracy"],
        "dice": float(dice.mean()) if dice.size else 1.0,
        "f1": float(np.mean([c["f1"] for c, p in zip(report["classes"], present) if p]))
        if present.any()
        else 1.0,
    }


def majority_scores(data: ClassSet) -> dict:
    """The baseline: every test pixel gets the training set's most frequent class."""
    majority = int(np.argmax(data.pixel_counts("train")))
    n = len(data.class_names)
    matrix = np.zeros((n, n), np.int64)
    for image in data.part("test"):
        truth = image.classes[image.labelled]
        matrix += confusion_matrix(truth, np.full_like(truth, majority), n)
    return segmentation_scores(matrix, data.class_names)
