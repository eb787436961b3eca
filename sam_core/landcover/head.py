"""Classifier heads on pooled SAM encoder features, and the head file.

A head is a linear layer or a small MLP (one hidden layer) on standardised features. The head file is a
PyTorch file holding only tensors and plain strings, loaded with ``torch.load(weights_only=True)``; everything
needed to apply the head to a raster travels with it: class names and their colours, the band choice and
stretch the training images were read with, the ground resolution and patch size of the training patches,
the feature mode, and the identity of the encoder (the checkpoint's fingerprint). Features of another
encoder mean something else, so a head used with another checkpoint is refused.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import SamCoreError
from ..geo.raster import Stretch
from ..io import write_bytes
from ..sam.model import LoadedModel, ModelInfo, load_weights_file

HEAD_FORMAT = "terrasam-classifier-head"
HEAD_VERSION = 1
KINDS = ("linear", "mlp")
DEFAULT_HIDDEN = 256
DROPOUT = 0.1

#: Fixed colours for EuroSAT's classes (so every EuroSAT head draws alike); other names take PALETTE in order.
EUROSAT_COLOURS = {
    "AnnualCrop": "#e6b422",
    "Forest": "#1b5e20",
    "HerbaceousVegetation": "#8bc34a",
    "Highway": "#616161",
    "Industrial": "#8e24aa",
    "Pasture": "#d4e157",
    "PermanentCrop": "#fb8c00",
    "Residential": "#e53935",
    "River": "#29b6f6",
    "SeaLake": "#0d47a1",
}
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d",
)  # fmt: skip


def class_colours(names) -> tuple[str, ...]:
    """One fixed colour per class: EuroSAT's own, else the palette in order (repeating past its end)."""
    taken = {EUROSAT_COLOURS[n] for n in names if n in EUROSAT_COLOURS}
    free = [c for c in PALETTE if c not in taken] or list(PALETTE)
    colours, k = [], 0
    for name in names:
        if name in EUROSAT_COLOURS:
            colours.append(EUROSAT_COLOURS[name])
        else:
            colours.append(free[k % len(free)])
            k += 1
    return tuple(colours)


