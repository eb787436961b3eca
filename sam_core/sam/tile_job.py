"""The base of every per-tile job (``tasks.Job``): a raster, a model and an embedding cache, as a worker
rebuilds them, and what it builds: a ``TileContext``. Commands subclass ``TileJob`` with their options and
their ``run``; ``EncodeJob`` is the simplest, one tile into the cache."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..geo.raster import RasterSource, RasterSpec
from ..geo.tiles import Tile
from ..tasks import Hooks, Runner, runner_or_serial
from .embeddings import EmbeddingCache, TileEncoder, cache_folder
from .model import LoadedModel
from .shared_model import ModelSpec, shared_model


@dataclass
class TileContext:
    """An open raster, its model and the encoder through the cache: what tiles are computed with."""

    source: RasterSource
    model: LoadedModel
    encoder: TileEncoder

    def close(self) -> None:
        self.source.close()


@dataclass(frozen=True)
class TileJob:
    raster: RasterSpec
    model: ModelSpec
    cache_dir: str | None

    @classmethod
    def spec_of(cls, source: RasterSource, model: LoadedModel, cache: EmbeddingCache | None, runner):
        """The three fields for ``source``, ``model`` and ``cache`` (``runner``: how many torch threads a
        worker's model gets)."""
        return source.spec(), ModelSpec.of(model, runner.torch_threads), cache_folder(cache)

    def key(self) -> str:
        return repr(self)  # every field is a plain value: two equal jobs build the same state

    def open(self) -> TileContext:
        source = self.raster.open()
        try:
            model = shared_model(self.model)
        except BaseException:
            source.close()
            raise
        return TileContext(source, model, TileEncoder(model, source, EmbeddingCache(self.cache_dir)))


@dataclass(frozen=True)
class EncodeJob(TileJob):
    """``encode``: one tile's embedding into the shared cache folder; True when the encoder ran."""

    def run(self, state: TileContext, tile: Tile, hooks: Hooks) -> bool:
        before = state.encoder.encoder_calls
        state.encoder.encode(tile, hooks.is_cancelled)
        return state.encoder.encoder_calls > before


def encode_tiles(
    source: RasterSource,
    model: LoadedModel,
    cache: EmbeddingCache,
    tiles: list[Tile],
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    runner: Runner | None = None,
) -> int:
    """Encode ``tiles`` into ``cache`` (here, or on ``runner``'s workers into the same folder), reporting
    progress after each; the encoder passes it took (tiles already cached take none)."""
    runner = runner_or_serial(runner, is_cancelled)
    job = EncodeJob(*TileJob.spec_of(source, model, cache, runner))
    state = None if runner.distributed else TileContext(source, model, TileEncoder(model, source, cache))
    encoded = 0
    for index, ran in enumerate(runner.results(job, tiles, state)):
        encoded += bool(ran)
        if progress:
            progress((index + 1) / len(tiles))
    return encoded
