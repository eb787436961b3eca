"""Which encoder path runs on this machine (fp32, bf16 or int8), chosen on evidence and checked for fidelity.

Every path runs the attention through the fused kernel (``fused_attention``: exact, 1.6× on these CPUs).
bf16 is autocast (encoder and decoder); int8 is dynamic quantisation of the encoder's Linear layers
(``torch.ao``), CPU only. Measured on 2 AVX-512 cores with vit_b (README, "Fast paths"): fp32 16.3 s, bf16
6.2 s (cosine p01 0.99995), int8 6.3 s (0.9984) per tile.

``auto`` tries the candidates this hardware has kernels for, fastest first (the order measured on vit_b:
speed follows the instructions, so it is known before anything runs), and takes the first that passes the
fidelity gate: on a generated probe image, the 1st percentile of the per-cell cosine similarity to the fp32
embedding ≥ ``MIN_COSINE_P01``. Timing is not part of the gate (a busy machine would then decide for good);
the speed-up measured in the same passes is reported. The verdict is kept per checkpoint fingerprint,
hardware and torch version in ``precision.json`` of the user's cache, so the check (one fp32 and one fast
encoder pass: ~16 s for vit_b on 2 cores) runs once per checkpoint and machine, not at every start.
"""

from __future__ import annotations

import copy
import json
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import config
from ..errors import SamCoreError
from ..io import write_bytes
from .fused_attention import use_fused_attention
from .hardware import Hardware

MIN_COSINE_P01 = 0.99


@dataclass(frozen=True)
class PrecisionChoice:
    precision: str  # fp32, bf16 or int8
    reason: str  # "checked: cosine p01 0.99995, 2.6× fp32" / "asked for"
    cosine_p01: float | None = None
    speedup: float | None = None


def candidates(hardware: Hardware) -> list[str]:
    """The fast paths this hardware has kernels for, fastest first (the measured order); fp32 is last."""
    if hardware.kind == "cuda":
        return ["bf16", "fp32"] if hardware.bf16 else ["fp32"]
    if hardware.kind != "cpu":
        return ["fp32"]  # Apple MPS: fp32 (its bf16 autocast is not complete in every torch)
    fast = (["bf16"] if hardware.bf16 else []) + (["int8"] if hardware.vnni else [])
    return [*fast, "fp32"]


def check_requested(precision: str, hardware: Hardware) -> None:
    if precision not in config.PRECISIONS:
        raise SamCoreError(f"unknown precision {precision!r}: use {', '.join(config.PRECISIONS)}")
    if precision == "int8" and hardware.kind != "cpu":
        raise SamCoreError(f"precision int8 runs on the CPU only, not on {hardware.kind}; use bf16 or fp32")


def apply_precision(sam: torch.nn.Module, precision: str) -> None:
    """Put the chosen path in place in ``sam``'s image encoder."""
    sam.image_encoder = encoder_for(sam.image_encoder, precision)


def encoder_for(encoder: torch.nn.Module, precision: str) -> torch.nn.Module:
    """``encoder`` on ``precision``'s path: fused attention always, int8 Linear layers for int8."""
    if precision == "int8":
        with warnings.catch_warnings():  # torch.ao's deprecation notice, once per load: not the user's
            warnings.simplefilter("ignore")
            encoder = torch.ao.quantization.quantize_dynamic(encoder, {torch.nn.Linear}, dtype=torch.qint8)
    use_fused_attention(encoder)
    return encoder


