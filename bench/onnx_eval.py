"""ONNX Runtime and ``torch.compile`` against the torch paths (issue 14's evaluation; not in ``make bench``).

Needs ``onnxruntime``, ``onnx`` and ``onnxscript``, which TerraSAM does not depend on (they did not beat eager
bf16 + fused attention: README, "Fast paths"). Run in a venv that has them:
``python bench/onnx_eval.py``. One 1024 px tile of ``RGB.byte.tif``, a random-weight vit_b, one JSON line per
stage (export and compilation times included).
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

from bench.fast_encoder import _tile_input, bare_encoder
from sam_core.sam.model import load_model
from sam_core.sam.precision import cosine_p01, encoder_for
from sam_core.sam.random_weights import save_random_checkpoint, vit_b_config


def _best(run, n: int = 2):
    best, out = float("inf"), None
    for _ in range(n):
        start = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - start)
    return best, out


def _session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def main() -> int:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="terrasam-onnx-") as tmp:
        work = Path(tmp)
        save_random_checkpoint(work / "vit_b.pth", vit_b_config(), seed=0)
        model = load_model(work / "vit_b.pth", "cpu", "fp32", None)
        x = _tile_input(model)
        bare = bare_encoder(work / "vit_b.pth")  # segment_anything's own attention: the reference
        out: dict = {}
        with torch.inference_mode():
            out["fp32_s"], reference = _best(lambda: bare(x))
        start = time.perf_counter()
        torch.onnx.export(bare, (x,), str(work / "enc.onnx"), input_names=["x"], output_names=["y"], dynamo=True)
        out["export_s"] = time.perf_counter() - start
        xs = x.numpy()
        for name, path in (("ort_fp32", work / "enc.onnx"), ("ort_int8", work / "enc_int8.onnx")):
            if name == "ort_int8":
                quantize_dynamic(str(work / "enc.onnx"), str(path), weight_type=QuantType.QInt8)
            session = _session(path)
            seconds, y = _best(lambda session=session: session.run(None, {"x": xs})[0])
            out[f"{name}_s"], out[f"{name}_cos_p01"] = seconds, cosine_p01(torch.from_numpy(y), reference)
            print(json.dumps(out), flush=True)
        compiled = torch.compile(encoder_for(copy.deepcopy(bare), "fp32"))
        start = time.perf_counter()
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            compiled(x)
            out["compile_first_s"] = time.perf_counter() - start
            seconds, y = _best(lambda: compiled(x))
        out["compile_bf16_fused_s"], out["compile_bf16_fused_cos_p01"] = seconds, cosine_p01(y.float(), reference)
        print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
