"""An RGB array encoded once: training on a frozen encoder needs each patch's embedding, never twice.

Fine-tuning the decoder and training segmentation heads both cut their images into patches and encode each
patch once: in memory for the run (epochs then cost only the trainable part) and, through an optional
``EmbeddingCache`` with a folder, on disk for the next run. The key is the content: the model's fingerprint,
a digest of the pixels and the validity mask, the caller's tag and sizes, so the same patch of another run,
another sweep or another copy of the data hits. ``encoder_calls`` counts real encoder passes and ``seconds``
their time (benchmarks and reports read both).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import numpy as np
import torch

from .embeddings import EmbeddingCache, encode_input, prepare_image
from .model import LoadedModel


class ArrayEncoder:
    """(H, W, 3) uint8 + (H, W) validity → (1, C, h, w) embedding on the model's device, once per content."""

    def __init__(
        self, model: LoadedModel, tag: str, sizes: tuple = (), cache: EmbeddingCache | None = None
    ) -> None:
        self.model, self.tag, self.sizes, self.cache = model, tag, tuple(str(s) for s in sizes), cache
        self.encoder_calls = 0
        self.seconds = 0.0
        self._memory: dict[str, torch.Tensor] = {}

    def array_key(self, rgb: np.ndarray, inside: np.ndarray) -> str:
        content = hashlib.sha256(rgb.tobytes() + np.packbits(inside).tobytes()).hexdigest()
        model = self.model
        parts = (self.tag, model.info.fingerprint, content, *self.sizes, str(model.img_size), model.precision)
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    def encode_array(
        self, rgb: np.ndarray, inside: np.ndarray, is_cancelled: Callable[[], bool] | None = None
    ) -> torch.Tensor:
        key = self.array_key(rgb, inside)
        found = self._memory.get(key)
        if found is not None:
            return found
        cached = None
        if self.cache is not None:
            cached = self.cache.get(key, self.model.embedding_shape, np.float32)
        if cached is None:
            cached = self._run(rgb, inside, is_cancelled)
            if self.cache is not None:
                self.cache.put(key, cached)
        embedding = torch.from_numpy(cached).to(self.model.device)
        self._memory[key] = embedding
        return embedding

    def _run(
        self, rgb: np.ndarray, inside: np.ndarray, is_cancelled: Callable[[], bool] | None
    ) -> np.ndarray:
        start = time.perf_counter()
        with torch.inference_mode():
            x = prepare_image(self.model, rgb, inside)
        out = encode_input(self.model, x, is_cancelled).cpu().numpy()
        self.encoder_calls += 1
        self.seconds += time.perf_counter() - start
        return np.ascontiguousarray(out, np.float32)

    def forget(self) -> None:
        """Drop the in-memory embeddings (one size's patches are not needed by the next size)."""
        self._memory.clear()
