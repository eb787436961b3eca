"""Many objects from prompt files in one run, each with its source feature's attributes.

The batch side of prompting (``segment --prompts``): the files' features become objects (``prompt_files``),
every object is located on the tile grid *before* a model is loaded, so a bad prompt fails at once, and the
objects are then segmented tile by tile, so each tile is encoded once however the objects are ordered.
Objects the model finds nothing for are left out with a warning; the others keep their position's id.

A tile's objects are one task (``PromptJob``): run here on the caller's segmenter, or on a Dask worker's
own; either way the records come back in tile order and are put in prompt order here, so the output is the
same wherever the tiles ran.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby

from ..errors import SamCoreError
from ..geo.tiles import Tile, TileGrid
from ..geo.vectorize import PostProcess
from ..sam.tile_job import TileJob
from ..schema import PROMPT_FIELDS
from ..tasks import Hooks, Runner, runner_or_serial
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
        runner: Runner | None = None,
    ) -> BatchResult:
        """Segment every located object, tile by tile; ``progress`` gets the share done after each (after
        each tile on a cluster). ``runner``: where the tiles run (default here, on ``segmenter``;
        ``distributed.DaskRunner``: on workers that rebuild it)."""
        if len(self.tiles) != len(self.objects):
            self.locate(segmenter.grid)
        warnings = list(self.warnings)
        records: list[dict | None] = [None] * len(self.objects)
        tasks = self._tile_tasks()
        runner = runner_or_serial(runner, None)
        job = PromptJob.of(segmenter, post, runner)
        state = None if runner.distributed else segmenter
        total, starts = len(self.objects), [0]
        for task in tasks:
            starts.append(starts[-1] + len(task.objects))

        def within(index: int, fraction: float) -> None:
            if progress is not None:
                progress((starts[index] + fraction * len(tasks[index].objects)) / total)

        encoder_calls = 0
        for index, found in enumerate(runner.results(job, tasks, state, within)):
            for (k, _prompts), record in zip(tasks[index].objects, found.records):
                if record is None:
                    warnings.append(f"the model found no object for {self.objects[k].label}; it was left out")
                records[k] = record
            encoder_calls += found.encoder_calls
            if progress is not None:
                progress(starts[index + 1] / total)
        kept = [k for k, record in enumerate(records) if record is not None]
        columns = source_columns(self.files, [self.objects[k].source for k in kept], PROMPT_FIELDS)
        return BatchResult(
            records=[records[k] for k in kept],
            columns=columns,
            prompt_objects=len(self.objects),
            tiles=len({(t.col, t.row) for t in self.tiles}),
            encoder_calls=encoder_calls,
            warnings=warnings,
        )

    def _tile_tasks(self) -> list[TilePrompts]:
        """The located objects grouped by tile, tiles in grid order (row, col), objects in prompt order."""

        def place(k: int) -> tuple[int, int]:
            return self.tiles[k].row, self.tiles[k].col

        groups = groupby(sorted(range(len(self.objects)), key=place), key=place)
        return [TilePrompts(tuple((k, self.prompts[k]) for k in group)) for _place, group in groups]


@dataclass(frozen=True)
class TilePrompts:
    """A task: the objects on one tile, as (index in the batch, prompts)."""

    objects: tuple[tuple[int, Prompts], ...]


@dataclass(frozen=True)
class TileRecords:
    """A task's result: per object its record (geometry as shapely, which pickles as WKB), None where the
    model found nothing; and the encoder passes it took."""

    records: list[dict | None]
    encoder_calls: int


class _WorkerSegmenter(Segmenter):
    """A worker's segmenter: it opened its raster, and closes it when the worker lets the state go."""

    def close(self) -> None:
        self.source.close()


@dataclass(frozen=True)
class PromptJob(TileJob):
    """``segment --prompts``: one tile's objects through a ``Segmenter`` on the run's grid."""

    tile_size: int = 0
    overlap: int = 0
    post: PostProcess | None = None

    @classmethod
    def of(cls, segmenter: Segmenter, post: PostProcess | None, runner: Runner) -> PromptJob:
        spec = TileJob.spec_of(segmenter.source, segmenter.model, segmenter.encoder.cache, runner)
        return cls(*spec, segmenter.grid.tile_size, segmenter.grid.overlap, post)

    def open(self) -> Segmenter:
        context = super().open()
        try:
            cache = context.encoder.cache
            return _WorkerSegmenter(context.source, context.model, cache, self.tile_size, self.overlap)
        except BaseException:
            context.close()
            raise

    def run(self, segmenter: Segmenter, item: TilePrompts, hooks: Hooks) -> TileRecords:
        before = segmenter.encoder.encoder_calls
        records = []
        for done, (k, prompts) in enumerate(item.objects, start=1):
            hooks.check()
            result = segmenter.segment(prompts, self.post, hooks.is_cancelled)
            records.append(None if result.geometry.is_empty else result.record(k + 1))
            if done < len(item.objects):
                hooks.report(done / len(item.objects))
        return TileRecords(records, segmenter.encoder.encoder_calls - before)
