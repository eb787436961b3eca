"""Train a classifier head on a frozen SAM encoder (the frozen-encoder classifier of SAM transfer learning
for remote sensing, Albughdadi et al.), reproducibly, with a train/held-out split sweep.

1. The data set (EuroSAT layout) is scanned and every patch's pooled encoder feature computed once
   (``features``: packed by default), through the content-keyed feature cache.
2. For each training fraction (e.g. 0.2, 0.5, 0.8: the split sweep of that study), the patches are split per
   class with the seed (stratified: every class keeps at least one patch on each side), a head is trained on the cached
   features of the training part and scored on the held-out part: accuracy, per-class precision/recall/F1,
   confusion matrix, and the loss/accuracy curves per epoch.
3. The head trained on the largest fraction is the one returned to be saved.

Everything random (split, initial weights, batch order, dropout) comes from the seed, on torch's CPU
generator forked for the run, so the same seed and data give the same head, bit for bit.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import Cancelled, SamCoreError
from ..sam.embeddings import EmbeddingCache
from ..sam.model import LoadedModel
from .features import MODES, PACKED, Features, extract_features
from .head import DEFAULT_HIDDEN, KINDS, ClassifierHead, new_head
from .patches import PatchSet, open_patch_set
from .scores import confusion_matrix, scores

#: Share of the progress bar taken by feature extraction (training on cached features is quick).
FEATURE_SHARE = 0.9


@dataclass(frozen=True)
class TrainOptions:
    head: str = "linear"
    hidden: int = DEFAULT_HIDDEN
    mode: str = PACKED
    train_fractions: tuple[float, ...] = (0.8,)
    epochs: int = 50
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    seed: int = 0
    bands: tuple[int, ...] | None = None
    gsd_m: float | None = None  # ground size of a training pixel; default from the images, else 10 m

    def validate(self) -> None:
        if self.head not in KINDS:
            raise SamCoreError(f"unknown head {self.head!r}: use {' or '.join(KINDS)}")
        if self.mode not in MODES:
            raise SamCoreError(f"unknown feature mode {self.mode!r}: use {' or '.join(MODES)}")
        if not self.train_fractions:
            raise SamCoreError("give at least one training fraction")
        bad = [f for f in self.train_fractions if not 0.0 < f < 1.0]
        if bad:
            raise SamCoreError(f"a training fraction is between 0 and 1 (exclusive), not {bad[0]:g}")
        if self.epochs < 1 or self.batch_size < 1 or self.hidden < 1:
            raise SamCoreError("epochs, batch size and hidden width must be at least 1")
        if not self.learning_rate > 0:
            raise SamCoreError(f"the learning rate must be positive, not {self.learning_rate:g}")


@dataclass
class SplitRun:
    """One training fraction: its head and its held-out report (plain JSON)."""

    fraction: float
    head: ClassifierHead
    report: dict


@dataclass
class TrainResult:
    patches: PatchSet
    features: Features
    runs: list[SplitRun] = field(default_factory=list)

    @property
    def head(self) -> ClassifierHead:
        """The head trained on the largest fraction (the most data): the one to save."""
        return max(self.runs, key=lambda run: run.fraction).head

    def summary(self) -> dict:
        return {
            "data": str(self.patches.root),
            "classes": list(self.patches.class_names),
            "patches": len(self.patches),
            "patch_px": self.patches.patch_px,
            "gsd_m": self.patches.gsd_m,
            "feature_mode": self.head.feature_mode,
            "encoder_calls": self.features.encoder_calls,
            "features_from_cache": self.features.cached,
            "features_s": round(self.features.seconds, 3),
            "runs": [
                {
                    "train_fraction": run.fraction,
                    "n_train": run.report["n_train"],
                    "n_held_out": run.report["n_held_out"],
                    "accuracy": run.report["accuracy"],
                    "macro_f1": run.report["macro_f1"],
                }
                for run in self.runs
            ],
        }


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (training, held out): ``fraction`` of each class (at least one, at most all but one) trains."""
    rng = np.random.default_rng(seed)
    train, held = [], []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        members = members[rng.permutation(len(members))]
        n = min(max(1, round(fraction * len(members))), len(members) - 1)
        train.append(members[:n])
        held.append(members[n:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(held))


def train_classifier(
    data_dir: str | os.PathLike | PatchSet,
    model: LoadedModel,
    options: TrainOptions | None = None,
    cache: EmbeddingCache | None = None,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> TrainResult:
    """Features once (through ``cache``), then one head per training fraction. Nothing is written here."""
    options = options or TrainOptions()
    options.validate()
    # an opened PatchSet: the caller validated the data set before creating anything
    patches = data_dir
    if not isinstance(patches, PatchSet):
        patches = open_patch_set(data_dir, options.bands, options.gsd_m)

    def feature_progress(fraction: float) -> None:
        if progress:
            progress(FEATURE_SHARE * fraction)

    features = extract_features(patches, model, options.mode, cache, feature_progress, is_cancelled)
    result = TrainResult(patches, features)
    fractions = sorted(set(options.train_fractions))
    for k, fraction in enumerate(fractions):
        train_idx, held_idx = stratified_split(patches.labels, fraction, options.seed)
        head, history = fit_head(model, patches, features.values, train_idx, held_idx, options, is_cancelled)
        report = scores(
            confusion_matrix(
                patches.labels[held_idx],
                head.predict_proba(features.values[held_idx]).argmax(axis=1),
                len(patches.class_names),
            ),
            patches.class_names,
        )
        report = {
            "train_fraction": fraction,
            "n_train": int(train_idx.size),
            "n_held_out": int(held_idx.size),
            "head": options.head,
            "feature_mode": options.mode,
            "epochs": options.epochs,
            "seed": options.seed,
            **report,
            "history": history,
        }
        head.training.update(
            {
                "train_fraction": fraction,
                "n_train": report["n_train"],
                "n_held_out": report["n_held_out"],
                "accuracy": report["accuracy"],
                "macro_f1": report["macro_f1"],
                "epochs": options.epochs,
                "seed": options.seed,
                "data": patches.root.name,
                "patches": len(patches),
            }
        )
        result.runs.append(SplitRun(fraction, head, report))
        if progress:
            progress(FEATURE_SHARE + (1 - FEATURE_SHARE) * (k + 1) / len(fractions))
    return result


def fit_head(
    model: LoadedModel,
    patches: PatchSet,
    features: np.ndarray,
    train_idx: np.ndarray,
    held_idx: np.ndarray,
    options: TrainOptions,
    is_cancelled: Callable[[], bool] | None = None,
) -> tuple[ClassifierHead, dict]:
    """A new head trained on ``features[train_idx]`` (cross-entropy, Adam, mini-batches), and its curves."""
    x = torch.from_numpy(np.ascontiguousarray(features, np.float32))
    y = torch.from_numpy(np.asarray(patches.labels, np.int64))
    xt, yt, xh, yh = x[train_idx], y[train_idx], x[held_idx], y[held_idx]
    history: dict[str, list] = {
        k: [] for k in ("epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy")
    }
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(options.seed)
        head = new_head(
            model,
            patches.class_names,
            kind=options.head,
            hidden=options.hidden,
            input_gsd_m=patches.gsd_m,
            patch_px=patches.patch_px,
            feature_mode=options.mode,
            bands=patches.bands,
            bands_explicit=patches.bands_explicit,
            stretch=patches.stretch,
            source_dtype=patches.dtype,
        )
        net = head.net
        with torch.no_grad():
            net.mean.copy_(xt.mean(dim=0))
            net.std.copy_(xt.std(dim=0, unbiased=False).clamp_min(1e-6))
        optimiser = torch.optim.Adam(
            net.parameters(), lr=options.learning_rate, weight_decay=options.weight_decay
        )
        order = torch.Generator().manual_seed(options.seed)
        for epoch in range(1, options.epochs + 1):
            if is_cancelled and is_cancelled():
                raise Cancelled()
            net.train()
            for batch in torch.randperm(len(xt), generator=order).split(options.batch_size):
                optimiser.zero_grad()
                F.cross_entropy(net(xt[batch]), yt[batch]).backward()
                optimiser.step()
            net.eval()
            with torch.no_grad():
                for name, xs, ys in (("train", xt, yt), ("val", xh, yh)):
                    logits = net(xs)
                    history[f"{name}_loss"].append(_finite(F.cross_entropy(logits, ys).item()))
                    history[f"{name}_accuracy"].append(float((logits.argmax(dim=1) == ys).float().mean()))
            history["epoch"].append(epoch)
    return head, history


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise SamCoreError("training diverged (the loss is not finite): try a lower learning rate")
    return float(value)


def write_report(result: TrainResult, report_dir: str | os.PathLike) -> list[Path]:
    """Per fraction ``train_<percent>/metrics.json``, ``curves.png``, ``confusion.png``; ``summary.json`` and
    ``sweep.png`` beside them. Each file is written atomically."""
    from ..geo.output import write_json
    from ..io import make_folder
    from .plots import confusion_png, sweep_png, training_curves_png

    folder = make_folder(report_dir)
    written = []
    for run in result.runs:
        sub = make_folder(folder / f"train_{run.fraction * 100:g}")
        title = f"{run.report['head']} head, {run.fraction:.0%} of the patches for training"
        written.append(write_json(sub / "metrics.json", run.report))
        written.append(training_curves_png(sub / "curves.png", run.report["history"], title))
        written.append(
            confusion_png(
                sub / "confusion.png", run.report["confusion_matrix"], result.patches.class_names, title
            )
        )
    summary = result.summary()
    written.append(write_json(folder / "summary.json", summary))
    runs = summary["runs"]
    written.append(
        sweep_png(
            folder / "sweep.png",
            [r["train_fraction"] for r in runs],
            [r["accuracy"] for r in runs],
            [r["macro_f1"] for r in runs],
        )
    )
    return written
