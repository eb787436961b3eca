"""The segmentation head file: a trained head and everything needed to apply it to a raster.

A PyTorch file of tensors and one JSON string, loaded with ``torch.load(weights_only=True)`` (no pickled code
runs), like the classifier's head file: the head's kind and options, class names, colours and the codes the
training masks used, the patch size (the model input) and the ground size of a training pixel when the data
was georeferenced, and the encoder's identity (its checkpoint fingerprint): an embedding head used with
another encoder would read other features, so it is refused. A UNet needs no encoder but is refused alike,
so a head file always goes with the checkpoint it was trained beside.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..errors import SamCoreError
from ..io import write_bytes
from ..landcover.head import encoder_identity
from ..sam.model import LoadedModel, ModelInfo, load_weights_file
from .heads import build_head

FORMAT = "terrasam-segmentation-head"
VERSION = 1


@dataclass
class SegmentationHead:
    net: nn.Module
    kind: str
    skip: bool
    class_names: tuple[str, ...]
    colours: tuple[str, ...]
    encoder: dict  # encoder_identity()
    patch_px: int
    grid: int  # embedding cells a side
    gsd_m: float | None = None  # ground size of a training pixel (GIS form); None: image folder
    training: dict | None = None  # data summary and test figures
    #: the stretch training pixels were read with ((low, high) per band); None: 8-bit images as stored
    stretch: tuple[tuple[float, ...], tuple[float, ...]] | None = None
    bands: tuple[int, ...] | None = None  # raster bands read as RGB at training (GIS form)

    def check_encoder(self, info: ModelInfo) -> None:
        if info.fingerprint != self.encoder["fingerprint"]:
            raise SamCoreError(
                f"this head was trained with {self.encoder['name']}, not {info.name}: "
                "give the checkpoint it was trained with"
            )

    def meta(self) -> dict:
        return {
            "kind": self.kind,
            "skip": self.skip,
            "class_names": list(self.class_names),
            "colours": list(self.colours),
            "encoder": self.encoder,
            "patch_px": self.patch_px,
            "grid": self.grid,
            "gsd_m": self.gsd_m,
            "training": self.training,
            "stretch": [list(part) for part in self.stretch] if self.stretch else None,
            "bands": list(self.bands) if self.bands else None,
        }


def new_segmentation_head(
    model: LoadedModel,
    kind: str,
    class_names,
    colours,
    skip: bool = False,
    gsd_m: float | None = None,
    stretch=None,
    bands=None,
) -> SegmentationHead:
    """An untrained head of ``kind`` for ``model``'s embedding (seed torch before calling for a fixed init);
    ``gsd_m``, ``stretch`` and ``bands`` say how its training pixels were read (the GIS form's)."""
    _, channels, grid, _ = model.embedding_shape
    net = build_head(kind, len(class_names), channels, grid, model.img_size, skip)
    return SegmentationHead(
        net,
        kind,
        skip,
        tuple(class_names),
        tuple(colours),
        encoder_identity(model.info),
        model.img_size,
        grid,
        gsd_m,
        stretch=tuple(tuple(map(float, part)) for part in stretch) if stretch else None,
        bands=tuple(bands) if bands else None,
    )


def save_segmentation_head(head: SegmentationHead, path: str | os.PathLike) -> Path:
    buffer = io.BytesIO()
    state = {k: v.detach().cpu() for k, v in head.net.state_dict().items()}
    torch.save(
        {"format": FORMAT, "version": VERSION, "meta": json.dumps(head.meta()), "state": state}, buffer
    )
    return write_bytes(path, buffer.getvalue())


def load_segmentation_head(path: str | os.PathLike, model: LoadedModel | None = None) -> SegmentationHead:
    """Read a head file; with ``model``, refuse a head of another encoder."""
    path = Path(path)
    payload = load_weights_file(path, "head file", "a TerraSAM segmentation head")
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise SamCoreError(
            f"{path.name} is not a TerraSAM segmentation head (train one with train-segmenter)"
        )
    if not isinstance(payload.get("version"), int) or payload["version"] > VERSION:
        raise SamCoreError(f"head file {path.name} was written by a newer TerraSAM: update the plugin")
    try:
        meta = json.loads(payload["meta"])
        channels, grid = meta["encoder"]["channels"], int(meta["grid"])
        net = build_head(
            meta["kind"], len(meta["class_names"]), channels, grid, meta["patch_px"], meta["skip"]
        )
        net.load_state_dict(payload["state"], strict=True)
        head = SegmentationHead(
            net,
            meta["kind"],
            bool(meta["skip"]),
            tuple(meta["class_names"]),
            tuple(meta["colours"]),
            meta["encoder"],
            int(meta["patch_px"]),
            grid,
            meta.get("gsd_m"),
            meta.get("training"),
            tuple(tuple(map(float, part)) for part in meta["stretch"]) if meta.get("stretch") else None,
            tuple(meta["bands"]) if meta.get("bands") else None,
        )
    except (KeyError, TypeError, ValueError, RuntimeError, SamCoreError) as exc:
        raise SamCoreError(f"head file {path.name} is damaged or incomplete") from exc
    if model is not None:
        head.check_encoder(model.info)
    net.eval()
    return head
