"""A fine-tuned checkpoint's sidecar: what TerraSAM knows about a tuned decoder beyond its tensors.

The tuned ``.pth`` stays a plain SAM state dict (it loads in ``segment_anything``'s builders and in any SAM
tool); the extras live beside it in ``<name>.pth.json``: the probability threshold picked on validation, the
prompt mode it was trained with, the base checkpoint it came from, the scale it learned (``tile_px``: source
pixels per training patch) and its test figures. ``load_model`` reads the sidecar when there is one, sets SAM's
logit threshold from it and makes every path cut tiles of ``tile_px`` (objects seen at the learned scale).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import SamCoreError
from ..io import write_text

SIDECAR_SUFFIX = ".json"
FORMAT = "terrasam-tuned-decoder/1"
PROMPTS = ("box", "point", "patch")


def probability_to_logit(probability: float) -> float:
    """SAM thresholds mask *logits*; a probability threshold p is the logit log(p / (1 - p))."""
    p = float(probability)
    if not 0.0 < p < 1.0:
        raise SamCoreError(f"a probability threshold is between 0 and 1 (exclusive), not {p:g}")
    return math.log(p / (1.0 - p))


@dataclass(frozen=True)
class TunedInfo:
    """The sidecar's content (plain JSON types only)."""

    base_label: str  # the base architecture as people name it ("ViT-B")
    base_name: str  # the base checkpoint's file name
    base_fingerprint: str  # ``fingerprint_file`` of the base checkpoint
    threshold: float  # probability threshold picked on validation
    prompt: str  # box | point | patch: how the decoder was trained
    size: int  # the resize size of the saved model (the recipe's 512/1024/2048)
    patch_px: int  # training patch side, pixels of the resized image (256)
    tile_px: int  # source pixels per training patch: every path cuts tiles of this size
    sizes: list = field(default_factory=list)  # the sizes swept
    data: dict = field(default_factory=dict)  # data summary: images and objects per split, form, source
    metrics: dict = field(default_factory=dict)  # test figures of the saved size (accuracy, mean_iou, …)
    base_metrics: dict = field(default_factory=dict)  # the base model's figures on the same test set

    @property
    def logit_threshold(self) -> float:
        return probability_to_logit(self.threshold)

    def describe(self) -> str:
        """ "fine-tuned from ViT-B, threshold 0.65, test accuracy 62 %" (the dock and the CLI show it)."""
        text = f"fine-tuned from {self.base_label}, threshold {self.threshold:.2f}"
        accuracy = self.metrics.get("accuracy")
        if isinstance(accuracy, (int, float)):
            text += f", test accuracy {accuracy * 100:.0f} %"
        return text

    def to_dict(self) -> dict:
        return {"format": FORMAT, **asdict(self)}


def sidecar_path(checkpoint: str | os.PathLike) -> Path:
    """``tuned.pth`` → ``tuned.pth.json``."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.name + SIDECAR_SUFFIX)


def write_sidecar(checkpoint: str | os.PathLike, info: TunedInfo) -> Path:
    path = sidecar_path(checkpoint)
    write_text(path, json.dumps(info.to_dict(), indent=2, allow_nan=False) + "\n")
    return path


def read_sidecar(checkpoint: str | os.PathLike) -> TunedInfo | None:
    """The sidecar beside ``checkpoint``, or None when there is none; a damaged one is a readable error
    (silently ignoring it would segment at the wrong scale and threshold)."""
    path = sidecar_path(checkpoint)
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.pop("format", None) != FORMAT:
            raise ValueError("unknown format")
        info = TunedInfo(**raw)
        if info.prompt not in PROMPTS or info.tile_px < 16 or info.patch_px < 16:
            raise ValueError("bad values")
        info.logit_threshold  # noqa: B018 - validates the threshold
    except (OSError, ValueError, TypeError, SamCoreError) as exc:
        raise SamCoreError(
            f"the fine-tuning sidecar {path.name} is damaged ({exc}); delete it to use the weights as a plain SAM"
        ) from exc
    return info
