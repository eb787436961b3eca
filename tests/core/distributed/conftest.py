"""One Dask cluster for the module's tests, as the issue names it: ``LocalCluster(n_workers=2,
processes=True, threads_per_worker=1)``. Commands join it with ``--scheduler`` (a cluster per test would
cost seconds each); ``--workers`` is tested where the command starts its own."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    ) as local:
        yield local


@pytest.fixture(scope="module")
def client(cluster):
    from distributed import Client

    with Client(cluster, set_as_default=False) as joined:
        yield joined


@pytest.fixture
def runner(client):
    """The product's runner on the module's cluster (one torch thread per worker)."""
    from sam_core.distributed.runner import DaskRunner

    return DaskRunner(client, torch_threads=1)
