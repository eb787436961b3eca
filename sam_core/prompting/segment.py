"""Interactive segmentation: prompts in, one georeferenced object with its measures out.

``Segmenter`` is what the dock, Processing and the CLI share: it keeps the raster, the model and the
embedding cache together, so the first prompt on a tile encodes it and later prompts only run the decoder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from pyproj import CRS
from shapely.geometry import MultiPolygon

from .. import config
from ..errors import SamCoreError
from ..geo.measures import Measures, measure
from ..geo.raster import RasterSource
from ..geo.tiles import Tile
from ..geo.vectorize import PostProcess, mask_to_geometry, postprocess
from ..sam.embeddings import EmbeddingCache, TileEncoder
from ..sam.model import LoadedModel
from .decoder import predict_mask
from .prompts import Prompts, locate

DEFAULT_TILE_SIZE = config.TILE_SIZE
DEFAULT_OVERLAP = config.OVERLAP


def prompt_overlap(tile_size: int) -> int:
    """Tile overlap for prompting: 256 px (an object up to a quarter tile wide fits whole in some tile), a
    quarter of smaller tiles."""
    return min(DEFAULT_OVERLAP, tile_size // 4)


class TileNotEncoded(SamCoreError):
    """The prompts need a tile that is not encoded yet, and the caller asked not to encode it in the call
    (the dock encodes it in a background job, then asks again)."""

    def __init__(self, tile: Tile) -> None:
        super().__init__(f"tile ({tile.col}, {tile.row}) must be encoded first")
        self.tile = tile


@dataclass(frozen=True)
class SegmentResult:
    """One object: SAM's mask on its tile, and lazily its exact geometry (raster CRS) and geodesic measures.

    Geometry and measures are computed on first use, once, at full resolution: Accept and the CLI need
    them; an interactive preview draws ``preview_geometry`` at the canvas's level of detail instead.
    """

    mask: np.ndarray = field(repr=False)  # (tile, tile) bool, valid pixels only
    score: float
    prompt_type: str
    n_fg: int
    n_bg: int
    tile: Tile
    model: str
    crs: CRS | None
    post: PostProcess
    pixel_size: float

    @cached_property
    def geometry(self) -> MultiPolygon:
        shape = mask_to_geometry(self.mask, self.tile.raster_transform, self._offset)
        return postprocess(shape, self.crs, self.post, pixel_size=self.pixel_size)

    @cached_property
    def measures(self) -> Measures:
        return measure(self.geometry, self.crs)

    @property
    def area_m2(self) -> float:
        return self.measures.area_m2

    @property
    def perimeter_m(self) -> float:
        return self.measures.perimeter_m

    def preview_geometry(self, step: int) -> MultiPolygon:
        """The mask drawn with cells of ``step`` × ``step`` pixels (a cell is in if any of its pixels is):
        about one cell per screen pixel is all a preview can show, and far fewer vertices to draw.
        ``step`` 1 is the exact geometry."""
        if step <= 1:
            return self.geometry
        size = self.mask.shape[0]
        cells = -(-size // step)
        padded = np.zeros((cells * step, cells * step), bool)
        padded[:size, :size] = self.mask
        coarse = padded.reshape(cells, step, cells, step).any(axis=(1, 3))
        return mask_to_geometry(coarse, self.tile.raster_transform, self._offset, step)

    @property
    def _offset(self) -> tuple[int, int]:
        return self.tile.window.col_off, self.tile.window.row_off

    def record(self, feature_id: int) -> dict:
        """The output feature: geometry plus the fields every TerraSAM object layer carries."""
        return {
            "id": feature_id,
            "geometry": self.geometry,
            "prompt_type": self.prompt_type,
            "n_fg": self.n_fg,
            "n_bg": self.n_bg,
            "score": self.score,
            "area_m2": self.area_m2,
            "perimeter_m": self.perimeter_m,
            "model": self.model,
        }


class Segmenter:
    def __init__(
        self,
        source: RasterSource,
        model: LoadedModel,
        cache: EmbeddingCache | None = None,
        tile_size: int | None = None,
        overlap: int | None = None,
        encoded: set[tuple[int, int]] | None = None,
    ) -> None:
        """``tile_size`` None: the model's (a fine-tuned decoder's learned scale, else the usual tile);
        ``overlap`` None: ``prompt_overlap`` of the tile."""
        self.source, self.model = source, model
        tile_size = model.tile_size if tile_size is None else tile_size
        self.grid = source.grid(tile_size, prompt_overlap(tile_size) if overlap is None else overlap)
        self.encoder = TileEncoder(model, source, cache)
        #: grid positions (col, row) known to be in the cache: encoded or used through this segmenter (an
        #: engine passes one set per raster, so it outlives a session on that raster)
        self.encoded: set[tuple[int, int]] = set() if encoded is None else encoded

    def encode_tiles(
        self,
        positions: list[tuple[int, int]],
        source: RasterSource | None = None,
        progress: Callable[[float], None] | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> None:
        """Encode the tiles at grid ``positions`` into the cache, reading pixels from ``source`` (a job in
        another thread opens its own: a rasterio dataset is not thread-safe); prompts there then only decode."""
        encoder = self.encoder if source is None else TileEncoder(self.model, source, self.encoder.cache)
        encoder.encode_all([self.grid.tile(col, row) for col, row in positions], progress, is_cancelled)
        self.encoded.update((int(col), int(row)) for col, row in positions)

    def segment(
        self,
        prompts: Prompts,
        post: PostProcess | None = None,
        is_cancelled: Callable[[], bool] | None = None,
        encode: bool = True,
    ) -> SegmentResult:
        """One object for ``prompts``; the tile is chosen once, here. ``encode`` False: a tile not known to be
        encoded raises ``TileNotEncoded`` instead of running the image encoder in this call."""
        post = post or PostProcess()
        located = locate(prompts, self.grid)
        tile = located.tile
        if not encode and (tile.col, tile.row) not in self.encoded:
            raise TileNotEncoded(tile)
        encoded = self.encoder.encode(tile, is_cancelled)
        self.encoded.add((tile.col, tile.row))
        prediction = predict_mask(self.model, encoded.embedding, located)
        return SegmentResult(
            prediction.mask & encoded.valid,
            prediction.score,
            prompts.prompt_type,
            prompts.n_foreground,
            prompts.n_background,
            located.tile,
            self.model.info.name,
            self.source.crs,
            post,
            abs(self.source.transform.a),
        )
