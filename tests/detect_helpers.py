"""Checkpoints and rasters for detection and scale tests: a "tuned" checkpoint is a tiny random SAM with a
sidecar; a "constant" one has the mask decoder's hypernetwork output zeroed, so every mask logit is exactly
0 (probability 0.5 everywhere): real weights through the real decoder, with a known answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from bench.detect import constant_checkpoint  # noqa: F401 - re-exported for the tests
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config
from sam_core.sam.tuned import TunedInfo, write_sidecar

PIXEL = 2.0
ORIGIN = (500_000.0, 5_000_000.0)


def write_raster(path: Path, width: int, height: int, seed: int = 0, pixel: float = PIXEL) -> Path:
    """A 3-band uint8 GeoTIFF (EPSG:32633), every pixel valid, smooth random texture."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 255, size=(3, height // 16 + 2, width // 16 + 2)).astype(np.uint8)
    data = np.repeat(np.repeat(coarse, 16, axis=1), 16, axis=2)[:, :height, :width]
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 3,
        "dtype": "uint8",
        "crs": "EPSG:32633",
        "transform": Affine(pixel, 0, ORIGIN[0], 0, -pixel, ORIGIN[1]),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.ascontiguousarray(data))
    return path


def small_checkpoint(path: Path, seed: int = 0) -> Path:
    """A tiny SAM with a 256 px input: a 256 px patch is encoded without resizing (fast tests)."""
    save_random_checkpoint(path, tiny_config(img_size=256), seed=seed)
    return path


def tuned(
    checkpoint: Path,
    path: Path,
    threshold: float = 0.65,
    tile_px: int = 128,
    size: int = 512,
    patch_px: int = 256,
    accuracy: float = 0.62,
) -> Path:
    """A copy of ``checkpoint`` at ``path`` with a fine-tuning sidecar."""
    if Path(checkpoint) != Path(path):
        shutil.copyfile(checkpoint, path)
    info = TunedInfo(
        base_label="ViT-B",
        base_name="sam_vit_b_01ec64.pth",
        base_fingerprint="0" * 64,
        threshold=threshold,
        prompt="patch",
        size=size,
        patch_px=patch_px,
        tile_px=tile_px,
        sizes=[size],
        metrics={"accuracy": accuracy},
    )
    write_sidecar(path, info)
    return path
