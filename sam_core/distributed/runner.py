"""``DaskRunner``: a job's tasks on a Dask cluster, results back in task order.

At most ``ahead`` tasks are out at a time (four per worker thread by default): enough to keep every worker
busy while the next result in order is awaited, few enough that the client holds a bounded number of
results whatever the raster's size. A finished result is taken, its future released, the next task sent.
A worker that dies takes nothing with it: Dask's scheduler runs its tasks again elsewhere (``allowed
failures`` times), and as results are taken in order the output is the same. A cancel (the callback, or
Ctrl-C) cancels every future still out before it propagates.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from ..errors import Cancelled, SamCoreError
from ..tasks import Job, either
from .worker import run_task

#: how often a wait for a result looks at the cancel callback, seconds
POLL_S = 0.2
TASKS_PER_THREAD = 4


class DaskRunner:
    distributed = True

    def __init__(
        self,
        client,
        is_cancelled: Callable[[], bool] | None = None,
        torch_threads: int | None = None,
        ahead: int | None = None,
    ) -> None:
        self.client, self.is_cancelled, self.ahead = client, is_cancelled, ahead
        self.torch_threads = torch_threads

    def watching(self, is_cancelled: Callable[[], bool]) -> DaskRunner:
        both = either(self.is_cancelled, is_cancelled)
        return DaskRunner(self.client, both, self.torch_threads, self.ahead)

    def threads(self) -> int:
        """Worker threads the cluster has now."""
        return max(1, sum(self.client.nthreads().values()))

    def results(self, job: Job, items: Iterable, state=None, within=None) -> Iterator:
        """``job.run`` on each item on the cluster (``state`` and ``within`` are for the serial runner: a
        worker builds its own state, and progress comes per finished task)."""
        items = list(items)
        ahead = self.ahead or TASKS_PER_THREAD * self.threads()
        prefix = f"terrasam-{type(job).__name__}-{uuid.uuid4().hex[:8]}"
        out: deque = deque()
        sent = 0
        try:
            while sent < len(items) or out:
                while sent < len(items) and len(out) < ahead:
                    out.append(self._submit(job, items[sent], f"{prefix}-{sent}"))
                    sent += 1
                future = out.popleft()
                result = self._wait(future)
                future.release()
                yield result
        finally:
            if out:
                self.client.cancel(list(out))

    def _submit(self, job: Job, item, key: str):
        return self.client.submit(run_task, job, item, key=key, pure=False)

    def _wait(self, future):
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError

        while True:
            if self.is_cancelled is not None and self.is_cancelled():
                raise Cancelled()
            try:
                return future.result(timeout=POLL_S)
            except TimeoutError:
                continue
            except KilledWorker as exc:
                raise SamCoreError(
                    f"a Dask worker died each time it ran a task of this run ({exc}); the workers' logs say why"
                ) from None
            except FutureCancelledError:
                raise SamCoreError("the Dask cluster cancelled this run's tasks") from None
