"""The image encoder's fast paths, side by side in one run (issue 14): time per tile and fidelity against
segment_anything's bare fp32 forward on the same input, then the production path ``auto`` chooses.

One 1024 px tile of ``../shared/data/RGB.byte.tif`` (real imagery) through a random-weight vit_b (the real
one's cost), each path run twice (the faster counts): fp32 eager (the reference), fp32 with the fused
attention kernel (``sam.fused_attention``), bf16 autocast with either, and int8 dynamic quantisation of the
Linear layers (``torch.ao``) with either. Fidelity: the cosine similarity of each encoder cell's 256-vector
to the reference's, its 1st percentile (target ≥ 0.99). Run alone: ``python -m bench.fast_encoder`` (or
``bench/run.py --only fast``).

The production figures: ``encode_fast_s`` is ``load_model(precision="auto")`` + ``encode_input`` (what every
command runs), ``encode_speedup`` its ratio to ``encode_bare_fp32_s`` (target ≥ 2.5), and the achieved
fraction of the machine's peak: the encoder's FLOPs per tile from its shapes ÷ time ÷ peak, where the peak is
both the nominal one (fp32 ~190 GFLOP/s on these 2 cores, ../shared/GUIDE.md; bf16 twice, int8 four times)
and the speed of a large matrix product at that precision measured in this run.
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

import torch

from sam_core.geo.raster import RasterSource
from sam_core.geo.tiles import PixelWindow
from sam_core.sam.embeddings import encode_input, prepare_image
from sam_core.sam.estimate import encoder_flops
from sam_core.sam.model import build_sam, infer_config, load_model, read_state_dict
from sam_core.sam.precision import cosine_p01, encoder_for
from sam_core.sam.random_weights import save_random_checkpoint, vit_b_config

REAL_RASTER = ROOT.parent / "shared" / "data" / "RGB.byte.tif"
#: nominal peak of these 2 cores (GUIDE), per precision: bf16 dot products do twice fp32's work per
#: instruction, int8 (VNNI) four times
NOMINAL_PEAK_GFLOPS = {"fp32": 190.0, "bf16": 380.0, "int8": 760.0}


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


def bare_encoder(checkpoint: Path) -> torch.nn.Module:
    """segment_anything's own encoder with the checkpoint's weights (``load_model`` puts the fused attention
    in place: the reference must not have it)."""
    state = read_state_dict(checkpoint)
    sam = build_sam(infer_config(state))
    sam.load_state_dict(state)
    return sam.image_encoder.eval()


def bench_fast_encoder(work: Path, vit_b: Path) -> dict:
    model = load_model(vit_b, "cpu", "fp32", None)
    x = _tile_input(model)
    bare = bare_encoder(vit_b)
    fused = encoder_for(copy.deepcopy(bare), "fp32")  # the production paths' encoders
    int8_fused = encoder_for(copy.deepcopy(bare), "int8")
    int8 = torch.ao.quantization.quantize_dynamic(copy.deepcopy(bare), {torch.nn.Linear}, dtype=torch.qint8)
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
        result[f"encode_{name}_cosine_p01"] = round(cosine_p01(out, reference), 5)
    result["encode_threads"] = torch.get_num_threads()
    result.update(production_path(vit_b, x, bare, reference, encoder_flops(bare)))
    return result


def production_path(vit_b: Path, x: torch.Tensor, bare, reference: torch.Tensor, flops: float) -> dict:
    """What users run: ``auto``'s choice (measured here with a fresh verdict store) on the same input, timed
    in turns with the bare fp32 forward (this machine's speed drifts by tens of percent over minutes: the
    ratio is taken from passes run side by side), the best of three each."""
    with tempfile.TemporaryDirectory(prefix="terrasam-verdicts-") as tmp:
        start = time.perf_counter()
        model = load_model(vit_b, "cpu", "auto", Path(tmp) / "precision.json")
        choose_s = time.perf_counter() - start
    seconds = bare_s = float("inf")
    out = None
    for _ in range(3):
        bare_s = min(bare_s, _time_once(bare, x))
        start = time.perf_counter()
        out = encode_input(model, x)
        seconds = min(seconds, time.perf_counter() - start)
    achieved = flops / seconds / 1e9
    precision = model.precision
    return {
        "encode_bare_fp32_s": round(bare_s, 2),
        "encode_fast_s": round(seconds, 2),
        "encode_speedup": round(bare_s / seconds, 2),
        "encode_cosine_p01": round(cosine_p01(out, reference), 5),
        "encode_precision": precision,
        "encode_auto_choice_s": round(choose_s, 1),  # load + the one-off fidelity check
        "encode_tflop_per_tile": round(flops / 1e12, 3),
        "encode_achieved_gflops": round(achieved, 1),
        "encode_fraction_of_nominal_peak": round(achieved / NOMINAL_PEAK_GFLOPS[precision], 3),
        "encode_fraction_of_measured_gemm": round(achieved / gemm_gflops(precision), 3),
        "encode_bare_fraction_of_nominal_peak": round(flops / bare_s / 1e9 / NOMINAL_PEAK_GFLOPS["fp32"], 3),
        "gemm_gflops_fp32": round(gemm_gflops("fp32"), 1),
        "gemm_gflops_bf16": round(gemm_gflops("bf16"), 1),
    }


def _time_once(encoder, x: torch.Tensor) -> float:
    start = time.perf_counter()
    with torch.inference_mode():
        encoder(x)
    return time.perf_counter() - start


def gemm_gflops(precision: str, n: int = 2048) -> float:
    """A large square matrix product at ``precision`` (int8 as bf16: torch has no int8 GEMM to time)."""
    dtype = torch.float32 if precision == "fp32" else torch.bfloat16
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2.0 * n**3 / best / 1e9


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="terrasam-fast-") as tmp:
        vit_b = Path(tmp) / "vit_b.pth"
        save_random_checkpoint(vit_b, vit_b_config(), seed=0)
        print(json.dumps(bench_fast_encoder(Path(tmp), vit_b), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
