"""Training chips cut from a raster: square chips anchored at the raster's origin, and a seeded split by blocks.

Both kinds of training data taken from a raster (objects for fine-tuning, ``finetune.labels``; classes for
segmentation heads, ``semantic.gis_form``) use this layout, so a raster is chipped and split the same way
whatever is learnt from it. Chip (row, col) covers raster rows [row·P, (row+1)·P) and columns
[col·P, (col+1)·P) and is named ``r<row>_c<col>``. Neighbouring chips look alike, so whole blocks of
``BLOCK_CHIPS`` × ``BLOCK_CHIPS`` chips go to one part, 70/15/15 by a seeded shuffle
(``image_folder.seeded_parts``). With fewer than 3 blocks, single chips are split instead. With a split
field, a chip takes the split of the features covering most of it (``majority_split``).
"""

from __future__ import annotations

import math

import numpy as np
from affine import Affine

from ..errors import SamCoreError
from .image_folder import SPLITS, seeded_parts

#: chips per side of a spatial block for the seeded split by area
BLOCK_CHIPS = 2


def chip_name(row: int, col: int) -> str:
    return f"r{row}_c{col}"


def chip_range(
    bounds: np.ndarray, transform: Affine, width: int, height: int, chip_px: int
) -> set[tuple[int, int]]:
    """(row, col) of the chips that boxes (x0, y0, x1, y1 in the raster's CRS) meet, within the raster."""
    inverse = ~transform
    rows, cols = math.ceil(height / chip_px), math.ceil(width / chip_px)
    found = set()
    for x0, y0, x1, y1 in np.asarray(bounds, float).reshape(-1, 4):
        corners = [inverse @ xy for xy in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
        us, vs = [c[0] for c in corners], [c[1] for c in corners]
        c0, c1 = max(0, math.floor(min(us) / chip_px)), min(cols - 1, math.floor(max(us) / chip_px))
        r0, r1 = max(0, math.floor(min(vs) / chip_px)), min(rows - 1, math.floor(max(vs) / chip_px))
        found.update((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
    return found


def block_splits(cells: list[tuple[int, int]], seed: int, required: bool = True) -> list[str]:
    """The split of each chip (row, col): its block's, or its own with fewer than 3 blocks. ``required``
    (no split field to fall back on): fewer than 3 units is an error."""
    blocks = {(row // BLOCK_CHIPS, col // BLOCK_CHIPS) for row, col in cells}
    if len(blocks) >= 3:
        units = [(row // BLOCK_CHIPS, col // BLOCK_CHIPS) for row, col in cells]
    else:  # too few blocks for three parts: chips are the units
        units = list(cells)
    order = sorted(set(units))
    if required and len(order) < 3:
        raise SamCoreError(
            f"the labelled area gives {len(cells)} chip(s): a train/val/test split by area needs at least 3; "
            "use a smaller chip size or give a split field"
        )
    unit_split = dict(zip(order, seeded_parts(len(order), seed)))
    return [unit_split[unit] for unit in units]


def split_values(values, ids: np.ndarray, field: str, name: str) -> dict[int, str]:
    """feature id → split from a split field's ``values`` (one per id); any other value is an error naming
    it (``name``: the layer's file)."""
    splits = {}
    for fid, value in zip(ids.tolist(), values):
        split = str(value).strip().lower() if value is not None else ""
        if split not in SPLITS:
            raise SamCoreError(
                f"field {field!r} of {name} holds {value!r} (feature {fid}): use train, val or test"
            )
        splits[fid] = split
    return splits


def majority_split(counts: dict, feature_split: dict[int, str]) -> str:
    """The split of the features holding most of a chip's labelled pixels (``counts``: feature id → pixels);
    ties go train, val, test in that order."""
    per = {split: 0 for split in SPLITS}
    for fid, n in counts.items():
        per[feature_split[int(fid)]] += int(n)
    return max(SPLITS, key=lambda s: (per[s], -SPLITS.index(s)))
