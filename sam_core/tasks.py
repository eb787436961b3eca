"""Work cut into tasks (a tile, a block of tiles), run here or on a Dask cluster, results in task order.

A batch command describes its work as a *job*: a small picklable object that a worker process can rebuild
the work from, with

- ``key()``: what identifies the state a worker builds for it (raster, checkpoint fingerprint, options);
- ``open()``: that state (the raster opened, the model loaded), built once per worker process and kept;
- ``run(state, item, hooks)``: one task's result, small (polygons as WKB, records, one tile's arrays).

``SerialRunner`` runs the tasks here, one after another, on a state the caller already has: the default
path, the loop it replaced with nothing added. ``distributed.DaskRunner`` ships them to Dask workers. Both
give results in task order, so what a command builds from them cannot depend on where they ran, and the
serial and the distributed outputs are the same by construction (and tested to be).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import Cancelled


@dataclass(frozen=True)
class Hooks:
    """What a running task may call: ``check()`` raises ``Cancelled`` once the user cancelled, ``within(f)``
    reports the task ``f`` (0 to 1) done. Serial runs get both; a task on a worker gets neither (its
    client cancels futures and reports progress per finished task)."""

    is_cancelled: Callable[[], bool] | None = None
    within: Callable[[float], None] | None = None

    def check(self) -> None:
        if self.is_cancelled is not None and self.is_cancelled():
            raise Cancelled()

    def report(self, fraction: float) -> None:
        if self.within is not None:
            self.within(fraction)


class Job(Protocol):
    def key(self) -> str: ...

    def open(self) -> Any: ...

    def run(self, state: Any, item: Any, hooks: Hooks) -> Any: ...


class Runner(Protocol):
    """Runs ``job`` on each of ``items``; yields the results in the order of ``items``."""

    distributed: bool
    torch_threads: int | None  # torch threads for each worker's model (None: the worker's own choice)

    def results(
        self,
        job: Job,
        items: Iterable,
        state: Any = None,
        within: Callable[[int, float], None] | None = None,
    ) -> Iterator: ...

    def watching(self, is_cancelled: Callable[[], bool]) -> Runner:
        """This runner, also stopping once ``is_cancelled()`` (a core function's own cancel check)."""
        ...


class SerialRunner:
    """Tasks in this process, in order, on ``state`` (the caller's open raster and loaded model); a cancel
    is seen before each task and wherever the task checks its hooks."""

    distributed = False
    torch_threads = None

    def __init__(self, is_cancelled: Callable[[], bool] | None = None) -> None:
        self.is_cancelled = is_cancelled

    def watching(self, is_cancelled: Callable[[], bool]) -> SerialRunner:
        return SerialRunner(either(self.is_cancelled, is_cancelled))

    def results(self, job: Job, items: Iterable, state: Any = None, within=None) -> Iterator:
        state = job.open() if state is None else state
        for index, item in enumerate(items):
            hooks = Hooks(self.is_cancelled, None if within is None else _at(within, index))
            hooks.check()
            yield job.run(state, item, hooks)


def _at(within: Callable[[int, float], None], index: int) -> Callable[[float], None]:
    return lambda fraction: within(index, fraction)


def either(first: Callable[[], bool] | None, second: Callable[[], bool]) -> Callable[[], bool]:
    """A cancel check that is true once either is (``first`` may be None)."""
    return second if first is None else lambda: first() or second()


def runner_or_serial(runner: Runner | None, is_cancelled: Callable[[], bool] | None) -> Runner:
    """The runner a core function was given, else the serial one; either way watching the function's own
    cancel check, so a cancel lands wherever the tasks run."""
    if runner is None:
        return SerialRunner(is_cancelled)
    return runner if is_cancelled is None else runner.watching(is_cancelled)
