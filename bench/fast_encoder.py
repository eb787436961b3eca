"""The image encoder's candidate fast paths, side by side in one run (issue 14, step 1): time per tile and
fidelity against segment_anything's bare fp32 forward on the same input.

One 1024 px tile of ``../shared/data/RGB.byte.tif`` (real imagery) through a random-weight vit_b (the real
one's cost), each path run twice (the faster counts): fp32 eager (the reference), fp32 with the fused
attention kernel (``sam.fused_attention``), bf16 autocast with either, and int8 dynamic quantisation of the
Linear layers (``torch.ao``) with either. Fidelity: the cosine similarity of each encoder cell's 256-vector
to the reference's, its 1st percentile (target ≥ 0.99). Run alone: ``python -m bench.fast_encoder`` (or
``bench/run.py --only fast``).
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np
import torch

from sam_core.geo.raster import RasterSource
from sam_core.geo.tiles import PixelWindow
from sam_core.sam.embeddings import prepare_image
from sam_core.sam.fused_attention import use_fused_attention
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, vit_b_config

REAL_RASTER = ROOT.parent / "shared" / "data" / "RGB.byte.tif"


def _tile_input(model) -> torch.Tensor:
    with RasterSource(REAL_RASTER) as source:
        image = source.read_window(PixelWindow(0, 0, 1024, 1024))
    return prepare_image(model, image.rgb, image.valid)


def _time(encoder, x, autocast: bool) -> tuple[float, torch.Tensor]:
    best, out = float("inf"), None
    for _ in range(2):
        start = time.perf_counter()
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            out = encoder(x)
        best = min(best, time.perf_counter() - start)
    return best, out.float()


def _cosine_p01(a: torch.Tensor, b: torch.Tensor) -> float:
    cells_a, cells_b = a[0].flatten(1).T, b[0].flatten(1).T  # (cells, channels)
    cosine = torch.nn.functional.cosine_similarity(cells_a, cells_b, dim=1)
    return float(np.percentile(cosine.numpy(), 1))


def bench_fast_encoder(work: Path, vit_b: Path) -> dict:
    model = load_model(vit_b, "cpu")
    x = _tile_input(model)
    bare = model.sam.image_encoder.eval()
    fused = use_fused(copy.deepcopy(bare))
    int8 = torch.ao.quantization.quantize_dynamic(copy.deepcopy(bare), {torch.nn.Linear}, dtype=torch.qint8)
    int8_fused = use_fused(copy.deepcopy(int8))
    reference_s, reference = _time(bare, x, False)
    result: dict = {"encode_bare_fp32_s": round(reference_s, 2)}
    for name, encoder, autocast in (
        ("fp32_fused", fused, False),
        ("bf16", bare, True),
        ("bf16_fused", fused, True),
        ("int8_dynamic", int8, False),
        ("int8_dynamic_fused", int8_fused, False),
    ):
        seconds, out = _time(encoder, x, autocast)
        result[f"encode_{name}_s"] = round(seconds, 2)
        result[f"encode_{name}_speedup"] = round(reference_s / seconds, 2)
        result[f"encode_{name}_cosine_p01"] = round(_cosine_p01(out, reference), 5)
    result["encode_threads"] = torch.get_num_threads()
    return result


def use_fused(encoder):
    use_fused_attention(encoder)
    return encoder


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="terrasam-fast-") as tmp:
        vit_b = Path(tmp) / "vit_b.pth"
        save_random_checkpoint(vit_b, vit_b_config(), seed=0)
        print(json.dumps(bench_fast_encoder(Path(tmp), vit_b), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
