"""Each fine-tuning patch encoded once (``sam.array_encoder``): the image encoder is frozen, so its output
never changes during fine-tuning."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..sam.array_encoder import ArrayEncoder
from ..sam.embeddings import EmbeddingCache
from ..sam.model import LoadedModel
from .patches import Patch


class PatchEncoder(ArrayEncoder):
    """Patch → (1, C, h, w) embedding on the model's device, computed at most once per content."""

    def __init__(self, model: LoadedModel, patch_px: int, cache: EmbeddingCache | None = None) -> None:
        super().__init__(model, "finetune-patch", (patch_px,), cache)

    def encode(self, patch: Patch, is_cancelled: Callable[[], bool] | None = None) -> torch.Tensor:
        return self.encode_array(patch.rgb, patch.inside, is_cancelled)
