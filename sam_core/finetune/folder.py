"""The folder form of fine-tuning data: ``images/`` and ``masks/`` with the same file stems (+ ``split.csv``).

Files, splits and pixels are read as ``geo.image_folder`` reads them. A mask is non-zero where there is an
object: several distinct non-zero values are object ids; a single one (a binary mask) is split into connected
components (8-connectivity), one object each; a colour mask (RGB) has one object per colour. Ids are
renumbered 1..n per image.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from scipy import ndimage

from ..geo.image_folder import (
    folder_pairs,
    folder_splits,
    image_size_error,
    read_mask,
    read_rgb,
    seeded_parts,
)
from .dataset import TuningImage, TuningSet

__all__ = ["object_ids", "open_folder", "seeded_parts"]

_EIGHT = np.ones((3, 3), bool)


def open_folder(path: str | os.PathLike, seed: int = 0) -> TuningSet:
    """The images of ``path``/images with their masks of ``path``/masks, split by ``split.csv`` or by seed."""
    root = Path(path)
    stems, images, masks = folder_pairs(root)
    splits = folder_splits(root, stems, seed)
    tuning = TuningSet(
        source=str(root),
        form="folder",
        images=tuple(_image(root, images[stem], masks[stem], splits[stem]) for stem in stems),
    )
    tuning.check()
    return tuning


def _image(root: Path, image_path: Path, mask_path: Path, split: str) -> TuningImage:
    rgb, valid = read_rgb(image_path, root)
    mask = read_mask(mask_path, root)
    if mask.shape != rgb.shape[:2]:
        raise image_size_error(mask_path, image_path, mask.shape, rgb.shape)
    return TuningImage(
        name=image_path.stem,
        rgb=rgb,
        objects=object_ids(mask),
        split=split,
        known=None if valid.all() else valid,
    )


def object_ids(mask: np.ndarray) -> np.ndarray:
    """(H, W) int32 object ids 1..n: distinct non-zero values, or connected components of a binary mask."""
    values = np.unique(mask[mask != 0])
    if values.size == 1:
        labelled, _count = ndimage.label(mask != 0, structure=_EIGHT)
        return labelled.astype(np.int32)
    ids = np.zeros(mask.shape, np.int32)
    present = mask != 0
    ids[present] = np.searchsorted(values, mask[present]) + 1
    return ids
