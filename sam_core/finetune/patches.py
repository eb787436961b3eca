"""The recipe's patches and the prompts trained on them.

Each image is resized to S × S (non-uniformly when it is not square: the recipe's way; pixels bilinear with
antialiasing, object ids and the known mask nearest, never blended into ids that do not exist), then cut into
``patch_px`` patches on a grid; the last row and column are padded with zeros that count as unknown.

A prompt is built per patch from its ground truth: ``box`` each object's box within the patch (clipped to it;
training adds a few pixels of seeded jitter, as a user's box is never exact), ``point`` one interior point per
object (the pixel farthest from the object's edge: deterministic, and never on the edge of a thin shape),
``patch`` the whole patch as the box with every object in it as the target. Coordinates are continuous patch
pixels, x then y (a pixel's centre is at +0.5), as ``predict.decode_logits`` takes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from .dataset import TuningImage

MODES = ("box", "point", "patch")


@dataclass(frozen=True, eq=False)  # holds arrays
class Patch:
    image: int  # index of the image in its list
    row: int
    col: int
    rgb: np.ndarray  # (P, P, 3) uint8, zeros beyond the resized image
    objects: np.ndarray  # (P, P) int32 object ids
    known: np.ndarray  # (P, P) bool: labelled and inside the resized image
    inside: np.ndarray  # (P, P) bool: inside the resized image (not padding)

    @property
    def ids(self) -> list[int]:
        return [int(i) for i in np.unique(self.objects[(self.objects > 0) & self.known])]


@dataclass(frozen=True, eq=False)
class Prompt:
    """One decoder prompt on one patch and the mask it should give."""

    patch: int  # index into the patch list
    box: np.ndarray | None  # (4,) x0, y0, x1, y1
    point: np.ndarray | None  # (2,) x, y
    target: np.ndarray  # (P, P) bool


def grid_cells(size: int, patch_px: int) -> int:
    """Patches per row (and column) of an S × S image."""
    return math.ceil(size / patch_px)


def resize(image: TuningImage, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rgb, objects, known) of ``image`` resized to ``size`` × ``size``."""
    rgb = np.asarray(Image.fromarray(image.rgb).resize((size, size), Image.BILINEAR))
    objects = np.asarray(Image.fromarray(image.objects.astype(np.int32)).resize((size, size), Image.NEAREST))
    known = np.ones((size, size), bool)
    if image.known is not None:
        known_img = Image.fromarray(image.known.astype(np.uint8))
        known = np.asarray(known_img.resize((size, size), Image.NEAREST)) > 0
    return rgb, objects.astype(np.int32), known


def cut_patches(image: TuningImage, index: int, size: int, patch_px: int) -> list[Patch]:
    """Every grid patch of ``image`` at ``size``, row by row."""
    rgb, objects, known = resize(image, size)
    n = grid_cells(size, patch_px)
    full = n * patch_px
    pad = ((0, full - size), (0, full - size))
    rgb = np.pad(rgb, (*pad, (0, 0)))
    objects, known = np.pad(objects, pad), np.pad(known, pad)
    inside = np.pad(np.ones((size, size), bool), pad)
    patches = []
    for r in range(n):
        for c in range(n):
            cut = np.s_[r * patch_px : (r + 1) * patch_px, c * patch_px : (c + 1) * patch_px]
            patches.append(
                Patch(index, r, c, np.ascontiguousarray(rgb[cut]), objects[cut], known[cut], inside[cut])
            )
    return patches


def object_box(mask: np.ndarray) -> np.ndarray:
    """The tight box around ``mask``'s pixels, continuous coordinates (x0, y0, x1, y1)."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], np.float32)


def interior_point(mask: np.ndarray) -> np.ndarray:
    """The centre of the pixel farthest from ``mask``'s edge (the first such pixel: deterministic)."""
    distance = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(distance)), mask.shape)
    return np.array([x + 0.5, y + 0.5], np.float32)


def patch_prompts(patch: Patch, index: int, mode: str, patch_px: int) -> list[Prompt]:
    """The ground truth's prompts on one patch, without jitter; a patch without objects gets none, except in
    ``patch`` mode (the whole patch is always a prompt there, so images without objects are scored)."""
    if mode == "patch":
        whole = np.array([0, 0, patch_px, patch_px], np.float32)
        return [Prompt(index, whole, None, (patch.objects > 0) & patch.known)]
    prompts = []
    for object_id in patch.ids:
        mask = patch.objects == object_id
        if mode == "box":
            prompts.append(Prompt(index, object_box(mask), None, mask))
        else:
            prompts.append(Prompt(index, None, interior_point(mask), mask))
    return prompts


def all_prompts(patches: list[Patch], mode: str, patch_px: int, training: bool) -> list[Prompt]:
    """Prompts of every patch; ``training`` drops the patches without any object (nothing to learn there)."""
    prompts = []
    for index, patch in enumerate(patches):
        if training and not patch.ids:
            continue
        prompts.extend(patch_prompts(patch, index, mode, patch_px))
    return prompts


def jitter_box(box: np.ndarray, rng: np.random.Generator, jitter_px: int, patch_px: int) -> np.ndarray:
    """``box`` with each side moved by up to ``jitter_px`` pixels, kept inside the patch and non-empty."""
    if jitter_px <= 0:
        return box
    moved = box + rng.integers(-jitter_px, jitter_px + 1, 4).astype(np.float32)
    moved[:2] = np.clip(moved[:2], 0, patch_px - 1)
    moved[2:] = np.clip(moved[2:], moved[:2] + 1, patch_px)
    return moved.astype(np.float32)
