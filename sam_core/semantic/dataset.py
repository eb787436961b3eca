"""Class-labelled images for segmentation heads: what the folder form and the GIS form both become.

An image is an RGB array, a class map (class index 0..K-1 per pixel) and, where labelling is not complete
everywhere, a ``known`` mask: pixels outside it count in no loss and no metric. Each image belongs to one
split (train, val, test). Images are cut into square patches of the head's input size (``cut_patches``),
padding unknown, so one patch is one encoder pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import SamCoreError
from ..geo.image_folder import SPLITS


@dataclass(frozen=True, eq=False)  # holds arrays
class ClassImage:
    name: str
    rgb: np.ndarray  # (H, W, 3) uint8
    classes: np.ndarray  # (H, W) int64 class indexes
    split: str  # one of SPLITS
    known: np.ndarray | None = None  # (H, W) bool; None: every pixel is labelled

    @property
    def labelled(self) -> np.ndarray:
        return np.ones(self.classes.shape, bool) if self.known is None else self.known


@dataclass(frozen=True)
class ClassSet:
    """A whole data set: class names (index order), images with their splits, and where it came from."""

    source: str
    form: str  # "folder" or "raster"
    class_names: tuple[str, ...]
    images: tuple[ClassImage, ...]
    colours: tuple[str, ...] = ()  # "#rrggbb" per class; empty: the palette's
    gsd_m: float | None = None  # ground size of a pixel (GIS form); None: an image folder
    #: the raster's stretch the pixels were read with ((low, high) per band, GIS form); None: 8-bit as stored
    stretch: tuple[tuple[float, ...], tuple[float, ...]] | None = None
    bands: tuple[int, ...] | None = None  # the raster bands read as RGB (GIS form)

    def part(self, split: str) -> list[ClassImage]:
        return [image for image in self.images if image.split == split]

    def check(self) -> None:
        """One readable error for a set no head can learn from."""
        if len(self.class_names) < 2:
            raise SamCoreError(f"the training data {self.source} has fewer than two classes")
        for split in SPLITS:
            if not self.part(split):
                raise SamCoreError(f"the {split} part of the split is empty: give it at least one image")
        counts = self.pixel_counts("train")
        if (counts > 0).sum() < 2:
            raise SamCoreError(
                "the training images hold fewer than two classes: there is nothing to tell apart"
            )

    def pixel_counts(self, split: str) -> np.ndarray:
        """Labelled pixels per class in one split."""
        counts = np.zeros(len(self.class_names), np.int64)
        for image in self.part(split):
            counts += np.bincount(image.classes[image.labelled], minlength=len(self.class_names))
        return counts

    def summary(self) -> dict:
        return {
            "source": self.source,
            "form": self.form,
            "classes": list(self.class_names),
            **{
                split: {"images": len(self.part(split)), "pixels": self.pixel_counts(split).tolist()}
                for split in SPLITS
            },
        }


@dataclass(frozen=True, eq=False)
class ClassPatch:
    """One square patch of an image: pixels, class indexes and which pixels are labelled (padding is not)."""

    image: int  # index of the image in its split's list
    row: int
    col: int
    rgb: np.ndarray  # (P, P, 3) uint8, zeros past the image
    classes: np.ndarray  # (P, P) int64
    known: np.ndarray  # (P, P) bool: labelled and inside the image
    inside: np.ndarray  # (P, P) bool: inside the image


def cut_patches(image: ClassImage, index: int, patch_px: int) -> list[ClassPatch]:
    """``image`` cut into a grid of ``patch_px`` patches from its top-left corner (the last ones padded)."""
    height, width = image.classes.shape
    patches = []
    for row in range(math.ceil(height / patch_px)):
        for col in range(math.ceil(width / patch_px)):
            y, x = row * patch_px, col * patch_px
            h, w = min(patch_px, height - y), min(patch_px, width - x)
            rgb = np.zeros((patch_px, patch_px, 3), np.uint8)
            classes = np.zeros((patch_px, patch_px), np.int64)
            known = np.zeros((patch_px, patch_px), bool)
            inside = np.zeros((patch_px, patch_px), bool)
            rgb[:h, :w] = image.rgb[y : y + h, x : x + w]
            classes[:h, :w] = image.classes[y : y + h, x : x + w]
            known[:h, :w] = image.labelled[y : y + h, x : x + w]
            inside[:h, :w] = True
            patches.append(ClassPatch(index, row, col, rgb, classes, known, inside))
    return patches
