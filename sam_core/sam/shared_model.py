"""A loaded model as another process rebuilds it: the checkpoint's path and fingerprint, the device and the
precision path the run chose. A Dask worker loads each model once and keeps it for every task after."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import SamCoreError
from .hardware import set_threads
from .model import LoadedModel, load_model

#: models a process keeps at once (a run uses one; a worker serving two runs in turn keeps both)
KEPT_MODELS = 2
_models: dict[str, LoadedModel] = {}
_lock = threading.Lock()
_loads = [0]


@dataclass(frozen=True)
class ModelSpec:
    """What identifies a loaded model across processes. The device and precision are the ones the client
    resolved (not ``auto``): every worker then runs exactly what a serial run does here."""

    checkpoint: str  # an absolute path: every worker reads the file at the same place
    fingerprint: str
    device: str
    precision: str
    threads: int | None = None  # torch threads per worker (None: the worker machine's physical cores)
    tuned: str = (
        "None"  # the fine-tuning sidecar as read (a tuned file and its base share the weights' bytes)
    )

    @classmethod
    def of(cls, model: LoadedModel, threads: int | None = None) -> ModelSpec:
        path = str(Path(model.info.path).resolve())
        info = model.info
        return cls(path, info.fingerprint, str(model.device), model.precision, threads, repr(info.tuned))

    def key(self) -> str:
        return f"{self.checkpoint}|{self.fingerprint}|{self.tuned}|{self.device}|{self.precision}"


def shared_model(spec: ModelSpec) -> LoadedModel:
    """The model ``spec`` describes, loaded on first use in this process and kept (keyed by path,
    fingerprint, sidecar, device and precision); a file that is not the one the run started with is an
    error."""
    key = spec.key()
    with _lock:
        set_threads(spec.threads)  # each run's own (a worker may serve runs of several clients)
        model = _models.get(key)
        if model is not None:
            return model
        model = load_model(spec.checkpoint, spec.device, spec.precision, verdicts=None)
        if model.info.fingerprint != spec.fingerprint or repr(model.info.tuned) != spec.tuned:
            raise SamCoreError(
                f"the checkpoint {spec.checkpoint} here is not the file the run started with: "
                "every worker needs the same checkpoint"
            )
        while len(_models) >= KEPT_MODELS:
            _models.pop(next(iter(_models)))
        _models[key] = model
        _loads[0] += 1
        return model


def models_loaded() -> int:
    """How many times this process has loaded a model through ``shared_model`` (the tests' witness that a
    worker loads its model once)."""
    return _loads[0]
