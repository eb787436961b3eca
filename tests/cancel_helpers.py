"""A cancel pressed the way a user presses it: at some moment while the job runs, from another thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CancelMidTile:
    """Presses cancel ``delay`` s after the first progress report (inside the first tile of segment
    everything, at any point of a batch); ``latency()`` is the time from the press until now.
    ``press``: what pressing does besides noting the time (e.g. ``feedback.cancel``)."""

    def __init__(self, delay: float = 0.05, press: Callable[[], None] | None = None) -> None:
        self.delay, self.pressed, self.seen, self._press_also = delay, None, [], press
        self._timer: threading.Timer | None = None

    def progress(self, fraction) -> None:
        self.seen.append(fraction)
        if self._timer is None:
            self._timer = threading.Timer(self.delay, self._press)
            self._timer.start()

    def _press(self) -> None:
        self.pressed = time.monotonic()
        if self._press_also is not None:
            self._press_also()

    def is_cancelled(self) -> bool:
        return self.pressed is not None

    def latency(self) -> float:
        assert self.pressed is not None, "the cancel was never pressed"
        return time.monotonic() - self.pressed
