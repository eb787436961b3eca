"""Many objects from prompt files in one run, each with its source feature's attributes.

The batch side of prompting (``segment --prompts``): the files' features become objects (``prompt_files``),
every object is located on the tile grid *before* a model is loaded, so a bad prompt fails at once, and the
objects are then segmented tile by tile, so each tile is encoded once however the objects are ordered.
Objects the model finds nothing for are left out with a warning; the others keep their position's id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import SamCoreError
from ..geo.tiles import Tile, TileGrid
from ..geo.vectorize import PostProcess
from ..schema import PROMPT_FIELDS
from .prompt_files import PromptFile, PromptObject, prompt_objects, read_prompt_file, source_columns
from .prompts import Prompts, locate
from .segment import Segmenter


@dataclass
class BatchResult:
    """The objects found (in prompt order), their source columns and what the run cost."""

    records: list[dict]  # output records (geometry, PROMPT_FIELDS), objects with no mask left out
    columns: list  # source_columns: (name, values, empty mask) per source field, one value per record
    prompt_objects: int  # objects the prompt files describe
    tiles: int  # distinct tiles the objects fall on
    encoder_calls: int
    warnings: list[str]

    def summary(self) -> dict:
        """The run in numbers, for a report (JSON-ready)."""
        return {
            "objects": len(self.records),
            "prompt_objects": self.prompt_objects,
            "tiles": self.tiles,
            "encoder_calls": self.encoder_calls,
            "area_m2": round(sum(r["area_m2"] for r in self.records), 2),
        }


class PromptBatch:
    """The objects of some prompt files: read, then located on a grid, then segmented."""

    def __init__(self, files: list[PromptFile], objects: list[PromptObject], warnings: list[str]) -> None:
        self.files, self.objects, self.warnings = files, objects, warnings
        self.prompts: list[Prompts] = []
        self.tiles: list[Tile] = []

    @classmethod
    def read(
        cls, paths: Sequence[str], label_field: str | None = None, group_field: str | None = None
    ) -> PromptBatch:
        """Read every file (``PATH`` or ``PATH|layername=NAME``) and group its features into objects."""
        files = [read_prompt_file(path) for path in paths]
        objects, warnings = prompt_objects(files, label_field, group_field)
        return cls(files, objects, warnings)

    def locate(self, grid: TileGrid) -> None:
        """Each object's prompts and tile on ``grid``; a bad prompt raises, naming its object."""
        self.prompts, self.tiles = [], []
        for obj in self.objects:
            try:
                self.prompts.append(obj.prompts())
                self.tiles.append(locate(self.prompts[-1], grid).tile)
            except SamCoreError as exc:
                raise SamCoreError(f"{obj.label}: {exc}") from None

    def run(
        self,
        segmenter: Segmenter,
        post: PostProcess | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> BatchResult:
        """Segment every located object, tile by tile; ``progress`` gets the share done after each."""
        if len(self.tiles) != len(self.objects):
            self.locate(segmenter.grid)
        warnings = list(self.warnings)
        records: list[dict | None] = [None] * len(self.objects)
        order = sorted(range(len(self.objects)), key=lambda k: (self.tiles[k].row, self.tiles[k].col))
        for done, k in enumerate(order, start=1):
            result = segmenter.segment(self.prompts[k], post)
            if result.geometry.is_empty:
                warnings.append(f"the model found no object for {self.objects[k].label}; it was left out")
            else:
                records[k] = result.record(k + 1)
            if progress is not None:
                progress(done / len(order))
        kept = [k for k, record in enumerate(records) if record is not None]
        columns = source_columns(self.files, [self.objects[k].source for k in kept], PROMPT_FIELDS)
        return BatchResult(
            records=[records[k] for k in kept],
            columns=columns,
            prompt_objects=len(self.objects),
            tiles=len({(t.col, t.row) for t in self.tiles}),
            encoder_calls=segmenter.encoder.encoder_calls,
            warnings=warnings,
        )
