"""Fine-tuning figures (issue 12): seconds per epoch once every patch's embedding is cached, and the first
epoch (which encodes every patch once) against a later one: the encoder must not run after epoch one.

``n_patches`` generated 256 px images at size 256 give one training patch each; one validation and one test
image keep the sweep and the scoring short. vit_b with random weights costs what the official one costs.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the generated shapes the tests use


def bench_finetune(work: Path, vit_b: Path, n_patches: int = 64, epochs: int = 3) -> dict:
    import numpy as np
    from finetune_data import generate_set

    from sam_core.finetune.dataset import TuningImage, TuningSet
    from sam_core.finetune.train import FinetuneOptions, finetune_decoder
    from sam_core.sam.embeddings import EmbeddingCache
    from sam_core.sam.model import load_model

    pairs = generate_set(n_patches + 2, 256, seed=0)
    splits = ["train"] * n_patches + ["val", "test"]
    images = tuple(
        TuningImage(f"img_{i:03d}", rgb, ids.astype(np.int32), split)
        for i, ((rgb, ids), split) in enumerate(zip(pairs, splits))
    )
    data = TuningSet("generated", "folder", images)
    model = load_model(vit_b, "cpu")
    options = FinetuneOptions(sizes=(256,), epochs=epochs, learning_rate=1e-4, batch_size=8)
    result = finetune_decoder(data, model, options, EmbeddingCache(None, max_items=4 * n_patches))
    run = result.runs[0]
    later = statistics.median(run.epoch_seconds[1:])
    return {
        "finetune_patches": n_patches,
        "finetune_train_prompts": run.train_prompts,
        "finetune_encoder_passes": run.encoder_calls,
        "finetune_first_epoch_s": round(run.epoch_seconds[0], 2),
        "finetune_epoch_s": round(later, 2),
        "finetune_first_epoch_ratio": round(run.epoch_seconds[0] / later, 1),
    }
