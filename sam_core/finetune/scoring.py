"""Whole-image predictions of a decoder, as the recipe makes them, and their figures.

An image is resized to S, cut into patches, each patch decoded with the ground truth's prompts (no jitter:
the prompts a careful user gives), the patch logits stitched back (the union over objects is the maximum
logit), cropped to S and resized to the image's own size. A patch without a prompt is background
(``EMPTY_LOGIT``) and is not even encoded. The same function serves the validation curves, the threshold
sweep, the test figures and the base model's figures, so they differ only in the decoder.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from segment_anything.modeling import Sam

from ..sam.model import LoadedModel
from .dataset import TuningImage
from .embed import PatchEncoder
from .patches import Patch, Prompt, cut_patches, grid_cells, jitter_box, patch_prompts
from .predict import decode_logits

EMPTY_LOGIT = -30.0  # sigmoid ≈ 1e-13: background, finite so resizing never makes NaN


def with_decoder(model: LoadedModel, state: dict[str, torch.Tensor] | None = None) -> LoadedModel:
    """A model sharing ``model``'s encoders with its own copy of the mask decoder (``state`` loaded into it
    when given): training and scoring a tuned decoder never touch the base model."""
    sam = model.sam
    decoder = copy.deepcopy(sam.mask_decoder)
    if state is not None:
        decoder.load_state_dict(state, strict=True)
    view = Sam(
        image_encoder=sam.image_encoder,
        prompt_encoder=sam.prompt_encoder,
        mask_decoder=decoder,
        pixel_mean=sam.pixel_mean.flatten().tolist(),
        pixel_std=sam.pixel_std.flatten().tolist(),
    ).to(model.device)
    view.eval()
    return LoadedModel(view, model.info, model.device)


def prompt_tensors(
    prompts: list[Prompt],
    patch_px: int,
    rng: np.random.Generator | None = None,
    jitter_px: int = 0,
) -> dict[str, torch.Tensor]:
    """``decode_logits`` keyword arguments for prompts of one kind (boxes jittered when ``rng`` is given)."""
    if prompts[0].box is not None:
        boxes = [p.box if rng is None else jitter_box(p.box, rng, jitter_px, patch_px) for p in prompts]
        return {"boxes": torch.from_numpy(np.stack(boxes))}
    points = torch.from_numpy(np.stack([p.point for p in prompts]))[:, None, :]
    return {"points": points, "point_labels": torch.ones(points.shape[:2], dtype=torch.int64)}


def decode_prompts(
    model: LoadedModel,
    embedding: torch.Tensor,
    prompts: list[Prompt],
    patch_px: int,
    rng: np.random.Generator | None = None,
    jitter_px: int = 0,
) -> torch.Tensor:
    """(N, P, P) logits of N prompts on one patch."""
    return decode_logits(model, embedding, patch_px, **prompt_tensors(prompts, patch_px, rng, jitter_px))


@dataclass(frozen=True, eq=False)
class ImagePatches:
    """One image cut at one size, with its ground-truth prompts per patch (computed once per run)."""

    image: TuningImage
    size: int
    patches: list[Patch]
    prompts: list[list[Prompt]]


def cut_image(image: TuningImage, index: int, size: int, patch_px: int, mode: str) -> ImagePatches:
    patches = cut_patches(image, index, size, patch_px)
    prompts = [patch_prompts(p, k, mode, patch_px) for k, p in enumerate(patches)]
    return ImagePatches(image, size, patches, prompts)


def encode_image(
    encoder: PatchEncoder, cut: ImagePatches, is_cancelled: Callable[[], bool] | None = None
) -> float:
    """Encode every prompted patch of ``cut`` (a cache hit costs nothing); the seconds it took."""
    start = time.perf_counter()
    for patch, prompts in zip(cut.patches, cut.prompts):
        if prompts:
            encoder.encode(patch, is_cancelled)
    return time.perf_counter() - start


@torch.no_grad()
def image_logits(
    model: LoadedModel,
    encoder: PatchEncoder,
    cut: ImagePatches,
    patch_px: int,
    is_cancelled: Callable[[], bool] | None = None,
) -> np.ndarray:
    """(H, W) float32 logits of the whole image at its own size."""
    n = grid_cells(cut.size, patch_px)
    canvas = torch.full((n * patch_px, n * patch_px), EMPTY_LOGIT)
    for patch, prompts in zip(cut.patches, cut.prompts):
        if not prompts:
            continue
        embedding = encoder.encode(patch, is_cancelled)
        logits = decode_prompts(model, embedding, prompts, patch_px).amax(dim=0).float().cpu()
        rows = slice(patch.row * patch_px, (patch.row + 1) * patch_px)
        cols = slice(patch.col * patch_px, (patch.col + 1) * patch_px)
        canvas[rows, cols] = logits
    canvas = canvas[: cut.size, : cut.size]
    height, width = cut.image.objects.shape
    if (height, width) != (cut.size, cut.size):
        canvas = F.interpolate(canvas[None, None], (height, width), mode="bilinear", align_corners=False)[
            0, 0
        ]
    return canvas.numpy()


def all_logits(
    model: LoadedModel,
    encoder: PatchEncoder,
    cuts: list[ImagePatches],
    patch_px: int,
    is_cancelled: Callable[[], bool] | None = None,
) -> tuple[list[np.ndarray], list[float]]:
    """Every image's logits and the seconds each took to decode (encoding not included)."""
    maps, seconds = [], []
    for cut in cuts:
        start = time.perf_counter()
        maps.append(image_logits(model, encoder, cut, patch_px, is_cancelled))
        seconds.append(time.perf_counter() - start)
    return maps, seconds
