"""One tile's class probabilities as a task (``tasks.Job``): here or on a Dask worker, the same work.

``map`` and ``label-objects`` blend tiles' softmax outputs on the client, in grid order (``blend``); what a
task computes is one tile's output: the tile read, encoded through the embedding cache, and the head's
softmax resized to the tile (``tile_probabilities``). A worker gets the head once per process
(``HeadSpec``, named by the SHA-256 of its tensors in the job's key): it reads the head file the client
read, and checks it is the same head, or, for a head the caller has only in memory, unpickles it from the
job, tensor for tensor. The file is the cheap way: a pickled head is 3–8 MB (vit_b) in every task sent.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import SamCoreError
from ..geo.tiles import Tile
from ..sam.embeddings import TileEncoder
from ..sam.model import LoadedModel
from ..sam.tile_job import TileContext, TileJob
from ..tasks import Hooks, Runner, runner_or_serial
from .head_file import SegmentationHead, load_segmentation_head


@dataclass(frozen=True)
class HeadSpec:
    """A segmentation head as a worker rebuilds it: read from ``file`` (the path the client read it from)
    and checked to be the same head, else unpickled from ``payload``: a head only in memory, its net's
    tensors exactly. ``digest`` (``head_digest``) names it in the job's key; ``training``: the net's mode."""

    digest: str
    training: bool
    file: str | None = None
    payload: bytes | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, head: SegmentationHead, file: str | os.PathLike | None = None) -> HeadSpec:
        digest, training = head_digest(head), head.net.training
        if file is not None:
            return cls(digest, training, str(Path(file).resolve()))
        return cls(digest, training, None, pickle.dumps(head, protocol=pickle.HIGHEST_PROTOCOL))

    def load(self) -> SegmentationHead:
        if self.payload is not None:
            return pickle.loads(self.payload)
        head = load_segmentation_head(self.file)
        head.net.train(self.training)
        if head_digest(head) != self.digest:
            raise SamCoreError(
                f"the head file {self.file} here is not the head the run started with: "
                "every worker needs the same file"
            )
        return head


def head_digest(head: SegmentationHead) -> str:
    """SHA-256 of what a tile's output depends on: the head's kind, patch size and every tensor of its net."""
    digest = hashlib.sha256(f"{head.kind}|{head.skip}|{head.patch_px}|{head.grid}".encode())
    for name, tensor in head.net.state_dict().items():
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"|{name}|{flat.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


@dataclass
class MapTileState:
    """What a process computes tiles with: the raster, model and encoder, and the head."""

    context: TileContext
    head: SegmentationHead

    def close(self) -> None:
        self.context.close()


@dataclass(frozen=True)
class TileOutput:
    """A tile's (K, tile, tile) float32 probabilities, its valid pixels, and whether the encoder ran."""

    place: tuple[int, int]  # the tile's (col, row)
    probability: np.ndarray
    valid: np.ndarray
    encoded: bool

    def of(self, tile: Tile) -> tuple[np.ndarray, np.ndarray]:
        """(probability, valid) for ``tile``, which this output must be (results come in task order)."""
        if self.place != (tile.col, tile.row):
            raise SamCoreError(f"tile {self.place} came where tile {(tile.col, tile.row)} was expected")
        return self.probability, self.valid


@dataclass(frozen=True)
class MapTileJob(TileJob):
    """Tiles' class probabilities (``map``, ``label-objects``). ``head`` is None for a serial run: its state
    is the caller's, with the head it holds, and nothing is opened from the job. ``run`` names one run, so
    a worker opens the raster afresh for each (a file rewritten since the last run is read as it is now)
    and its encoder counts this run's passes, from an empty memory cache, as a serial run's does."""

    head: HeadSpec | None = None
    run_id: str = ""

    def open(self) -> MapTileState:
        if self.head is None:
            raise SamCoreError("a map tile job without its head cannot be opened in another process")
        head = self.head.load()
        return MapTileState(super().open(), head)

    def run(self, state: MapTileState, tile: Tile, hooks: Hooks) -> TileOutput:
        encoder = state.context.encoder
        before = encoder.encoder_calls
        probability, valid = tile_probabilities(
            state.context.model, state.head, encoder, tile, hooks.is_cancelled
        )
        return TileOutput((tile.col, tile.row), probability, valid, encoder.encoder_calls > before)


@dataclass(frozen=True)
class TileRun:
    """Where a run's tiles are computed: its runner, and the job a distributed one ships."""

    runner: Runner
    job: MapTileJob

    @classmethod
    def of(
        cls, source, model: LoadedModel, head: SegmentationHead, cache, runner, is_cancelled, head_file=None
    ):
        """``runner`` (None: here, with ``is_cancelled``) for tiles of the open ``source``; the head goes
        with the job only where another process needs it, read from ``head_file`` when given (the file it
        was loaded from)."""
        runner = runner_or_serial(runner, is_cancelled)
        spec, run_id = (HeadSpec.of(head, head_file), uuid.uuid4().hex) if runner.distributed else (None, "")
        return cls(runner, MapTileJob(*MapTileJob.spec_of(source, model, cache, runner), spec, run_id))

    def outputs(
        self, tiles: list[Tile], encoder: TileEncoder, head: SegmentationHead
    ) -> Iterator[TileOutput]:
        """The tiles' outputs, in the order of ``tiles``: serially on the caller's encoder and head."""
        state = None
        if not self.runner.distributed:
            state = MapTileState(TileContext(encoder.source, encoder.model, encoder), head)
        return self.runner.results(self.job, tiles, state)


def tile_probabilities(
    model: LoadedModel,
    head: SegmentationHead,
    encoder: TileEncoder,
    tile: Tile,
    is_cancelled: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(K, tile, tile) float32 class probabilities on the tile's raster pixels, and which pixels are valid."""
    image = encoder.source.read_window(tile.window)
    encoded = encoder.encode(tile, is_cancelled, image)
    patch = head.patch_px
    rgb = torch.from_numpy(image.rgb).permute(2, 0, 1)[None].float() / 255.0 - 0.5
    with torch.inference_mode():
        if tile.size != patch:
            rgb = F.interpolate(rgb, (patch, patch), mode="bilinear", align_corners=False, antialias=True)
        probability = head.net(encoded.embedding.float().cpu(), rgb).softmax(dim=1)
        if tile.size != patch:
            probability = F.interpolate(
                probability,
                (tile.size, tile.size),
                mode="bilinear",
                align_corners=False,
                antialias=tile.size < patch,
            )
    return probability[0].numpy().astype(np.float32, copy=False), encoded.valid


def close_results(results) -> None:
    """Stop a runner's result stream early (a cancel, an error): a distributed one cancels what is out."""
    close = getattr(results, "close", None)
    if callable(close):
        close()
