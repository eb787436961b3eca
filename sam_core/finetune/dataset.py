"""Labelled images for decoder fine-tuning: what the folder form and the GIS form both become.

An image is an RGB array, an object-id mask (0 = background, k > 0 = object k) and, where labelling is not
complete everywhere, a ``known`` mask: pixels outside it are neither object nor background, so they count in no
loss and no metric. Each image belongs to one split (train, val, test).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SamCoreError
from ..geo.image_folder import SPLITS


@dataclass(frozen=True, eq=False)  # holds arrays
class TuningImage:
    name: str  # file stem (folder form) or chip name ``r<row>_c<col>`` (GIS form)
    rgb: np.ndarray  # (H, W, 3) uint8
    objects: np.ndarray  # (H, W) int32: 0 background, k > 0 object k
    split: str  # one of SPLITS
    known: np.ndarray | None = None  # (H, W) bool; None: every pixel is labelled

    @property
    def n_objects(self) -> int:
        return int(np.unique(self.objects[self.objects > 0]).size)

    @property
    def target(self) -> np.ndarray:
        """Every object as one binary mask (the recipe's per-image ground truth)."""
        return self.objects > 0


@dataclass(frozen=True, eq=False)
class TuningSet:
    """A whole data set: its images with their splits, and where it came from."""

    source: str  # the folder, or the raster and the label layer
    form: str  # "folder" or "raster"
    images: tuple[TuningImage, ...]
    crs_wkt: str | None = None  # GIS form: the raster's CRS
    gsd_m: float | None = None  # GIS form: ground size of a raster pixel

    def part(self, split: str) -> list[TuningImage]:
        return [image for image in self.images if image.split == split]

    def check(self) -> None:
        """One readable error for a set the recipe cannot use: no objects at all, or a split left empty."""
        if not any(image.n_objects for image in self.images):
            raise SamCoreError(f"the training data {self.source} holds no labelled objects")
        for split in SPLITS:
            if not self.part(split):
                raise SamCoreError(f"the {split} part of the split is empty: give it at least one image")
        for name, split, why in (
            ("training", "train", "the decoder would have nothing to learn"),
            ("validation", "val", "the threshold could not be chosen"),
            ("test", "test", "there would be nothing to score"),
        ):
            if not any(image.n_objects for image in self.part(split)):
                raise SamCoreError(f"no {name} image holds an object: {why}")

    def summary(self) -> dict:
        """Images and objects per split (plain JSON)."""
        return {
            "source": self.source,
            "form": self.form,
            **{
                split: {
                    "images": len(self.part(split)),
                    "objects": sum(image.n_objects for image in self.part(split)),
                    "images_without_objects": sum(1 for image in self.part(split) if not image.n_objects),
                }
                for split in SPLITS
            },
        }