def choose_precision(
    requested: str, sam: torch.nn.Module, fingerprint: str, hardware: Hardware, store: Path | None
) -> PrecisionChoice:
    """The path to run: the one asked for (checked by ``check_requested`` before the weights are read), or
    for ``auto`` the fastest candidate that passes the gate."""
    if requested != "auto":
        return PrecisionChoice(requested, "asked for")
    options = candidates(hardware)
    if options == ["fp32"]:
        return PrecisionChoice("fp32", f"no faster kernels on {hardware.short()}")
    verdicts = _read(store)
    key = f"{fingerprint}|{hardware.key()}|torch {torch.__version__}"
    reference: tuple[torch.Tensor, torch.Tensor, float] | None = None
    for precision in options[:-1]:
        verdict = verdicts.get(f"{key}|{precision}")
        if verdict is None:
            reference = reference or _reference(sam, hardware)
            verdict = gate(sam, precision, hardware, reference)
            verdicts[f"{key}|{precision}"] = verdict
            _write(store, verdicts)
        if verdict["passed"]:
            return PrecisionChoice(
                precision,
                f"checked: cosine p01 {verdict['cosine_p01']:.5f}, {verdict['speedup']:.1f}× fp32",
                verdict["cosine_p01"],
                verdict["speedup"],
            )
    return PrecisionChoice("fp32", "no faster path passed the fidelity check here")


def gate(sam, precision: str, hardware: Hardware, reference) -> dict:
    """Fidelity (the verdict) and speed (for the record) of ``precision`` against fp32 on the probe image,
    on a copy of the encoder."""
    x, expected, fp32_s = reference
    trial = encoder_for(copy.deepcopy(sam.image_encoder), precision)  # the encoder alone is copied
    seconds, out = _timed(trial, x, precision, hardware)
    cosine = cosine_p01(out, expected)
    speedup = fp32_s / seconds
    passed = cosine >= MIN_COSINE_P01
    return {"passed": bool(passed), "cosine_p01": round(cosine, 6), "speedup": round(speedup, 3)}


def cosine_p01(a: torch.Tensor, b: torch.Tensor) -> float:
    """1st percentile over encoder cells of the cosine similarity of their channel vectors."""
    cells_a, cells_b = a[0].float().flatten(1).T, b[0].float().flatten(1).T
    cosine = torch.nn.functional.cosine_similarity(cells_a, cells_b, dim=1)
    return float(np.percentile(cosine.cpu().numpy(), 1))


def probe_image(size: int, seed: int = 0) -> torch.Tensor:
    """A generated (1, 3, size, size) normalised scene: smooth fields, edges and texture, like imagery."""
    rng = np.random.default_rng(seed)
    coarse = rng.normal(0, 1, (3, size // 64 + 1, size // 64 + 1))
    smooth = torch.nn.functional.interpolate(
        torch.from_numpy(coarse)[None].float(), (size, size), mode="bicubic", align_corners=False
    )
    blocks = torch.from_numpy(rng.integers(0, 2, (1, 1, 16, 16))).float()
    edges = torch.nn.functional.interpolate(blocks, (size, size), mode="nearest")
    texture = torch.from_numpy(rng.normal(0, 0.3, (1, 3, size, size))).float()
    return smooth + edges - 0.5 + texture


def _reference(sam, hardware: Hardware) -> tuple[torch.Tensor, torch.Tensor, float]:
    x = probe_image(sam.image_encoder.img_size).to(hardware.device)
    trial = encoder_for(copy.deepcopy(sam.image_encoder), "fp32")  # fused: segment_anything's to 1e-6
    seconds, out = _timed(trial, x, "fp32", hardware)
    return x, out, seconds


def _timed(encoder, x: torch.Tensor, precision: str, hardware: Hardware) -> tuple[float, torch.Tensor]:
    """Best of two passes, or one when a pass is long (its warm-up share is then small)."""
    best, out = float("inf"), None
    for _ in range(2):
        start = time.perf_counter()
        with torch.inference_mode(), autocast(hardware.device, precision):
            out = encoder(x)
        if hardware.kind == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
        if best > 2.0:
            break
    return best, out.float()


def autocast(device: torch.device, precision: str):
    """The context a model on ``precision``'s path runs in: bf16 autocast on the bf16 path, a disabled
    autocast (no effect) otherwise."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def _read(store: Path | None) -> dict:
    if store is None or not store.is_file():
        return {}
    try:
        found = json.loads(store.read_text())
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}  # a damaged record is measured again


def _write(store: Path | None, verdicts: dict) -> None:
    if store is None:
        return
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(store, json.dumps(verdicts, indent=1).encode(), batched=False)
    except (OSError, SamCoreError):
        pass  # not kept: measured again next time, nothing else lost
