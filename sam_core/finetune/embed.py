"""Each patch encoded once: the image encoder is frozen, so its output never changes during fine-tuning.

Embeddings are kept in memory for the run (epochs then cost only the decoder) and, through an optional
``EmbeddingCache`` with a folder, on disk for the next run. The key is the content: the model's fingerprint,
a digest of the patch's pixels and padding, and the sizes, so the same patch of another run, another size
sweep or another copy of the data hits. ``encoder_calls`` counts real encoder passes and ``seconds`` their
time (benchmarks and the report read both).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import numpy as np
import torch

from ..sam.embeddings import EmbeddingCache, prepare_image, run_image_encoder
from ..sam.model import LoadedModel
from .patches import Patch


class PatchEncoder:
    """Patch → (1, C, h, w) embedding on the model's device, computed at most once per content."""

    def __init__(self, model: LoadedModel, patch_px: int, cache: EmbeddingCache | None = None) -> None:
        self.model, self.patch_px, self.cache = model, patch_px, cache
        self.encoder_calls = 0
        self.seconds = 0.0
        self._memory: dict[str, torch.Tensor] = {}

    def key(self, patch: Patch) -> str:
        content = hashlib.sha256(patch.rgb.tobytes() + np.packbits(patch.inside).tobytes()).hexdigest()
        parts = (
            "finetune-patch",
            self.model.info.fingerprint,
            content,
            str(self.patch_px),
            str(self.model.img_size),
        )
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    def encode(self, patch: Patch, is_cancelled: Callable[[], bool] | None = None) -> torch.Tensor:
        key = self.key(patch)
        found = self._memory.get(key)
        if found is not None:
            return found
        cached = None
        if self.cache is not None:
            cached = self.cache.get(key, self.model.embedding_shape, np.float32)
        if cached is None:
            cached = self._run(patch, is_cancelled)
            if self.cache is not None:
                self.cache.put(key, cached)
        embedding = torch.from_numpy(cached).to(self.model.device)
        self._memory[key] = embedding
        return embedding

    def _run(self, patch: Patch, is_cancelled: Callable[[], bool] | None) -> np.ndarray:
        start = time.perf_counter()
        with torch.inference_mode():
            x = prepare_image(self.model, patch.rgb, patch.inside)
            out = run_image_encoder(self.model.sam.image_encoder, x, is_cancelled).cpu().numpy()
        self.encoder_calls += 1
        self.seconds += time.perf_counter() - start
        return np.ascontiguousarray(out, np.float32)

    def forget(self) -> None:
        """Drop the in-memory embeddings (one size's patches are not needed by the next size)."""
        self._memory.clear()
