"""One object being drawn: the prompts so far, undo/clear, the latest preview, and Accept.

The dock's map tools feed clicks and boxes into a ``PromptSession``; it asks the ``Segmenter`` for a new
preview after every change and turns the accepted object into an output record. Qt-free, so the same rules
(what Undo removes, what Accept writes) are tested without a canvas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyproj import CRS

from ..errors import SamCoreError
from .prompts import Point, Prompts
from .segment import Segmenter, SegmentResult


@dataclass
class PromptSession:
    segmenter: Segmenter
    crs: CRS | None = None  # CRS the prompts arrive in (the canvas's); None: the raster's
    points: list[Point] = field(default_factory=list)
    box: tuple[float, float, float, float] | None = None
    preview: SegmentResult | None = None
    _history: list[str] = field(default_factory=list)  # "point" or "box", for Undo

    @property
    def is_empty(self) -> bool:
        return not self.points and self.box is None

    def prompts(self) -> Prompts:
        return Prompts(points=tuple(self.points), box=self.box, crs=self.crs)

    def add_point(self, x: float, y: float, label: int, encode: bool = True) -> SegmentResult:
        """Add a foreground (1) or background (0) point; on a bad point nothing changes. ``encode`` False:
        a tile not yet encoded raises ``TileNotEncoded`` (and nothing changes), see ``Segmenter.segment``."""
        return self._apply(lambda: self.points.append(Point(x, y, label)), "point", encode)

    def set_box(
        self, xmin: float, ymin: float, xmax: float, ymax: float, encode: bool = True
    ) -> SegmentResult:
        """Set the object's box. One box per object: a new box replaces the old one, and Undo then
        removes the box (the replaced one is not restored). ``encode``: as for ``add_point``."""
        box = (min(xmin, xmax), min(ymin, ymax), max(xmin, xmax), max(ymin, ymax))
        had_box = self.box is not None
        result = self._apply(lambda: setattr(self, "box", box), "box", encode)
        if had_box:
            self._history.remove("box")  # the older entry; the new one stays last
        return result

    def undo(self) -> SegmentResult | None:
        """Remove the last prompt; returns the new preview (None when no prompt is left)."""
        if not self._history:
            return None
        if self._history.pop() == "point":
            self.points.pop()
        else:
            self.box = None
        self.preview = None if self.is_empty else self.segmenter.segment(self.prompts())
        return self.preview

    def clear(self) -> None:
        self.points.clear()
        self.box = None
        self._history.clear()
        self.preview = None

    def accept(self, feature_id: int, raster_name: str) -> dict:
        """The current object as an output record (fields of every TerraSAM layer); then a fresh start."""
        if self.preview is None or self.preview.geometry.is_empty:
            raise SamCoreError("nothing to accept: click on an object first")
        record = self.preview.record(feature_id)
        record["raster"] = raster_name
        record["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        self.clear()
        return record

    def _apply(self, change, kind: str, encode: bool = True) -> SegmentResult:
        saved = (list(self.points), self.box)
        change()
        try:
            self.preview = self.segmenter.segment(self.prompts(), encode=encode)
        except SamCoreError:
            self.points, self.box = saved
            raise
        self._history.append(kind)
        return self.preview
