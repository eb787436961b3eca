"""A Dask cluster for one run: joined at ``scheduler`` (an existing ``tcp://host:8786``), or a
``LocalCluster`` of ``workers`` processes started here, with one thread each, and stopped at the end,
whatever happened (success, error, Ctrl-C or a cancel).

An address that answers nothing is one error within ``connect_timeout_s``, not a hang. A local cluster's
workers get ``threads`` torch threads each (default: this machine's physical cores shared out), set where
the model loads (``sam.shared_model``).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..errors import SamCoreError
from .runner import DaskRunner

CONNECT_TIMEOUT_S = 5.0
CLOSE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class ClusterOptions:
    scheduler: str | None = None  # an existing scheduler's address
    workers: int | None = None  # a local cluster of this many worker processes
    threads: int | None = None  # torch threads per worker (None: local cores / workers; remote: theirs)
    connect_timeout_s: float = CONNECT_TIMEOUT_S

    def __post_init__(self) -> None:
        if self.scheduler and self.workers:
            raise SamCoreError("give --scheduler (an existing cluster) or --workers (a local one), not both")
        if self.workers is not None and self.workers < 1:
            raise SamCoreError("--workers must be at least 1")

    @property
    def enabled(self) -> bool:
        return bool(self.scheduler or self.workers)

    def worker_threads(self) -> int | None:
        """torch threads for each worker's model."""
        if self.threads or not self.workers:
            return self.threads
        from ..sam.hardware import physical_cores

        return max(1, physical_cores() // self.workers)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextlib.contextmanager
def dask_runner(
    options: ClusterOptions,
    is_cancelled: Callable[[], bool] | None = None,
    say: Callable[[str], None] = _say,
) -> Iterator[DaskRunner | None]:
    """A ``DaskRunner`` on the cluster ``options`` name (None when they name none: run serially)."""
    if not options.enabled:
        yield None
        return
    with _cluster(options, say) as client:
        yield DaskRunner(client, is_cancelled, options.worker_threads())


@contextlib.contextmanager
def _cluster(options: ClusterOptions, say: Callable[[str], None]):
    from distributed import Client, LocalCluster

    cluster = None
    if options.workers:
        cluster = LocalCluster(
            n_workers=options.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        )
        address = cluster.scheduler_address
        say(f"dask: local cluster of {options.workers} workers, dashboard {cluster.dashboard_link}")
    else:
        address = options.scheduler
    try:
        client = _connect(Client, cluster or address, options)
        try:
            if cluster is None:
                say(f"dask: {len(client.nthreads())} workers at {address}, dashboard {client.dashboard_link}")
            yield client
        finally:
            _quietly(client.close)
    finally:
        if cluster is not None:
            _quietly(cluster.close)


def _quietly(close) -> None:
    """Close within ``CLOSE_TIMEOUT_S``; a slow or failed close costs the result nothing (a local cluster's
    processes end with this one in any case)."""
    try:
        close(timeout=CLOSE_TIMEOUT_S)
    except (OSError, TimeoutError, RuntimeError):
        pass


def _connect(client_type, target, options: ClusterOptions):
    try:
        client = client_type(target, timeout=options.connect_timeout_s, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise SamCoreError(
            f"cannot reach the Dask scheduler at {target} ({reason}); start one with `dask scheduler` "
            "and workers with `dask worker ADDRESS`, or use --workers N for a cluster on this machine"
        ) from None
    try:
        client.wait_for_workers(1, timeout=options.connect_timeout_s)
    except TimeoutError:
        client.close()
        raise SamCoreError(
            f"the Dask scheduler at {target} has no workers: start some with `dask worker {target}`"
        ) from None
    return client
