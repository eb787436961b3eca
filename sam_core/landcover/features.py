"""Pooled features of the frozen SAM image encoder, for classifying patches and raster cells.

A patch's feature is the mean of the encoder's output cells (256 channels for the official models) that
cover it, weighted by how much of each cell is valid (nodata counts for nothing). Two ways to get there:

- **packed** (default): 16×16 patches of 64 px are laid side by side in one 1024 px encoder input, in an order
  fixed by their content digests (classes mixed), and each patch pools its own 4×4 cells. One encoder pass
  serves 256 patches, and every patch is seen at its own scale with neighbours around it, exactly as the cells
  of a raster tile are seen when a raster is classified: ``classify`` pools the same cells of the tile
  embeddings with the same ``pool_cells``.
- **per-patch** (the frozen-encoder transfer-learning recipe, Albughdadi et al.): each patch is enlarged to
  the encoder input on its own and its whole embedding is averaged. One encoder pass per patch; kept to
  compare. Its features describe a 16× enlarged patch, which a raster tile never shows the encoder, so a head
  trained on them cannot classify rasters.

Features are cached by content (``EmbeddingCache``, on disk when it has a folder): the key holds the model's
fingerprint, the mode, how pixels are made (bands, stretch, patch size) and the sha256 of every file in the
encoder input, so an unchanged data set is never encoded twice and an edited file is.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import Cancelled, SamCoreError
from ..sam.embeddings import EmbeddingCache, encode_input, prepare_image
from ..sam.model import LoadedModel
from .patches import PatchSet

PACKED, PER_PATCH = "packed", "per-patch"
MODES = (PACKED, PER_PATCH)


@dataclass(frozen=True)
class Features:
    values: np.ndarray  # (N, C) float32, in the patch set's order
    encoder_calls: int  # encoder passes run (cache misses)
    cached: int  # patches whose features came from the cache
    seconds: float


def encoder_cell_px(model: LoadedModel) -> int:
    """Input pixels per side of one encoder output cell (16 for every published SAM)."""
    return model.info.config.patch_size


def overlap_lengths(starts: np.ndarray, ends: np.ndarray, cell_starts: np.ndarray, cell_ends: np.ndarray):
    """(len(starts), len(cell_starts)) lengths of overlap between intervals and encoder cells (1-D)."""
    low = np.maximum(starts[:, None], cell_starts[None, :])
    high = np.minimum(ends[:, None], cell_ends[None, :])
    return np.clip(high - low, 0.0, None)


def pool_cells(
    embedding: torch.Tensor, weights_y: np.ndarray, weights_x: np.ndarray, valid: torch.Tensor
) -> tuple[np.ndarray, np.ndarray]:
    """Area-weighted sums of encoder cells over rectangles, separably.

    ``embedding`` (C, G, G); ``weights_y`` (R, G) and ``weights_x`` (Q, G) the overlap of each rectangle's rows
    and columns with the cells; ``valid`` (G, G) the valid fraction of each cell. Returns the weighted sums
    (R, Q, C) and the valid areas (R, Q); their ratio is each rectangle's feature.
    """
    wy = torch.as_tensor(weights_y, dtype=embedding.dtype, device=embedding.device)
    wx = torch.as_tensor(weights_x, dtype=embedding.dtype, device=embedding.device)
    valid = valid.to(device=embedding.device, dtype=embedding.dtype)
    sums = torch.einsum("rg,cgh,qh->rqc", wy, embedding * valid, wx)
    areas = torch.einsum("rg,gh,qh->rq", wy, valid, wx)
    return sums.cpu().numpy(), areas.cpu().numpy()


def cell_valid_fraction(valid: np.ndarray, grid: int) -> torch.Tensor:
    """(S, S) bool pixel mask → (grid, grid) valid fraction of each encoder cell."""
    mask = torch.from_numpy(np.ascontiguousarray(valid, dtype=np.float32))[None, None]
    return F.adaptive_avg_pool2d(mask, (grid, grid))[0, 0]


def extract_features(
    patches: PatchSet,
    model: LoadedModel,
    mode: str = PACKED,
    cache: EmbeddingCache | None = None,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> Features:
    """One pooled feature per patch; packs (or patches) already in ``cache`` are not encoded again."""
    if mode not in MODES:
        raise SamCoreError(f"unknown feature mode {mode!r}: use {' or '.join(MODES)}")
    cell, size, p = encoder_cell_px(model), model.img_size, patches.patch_px
    if p % cell or p > size:
        raise SamCoreError(
            f"patches of {p} px cannot be packed: the size must be a multiple of {cell} px and at most {size}"
        )
    start = time.perf_counter()
    if mode == PACKED:
        side = size // p
        order = sorted(range(len(patches)), key=lambda i: (patches.digests[i], i))
        groups = [order[i : i + side * side] for i in range(0, len(order), side * side)]
    else:
        groups = [[i] for i in range(len(patches))]
    values: np.ndarray | None = None
    calls = cached = 0
    for done, group in enumerate(groups):
        if is_cancelled and is_cancelled():
            raise Cancelled()
        key = _key(patches, model, mode, group)
        found = cache.get(key) if cache is not None else None
        if found is None:
            found = (
                _encode_packed(patches, model, group)
                if mode == PACKED
                else _encode_alone(patches, model, group)
            )
            calls += 1
            if cache is not None:
                cache.put(key, found)
        else:
            cached += len(group)
        if values is None:
            values = np.zeros((len(patches), found.shape[1]), np.float32)
        values[group] = found
        if progress:
            progress((done + 1) / len(groups))
    return Features(values, calls, cached, time.perf_counter() - start)


def _key(patches: PatchSet, model: LoadedModel, mode: str, group: list[int]) -> str:
    parts = [mode, model.info.fingerprint, str(model.img_size), patches.pixel_key, model.precision]
    parts.extend(patches.digests[i] for i in group)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _encode(model: LoadedModel, rgb: np.ndarray, valid: np.ndarray) -> torch.Tensor:
    with torch.inference_mode():
        x = prepare_image(model, rgb, valid)
    return encode_input(model, x)[0]


def _encode_packed(patches: PatchSet, model: LoadedModel, group: list[int]) -> np.ndarray:
    """Up to side² patches in one encoder input; each pools its own cells."""
    size, p = model.img_size, patches.patch_px
    side = size // p
    canvas = np.zeros((size, size, 3), np.uint8)
    valid = np.zeros((size, size), bool)
    for slot, index in enumerate(group):
        r, c = divmod(slot, side)
        rgb, mask = patches.read(index)
        canvas[r * p : (r + 1) * p, c * p : (c + 1) * p] = rgb
        valid[r * p : (r + 1) * p, c * p : (c + 1) * p] = mask
    embedding = _encode(model, canvas, valid)
    grid = embedding.shape[-1]
    cell = size / grid
    edges = np.arange(side + 1, dtype=float) * p
    cells = np.arange(grid + 1, dtype=float) * cell
    weights = overlap_lengths(edges[:-1], edges[1:], cells[:-1], cells[1:])
    sums, areas = pool_cells(embedding, weights, weights, cell_valid_fraction(valid, grid))
    pooled = sums / np.maximum(areas, 1e-12)[..., None]
    slots = [divmod(slot, side) for slot in range(len(group))]
    return np.stack([pooled[r, c] for r, c in slots]).astype(np.float32)


def _encode_alone(patches: PatchSet, model: LoadedModel, group: list[int]) -> np.ndarray:
    """The transfer-learning recipe: the patch enlarged to the encoder input, its whole embedding averaged."""
    (index,) = group
    rgb, mask = patches.read(index)
    embedding = _encode(model, rgb, mask)
    grid = embedding.shape[-1]
    ones = np.ones((1, grid))
    sums, areas = pool_cells(embedding, ones, ones, cell_valid_fraction(mask, grid))
    return (sums[0] / max(float(areas[0, 0]), 1e-12)).astype(np.float32)
