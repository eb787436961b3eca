"""Interactive segmentation: prompts in, one georeferenced object with its measures out.

``Segmenter`` is what the dock, Processing and the CLI share: it keeps the raster, the model and the
embedding cache together, so the first prompt on a tile encodes it and later prompts only run the decoder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from pyproj import CRS
from shapely.geometry import MultiPolygon

from .decoder import predict_mask
from .embeddings import EmbeddingCache, TileEncoder
from .measures import Measures, measure
from .model import LoadedModel
from .prompts import Prompts, locate
from .raster import RasterSource
from .tiles import Tile
from .vectorize import PostProcess, mask_to_geometry, postprocess

DEFAULT_TILE_SIZE = 1024
DEFAULT_OVERLAP = 256


@dataclass(frozen=True)
class SegmentResult:
    """One object: geometry in the raster's CRS and what an output feature carries.

    The geodesic measures are computed on first use, once: an interactive preview only needs the polygon.
    """

    geometry: MultiPolygon
    score: float
    prompt_type: str
    n_fg: int
    n_bg: int
    tile: Tile
    model: str
    crs: CRS | None

    @cached_property
    def measures(self) -> Measures:
        return measure(self.geometry, self.crs)

    @property
    def area_m2(self) -> float:
        return self.measures.area_m2

    @property
    def perimeter_m(self) -> float:
        return self.measures.perimeter_m

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
        tile_size: int = DEFAULT_TILE_SIZE,
        overlap: int = DEFAULT_OVERLAP,
    ) -> None:
        self.source, self.model = source, model
        self.grid = source.grid(tile_size, overlap)
        self.encoder = TileEncoder(model, source, cache)

    def tile_for(self, prompts: Prompts) -> Tile:
        """The tile these prompts would use (lets a UI encode it in the background first)."""
        return locate(prompts, self.grid).tile

    def encode(self, tile: Tile, is_cancelled: Callable[[], bool] | None = None) -> None:
        self.encoder.encode(tile, is_cancelled)

    def segment(
        self,
        prompts: Prompts,
        post: PostProcess | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> SegmentResult:
        post = post or PostProcess()
        located = locate(prompts, self.grid)
        encoded = self.encoder.encode(located.tile, is_cancelled)
        prediction = predict_mask(self.model, encoded.embedding, located)
        geometry = mask_to_geometry(prediction.mask & encoded.valid, located.tile.transform)
        crs = self.source.crs
        geometry = postprocess(geometry, crs, post, pixel_size=abs(self.source.transform.a))
        return SegmentResult(
            geometry,
            prediction.score,
            prompts.prompt_type,
            prompts.n_foreground,
            prompts.n_background,
            located.tile,
            self.model.info.name,
            crs,
        )
