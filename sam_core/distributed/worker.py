"""What runs inside a Dask worker: a job's state built once per worker process (and thread) and kept, then
one task on it. A worker that serves several runs keeps the last few states; models are kept apart, per
checkpoint fingerprint (``sam.shared_model``), so two jobs on one model load it once."""

from __future__ import annotations

import ctypes
import threading
from collections import OrderedDict

from ..tasks import Hooks, Job

#: job states a worker keeps (one per run in progress, per worker thread)
KEPT_STATES = 4
_states: OrderedDict[tuple[str, int], object] = OrderedDict()
_lock = threading.Lock()


def run_task(job: Job, item):
    """The task Dask runs: ``job.run`` on this worker's state for ``job``."""
    _tune_allocator()
    return job.run(worker_state(job), item, Hooks())


#: glibc's mallopt parameters, and the values its dynamic thresholds reach on 64-bit machines
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 << 20
_tuned = [False]


def _tune_allocator() -> None:
    """Undo Dask's ``MALLOC_TRIM_THRESHOLD_=65536``: it turns glibc's dynamic thresholds off, so every
    tensor above 128 KiB is mapped and unmapped afresh, and a worker ran the same tiles 1.9× slower than
    this process (measured: 55 s against 29 s, most of it page faults). Large thresholds restore what glibc
    would have chosen by itself. A no-op where glibc is not the allocator."""
    if _tuned[0]:
        return
    _tuned[0] = True
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD)
    except (OSError, AttributeError):
        pass


def worker_state(job: Job):
    """``job.open()`` on first use in this worker thread, kept after (rasterio datasets are not shared
    across threads)."""
    key = (job.key(), threading.get_ident())
    with _lock:
        if key in _states:
            _states.move_to_end(key)
            return _states[key]
    state = job.open()
    with _lock:
        _states[key] = state
        while len(_states) > KEPT_STATES:
            _close(_states.popitem(last=False)[1])
    return state


def _close(state) -> None:
    close = getattr(state, "close", None)
    if callable(close):
        close()