class HeadNet(nn.Module):
    """Standardise, then linear or Linear-ReLU-Dropout-Linear."""

    def __init__(
        self, in_dim: int, n_classes: int, kind: str = "linear", hidden: int = DEFAULT_HIDDEN
    ) -> None:
        super().__init__()
        if kind not in KINDS:
            raise SamCoreError(f"unknown head {kind!r}: use {' or '.join(KINDS)}")
        self.kind, self.hidden = kind, int(hidden)
        self.register_buffer("mean", torch.zeros(in_dim))
        self.register_buffer("std", torch.ones(in_dim))
        if kind == "linear":
            self.layers = nn.Sequential(nn.Linear(in_dim, n_classes))
        else:
            self.layers = nn.Sequential(
                nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(DROPOUT), nn.Linear(hidden, n_classes)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers((x - self.mean) / self.std)


def encoder_identity(info: ModelInfo) -> dict:
    """What identifies the encoder a head's features came from (the fingerprint decides)."""
    config = info.config
    return {
        "fingerprint": info.fingerprint,
        "name": info.name,
        "arch": config.arch,
        "img_size": config.img_size,
        "channels": config.prompt_embed_dim,
    }


@dataclass
class ClassifierHead:
    net: HeadNet
    class_names: tuple[str, ...]
    colours: tuple[str, ...]
    encoder: dict  # encoder_identity()
    bands: tuple[int, ...] | None  # bands read from multi-band training images; None: RGB images
    bands_explicit: bool  # chosen by the user (else the default RGB choice)
    stretch: Stretch  # applied to the training images (0–255 identity for RGB images)
    source_dtype: str  # sample type of the training images
    input_gsd_m: float  # ground size of a training pixel
    patch_px: int  # training patch size; the default classification cell is this many pixels
    feature_mode: str
    training: dict = field(default_factory=dict)  # seed, epochs, split, accuracy... (informative)

    @property
    def kind(self) -> str:
        return self.net.kind

    @property
    def n_features(self) -> int:
        return int(self.net.mean.shape[0])

    def describe(self) -> str:
        accuracy = self.training.get("accuracy")
        scored = f", held-out accuracy {accuracy:.1%}" if isinstance(accuracy, float) else ""
        return (
            f"{len(self.class_names)} classes, {self.kind} head, {self.input_gsd_m:g} m pixels, "
            f"cells of {self.patch_px} px{scored}"
        )

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """(N, C) features → (N, classes) probabilities."""
        if features.shape[0] == 0:
            return np.zeros((0, len(self.class_names)), np.float32)
        self.net.eval()
        with torch.inference_mode():
            logits = self.net(torch.as_tensor(np.asarray(features, np.float32)))
            return torch.softmax(logits, dim=1).numpy()

    def check_encoder(self, info: ModelInfo) -> None:
        """A head only makes sense on features of the encoder it was trained with."""
        if info.fingerprint != self.encoder.get("fingerprint"):
            raise SamCoreError(
                f"this head was trained on features of another encoder ({self.encoder.get('name')}); "
                f"{info.name} is a different checkpoint. Use the checkpoint the head was trained with, "
                "or train a head for this one"
            )

    def metadata(self) -> dict:
        return {
            "class_names": list(self.class_names),
            "colours": list(self.colours),
            "encoder": dict(self.encoder),
            "bands": None if self.bands is None else list(self.bands),
            "bands_explicit": self.bands_explicit,
            "stretch": {"low": list(self.stretch.low), "high": list(self.stretch.high)},
            "source_dtype": self.source_dtype,
            "input_gsd_m": self.input_gsd_m,
            "patch_px": self.patch_px,
            "feature_mode": self.feature_mode,
            "head": {"kind": self.kind, "hidden": self.net.hidden, "features": self.n_features},
            "training": self.training,
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the head file atomically (temporary file, then rename)."""
        path = Path(path)
        payload = {
            "format": HEAD_FORMAT,
            "version": HEAD_VERSION,
            "meta": json.dumps(self.metadata()),
            "state": {k: v.detach().cpu().clone() for k, v in self.net.state_dict().items()},
        }
        buffer = io.BytesIO()  # torch's own file writer reports a full disk as a RuntimeError
        torch.save(payload, buffer)
        return write_bytes(path, buffer.getvalue())


def new_head(
    encoder: LoadedModel | ModelInfo | dict,
    class_names,
    *,
    kind: str = "linear",
    hidden: int = DEFAULT_HIDDEN,
    input_gsd_m: float = 10.0,
    patch_px: int = 64,
    feature_mode: str = "packed",
    bands: tuple[int, ...] | None = None,
    bands_explicit: bool = False,
    stretch: Stretch | None = None,
    source_dtype: str = "uint8",
    training: dict | None = None,
) -> ClassifierHead:
    """A head with freshly initialised weights (seed torch's RNG first for reproducible ones) for the
    features of ``encoder`` (a model, its info, or an ``encoder_identity`` dict)."""
    if isinstance(encoder, dict):
        identity = dict(encoder)
    else:
        identity = encoder_identity(encoder.info if isinstance(encoder, LoadedModel) else encoder)
    names = tuple(str(n) for n in class_names)
    if len(names) < 2 or len(set(names)) != len(names):
        raise SamCoreError("a head needs at least two distinct class names")
    return ClassifierHead(
        net=HeadNet(identity["channels"], len(names), kind, hidden),
        class_names=names,
        colours=class_colours(names),
        encoder=identity,
        bands=None if bands is None else tuple(int(b) for b in bands),
        bands_explicit=bool(bands_explicit),
        stretch=stretch or Stretch((0.0, 0.0, 0.0), (255.0, 255.0, 255.0)),
        source_dtype=source_dtype,
        input_gsd_m=float(input_gsd_m),
        patch_px=int(patch_px),
        feature_mode=feature_mode,
        training=dict(training or {}),
    )


def load_head(path: str | os.PathLike, model: LoadedModel | ModelInfo | None = None) -> ClassifierHead:
    """Read a head file (no pickled code runs); with ``model``, refuse a head of another encoder."""
    path = Path(path)
    payload = load_weights_file(path, "head file", "a TerraSAM head file")
    if not isinstance(payload, dict) or payload.get("format") != HEAD_FORMAT:
        raise SamCoreError(
            f"{path.name} is not a TerraSAM classifier head (train one with train-classifier; "
            "a SAM checkpoint goes to --checkpoint)"
        )
    if not isinstance(payload.get("version"), int) or payload["version"] > HEAD_VERSION:
        raise SamCoreError(f"head file {path.name} was written by a newer TerraSAM: update the plugin")
    try:
        meta = json.loads(payload["meta"])
        spec = meta["head"]
        head = new_head(
            meta["encoder"],
            meta["class_names"],
            kind=spec["kind"],
            hidden=spec["hidden"],
            input_gsd_m=meta["input_gsd_m"],
            patch_px=meta["patch_px"],
            feature_mode=meta["feature_mode"],
            bands=meta["bands"],
            bands_explicit=meta["bands_explicit"],
            stretch=Stretch(tuple(meta["stretch"]["low"]), tuple(meta["stretch"]["high"])),
            source_dtype=meta["source_dtype"],
            training=meta.get("training"),
        )
        head.colours = tuple(meta["colours"])
        head.net.load_state_dict(payload["state"], strict=True)
    except SamCoreError as exc:
        raise SamCoreError(f"head file {path.name} is damaged: {exc}") from exc
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise SamCoreError(f"head file {path.name} is damaged or incomplete") from exc
    if len(head.colours) != len(head.class_names):
        raise SamCoreError(f"head file {path.name} is damaged: one colour per class expected")
    if model is not None:
        head.check_encoder(model.info if isinstance(model, LoadedModel) else model)
    return head
