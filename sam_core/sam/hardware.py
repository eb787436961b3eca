"""The machine the model runs on: which device ``auto`` takes, its fast kernels, threads, and why.

"GPU detected but not used" is the peers' most common complaint, so the choice is explicit and said in
words: ``python -m sam_core info --device`` and the dock print ``Hardware.describe()`` with the precision.
"""

from __future__ import annotations

import functools
import os
import platform
from dataclasses import dataclass
from pathlib import Path

import torch

from .. import config
from ..errors import SamCoreError


@dataclass(frozen=True)
class Hardware:
    device: torch.device
    name: str  # "NVIDIA H200" / "AMD EPYC 9R14" / "Apple M2"
    bf16: bool  # native bf16 matrix kernels (AVX-512 BF16, AMX, or a bf16-capable GPU)
    vnni: bool  # int8 dot-product instructions (AVX-512 VNNI / AVX-VNNI)
    threads: int  # torch intra-op threads (CPU)
    why: str = ""  # why this device: "no CUDA GPU visible" etc.

    @property
    def kind(self) -> str:
        return self.device.type

    def key(self) -> str:
        """Identity for recorded verdicts: a verdict measured on one machine says nothing of another."""
        return f"{self.kind}|{self.name}|bf16={self.bf16}|vnni={self.vnni}"

    def short(self) -> str:
        return f"{self.kind} ({self.name})"

    def feature(self, precision: str) -> str:
        """The instructions a path relies on, as users read them in CPU specifications."""
        if self.kind != "cpu":
            return self.name
        return {"bf16": "AVX-512 BF16", "int8": "AVX-512 VNNI"}.get(precision, "fp32")

    def describe(self, precision: str | None = None) -> str:
        """``cuda: NVIDIA H200, bf16`` / ``cpu: 2 threads, int8 (AVX-512 VNNI)``, and why when it matters."""
        head = f"{self.kind}: {self.name}" if self.kind != "cpu" else f"cpu: {self.threads} threads"
        text = head if precision is None else f"{head}, {precision}"
        if precision and self.kind == "cpu" and precision != "fp32":
            text += f" ({self.feature(precision)})"
        return f"{text}; {self.why}" if self.why else text


def resolve_device(name: str = config.DEVICE) -> tuple[torch.device, str]:
    """The device for ``name`` and why it was taken; asking for one that is not there is an error that says
    what is missing (this torch build, or the GPU)."""
    if name not in config.DEVICES:
        raise SamCoreError(f"unknown device {name!r}: use {', '.join(config.DEVICES)}")
    if name == "cuda":
        _require_cuda()
        return torch.device("cuda"), ""
    if name == "mps":
        if not _mps_available():
            raise SamCoreError("device 'mps' was asked for but this machine has no Apple GPU; use --device cpu")
        return torch.device("mps"), ""
    if name == "cpu":
        return torch.device("cpu"), ""
    if torch.cuda.is_available():
        return torch.device("cuda"), ""
    if _mps_available():
        return torch.device("mps"), ""
    return torch.device("cpu"), _no_gpu_reason()


def _require_cuda() -> None:
    if torch.version.cuda is None:
        raise SamCoreError("cuda requested but this torch build has no CUDA; install a CUDA build of torch")
    if not torch.cuda.is_available():
        raise SamCoreError(
            "device 'cuda' was asked for but no CUDA GPU is available (none visible to the driver); "
            "use --device cpu"
        )


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def _no_gpu_reason() -> str:
    if torch.version.cuda is None:
        return "this torch build has no CUDA"
    return f"no CUDA GPU visible (torch built for CUDA {torch.version.cuda})"


def detect(device: torch.device, why: str = "") -> Hardware:
    """What ``device`` offers the model."""
    threads = torch.get_num_threads()
    if device.type == "cuda":
        index = device.index or 0
        bf16 = bool(torch.cuda.is_bf16_supported())
        return Hardware(device, torch.cuda.get_device_name(index), bf16, False, threads, why)
    if device.type == "mps":
        return Hardware(device, "Apple GPU", False, False, threads, why)
    flags = cpu_flags()
    bf16 = bool({"avx512_bf16", "amx_bf16"} & flags)
    vnni = bool({"avx512_vnni", "avx_vnni"} & flags)
    return Hardware(device, cpu_name(), bf16, vnni, threads, why)


@functools.cache
def _cpuinfo() -> tuple[tuple[str, str], ...]:
    """Linux ``/proc/cpuinfo`` as (key, value) pairs, read once per process; empty elsewhere."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ()
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return tuple((key.strip(), value.strip()) for key, value in pairs)


def _first(key: str) -> str | None:
    return next((value for name, value in _cpuinfo() if name == key), None)


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``); elsewhere torch's own dispatch level."""
    flags = _first("flags")
    if flags is not None:
        return set(flags.split())
    capability = torch.backends.cpu.get_cpu_capability()  # "AVX512" or "AVX2" or "DEFAULT"
    return {"avx512f"} if capability.startswith("AVX512") else set()


def cpu_name() -> str:
    return _first("model name") or platform.processor() or "CPU"


def physical_cores() -> int:
    """Cores this process may use, counting each physical core once (hyper-threads share its units: a
    second torch thread per core makes matrix kernels slower, not faster)."""
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    pairs: set[tuple[str, str]] = set()
    physical = "0"
    for key, value in _cpuinfo():
        if key == "physical id":
            physical = value
        elif key == "core id":
            pairs.add((physical, value))
    return max(1, min(allowed, len(pairs) or allowed))


def set_threads(threads: int | None = None) -> int:
    """torch's intra-op threads: ``threads`` (a setting), else the physical cores; the number set."""
    count = threads if threads and threads > 0 else physical_cores()
    torch.set_num_threads(count)
    return count
