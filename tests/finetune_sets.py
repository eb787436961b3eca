"""TuningSets built straight from generated images (``finetune_data``), without the folder or GIS loaders.

``tuning_set(train=…, val=…, test=…)`` gives each split its own seed, so the test images are never seen in
training; ``shapes`` restricts the generated shapes (rings, L-shapes and thin rotated rectangles are the ones
whose box is a poor mask).
"""

from __future__ import annotations

from pathlib import Path

import finetune_data
import numpy as np

from sam_core.finetune.dataset import TuningImage, TuningSet


def _pairs(n: int, size: int, seed: int, objects, empty: int, shapes):
    if not shapes:
        return finetune_data.generate_set(n, size, seed, objects, empty)
    saved = finetune_data.SHAPES
    finetune_data.SHAPES = tuple(shapes)  # generate_image draws its kind from the module's tuple
    try:
        return finetune_data.generate_set(n, size, seed, objects, empty)
    finally:
        finetune_data.SHAPES = saved


def tuning_set(
    train: int = 6,
    val: int = 2,
    test: int = 2,
    size: int = 256,
    seed: int = 0,
    objects=(1, 3),
    empty_test: int = 0,
    empty_val: int = 0,
    shapes=None,
    known: bool = False,
) -> TuningSet:
    """Generated images in three splits (seeds ``seed``, ``seed + 1``, ``seed + 2``); ``known`` marks the
    left quarter of every image unlabelled."""
    images = []
    for k, (split, n, empty) in enumerate(
        (("train", train, 0), ("val", val, empty_val), ("test", test, empty_test))
    ):
        for i, (rgb, ids) in enumerate(_pairs(n, size, seed + k, objects, empty, shapes)):
            mask = None
            if known:
                mask = np.ones(ids.shape, bool)
                mask[:, : ids.shape[1] // 4] = False
            images.append(TuningImage(f"{split}_{i:03d}", rgb, ids.astype(np.int32), split, mask))
    return TuningSet("generated", "folder", tuple(images))


def small_checkpoint(folder) -> Path:
    """The tiny random-weight SAM at a 512 px input (a quarter of the decoder's work at 1024, where the
    decoder steps are a fine-tuning test's whole cost), saved as a checkpoint file."""
    from sam_core.sam.random_weights import save_random_checkpoint, tiny_config

    path = Path(folder) / "tiny_sam_512.pth"
    if not path.exists():
        save_random_checkpoint(path, tiny_config(img_size=512), seed=0)
    return path
