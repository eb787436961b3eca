"""Progress of a long job: the fraction done, which tile of how many, and the time left at the rate so far.

``Progress`` is a ``float`` (the fraction done, 0 to 1), so a callback written for plain fractions keeps
working; the job's position rides along as attributes for the front ends that show it (the CLI's progress
line, Processing's progress text, the dock's status line). Standard library only: the plugin's engine
client (``client.py``) rebuilds it from the protocol inside QGIS.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class Progress(float):
    """The fraction of a job done, with the tile in work (1-based) of ``tiles`` and the seconds left
    (None: not known yet)."""

    tile: int | None
    tiles: int | None
    seconds_left: float | None

    def __new__(cls, fraction: float, tile: int | None = None, tiles: int | None = None, seconds_left=None):
        value = super().__new__(cls, fraction)
        value.tile, value.tiles = tile, tiles
        value.seconds_left = None if seconds_left is None else max(0.0, float(seconds_left))
        return value

    def describe(self) -> str:
        """``tile 1 of 4, about 3 min left`` (what is known of it; '' when nothing is)."""
        parts = [f"tile {self.tile} of {self.tiles}"] if self.tiles else []
        if self.seconds_left is not None and float(self) < 1.0:
            parts.append(f"about {format_duration(self.seconds_left)} left")
        return ", ".join(parts)

    def detail(self) -> dict:
        """The position as JSON-able data (the engine protocol's ``detail``)."""
        return {"tile": self.tile, "tiles": self.tiles, "seconds_left": self.seconds_left}

    @classmethod
    def from_detail(cls, fraction: float, detail: dict | None) -> Progress:
        detail = detail if isinstance(detail, dict) else {}
        return cls(fraction, detail.get("tile"), detail.get("tiles"), detail.get("seconds_left"))


def format_duration(seconds: float) -> str:
    """Seconds as a rough duration for people: ``40 s``, ``3 min``, ``2 h 10 min``."""
    seconds = max(0.0, float(seconds))
    if seconds < 55:
        return f"{max(5, 5 * round(seconds / 5))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


class TileProgress:
    """Reports a tiled job's progress: ``step(index, within)`` after tile ``index`` (0-based) is ``within``
    (0 to 1) done. Fractions never go back, and 1.0 is reported only by ``done()``, when the whole job is. The
    time left comes from the rate measured so far, or from ``estimate_s`` (a prior estimate of the whole job)
    until something has been measured."""

    def __init__(
        self,
        tiles: int,
        callback: Callable[[float], None] | None,
        estimate_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tiles, self.callback, self.estimate_s, self.clock = max(1, tiles), callback, estimate_s, clock
        self.start, self.last = clock(), 0.0

    def step(self, index: int, within: float = 0.0) -> None:
        fraction = min((index + min(max(within, 0.0), 1.0)) / self.tiles, math.nextafter(1.0, 0.0))
        self._report(max(fraction, self.last), min(index + 1, self.tiles))

    def done(self) -> None:
        self._report(1.0, self.tiles)

    def _report(self, fraction: float, tile: int) -> None:
        self.last = fraction
        if self.callback is None:
            return
        elapsed = self.clock() - self.start
        if fraction >= 1.0:
            left = 0.0
        elif fraction > 0.0:
            left = elapsed * (1.0 - fraction) / fraction
        else:
            left = self.estimate_s
        self.callback(Progress(fraction, tile, self.tiles, left))
