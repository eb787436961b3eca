"""Detection with a fine-tuned decoder: a raster → blended probabilities window by window → measured polygons.

The recipe's inference (Nasriddinov 2024, see the README's References) resizes the image so that one 256 px
patch covers what a training patch covered, runs the decoder on every patch with the prompt it was trained
with, applies a sigmoid, thresholds at the probability picked on validation and stitches the patches back.
On a georeferenced raster that becomes:

- tiles of ``tile_px`` source pixels (the sidecar's learned scale; ``size`` S instead treats the extent as
  one image whose longer side is resized to S: tile = patch_px × side / S), anchored to the raster's grid and
  overlapping by a quarter tile by default;
- each tile encoded through the embedding cache (a rerun only decodes), one whole-patch box prompt decoded
  with ``predict.decode_logits``, sigmoid, probabilities resized back to the tile's source pixels;
- overlapping tiles blended with weights that cross-fade across the overlap (``stitch``), so the patch
  borders the recipe's figure shows as seams are gone, then thresholded on the raster's own grid;
- objects traced pixel-exact, post-processed as ``everything``'s, with geodesic area and perimeter and the
  mean probability of their pixels.

Without a sidecar (a plain SAM) there is no learned scale: tiles are one patch of source pixels (256 px at
the raster's resolution) and the threshold is 0.5. Memory does not grow with the raster's height (one strip
of tiles at a time, see ``stitch``). Nothing is returned until every tile is done; a cancel raises
``Cancelled`` (checked per tile and per encoder block).

On a Dask cluster (``runner``) each tile's probabilities are a task (``DetectJob``) and the client's
``Stitcher`` takes them in tile order, as the serial loop does: the same objects, and the client holds only
the runner's few results in flight besides its strip of tiles.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from pyproj import CRS

from .. import config
from ..errors import Cancelled, SamCoreError
from ..geo.measures import measure
from ..geo.overlap import DEFAULT_OVERLAP, extent_window, overlap_px
from ..geo.raster import RasterSource
from ..geo.tiles import PixelWindow, Tile
from ..geo.vectorize import PostProcess, postprocess
from ..progress import TileProgress
from ..sam.embeddings import EmbeddingCache, TileEncoder
from ..sam.model import LoadedModel
from ..sam.tile_job import TileContext, TileJob
from ..tasks import Hooks, Runner, runner_or_serial
from .predict import decode_logits
from .stitch import StitchedObject, Stitcher

#: the recipe's patch side, used when the model has no sidecar
PATCH_PX = 256
#: SAM's own logit threshold 0 as a probability: a plain SAM's masks
PLAIN_THRESHOLD = 0.5


@dataclass(frozen=True)
class DetectOptions:
    """Scale, tiling and post-processing of a detection run.

    ``size``: None cuts tiles of the model's learned ``tile_px`` (a plain SAM: one patch of source pixels);
    an int S is the recipe's "resize the image to S" (the extent's longer side becomes S pixels).
    ``tile_size`` (source pixels) overrides both. ``overlap``: below 1 a fraction of the tile, else pixels.
    ``threshold``: a probability overriding the sidecar's.
    """

    size: int | None = None
    tile_size: int | None = None
    overlap: float = DEFAULT_OVERLAP
    threshold: float | None = None
    min_region_px: int = config.MIN_REGION_PX
    min_area_m2: float = 0.0
    min_hole_m2: float = 0.0
    simplify_px: float = 0.0


@dataclass(frozen=True)
class DetectResult:
    objects: list[dict]  # records: geometry, id, probability, area_m2, perimeter_m, model
    crs: CRS | None
    tiles: int  # tiles processed
    tile_px: int = 0  # the tile side used, source pixels
    overlap_px: int = 0
    threshold: float = PLAIN_THRESHOLD  # the probability threshold used


def patch_px(model: LoadedModel) -> int:
    """The decoder's patch side: the sidecar's, else the recipe's 256."""
    return model.info.tuned.patch_px if model.info.tuned else PATCH_PX


def detect_threshold(model: LoadedModel, options: DetectOptions | None = None) -> float:
    """The probability threshold: the option's, else the sidecar's (picked on validation), else 0.5."""
    if options is not None and options.threshold is not None:
        if not 0.0 < options.threshold < 1.0:
            raise SamCoreError(f"the threshold is a probability between 0 and 1, not {options.threshold:g}")
        return float(options.threshold)
    return model.info.tuned.threshold if model.info.tuned else PLAIN_THRESHOLD


def detect_tile_px(model: LoadedModel, options: DetectOptions, region: PixelWindow) -> int:
    """Source pixels per tile (see ``DetectOptions``)."""
    if options.tile_size is not None and options.size is not None:
        raise SamCoreError("give a tile size or a resize size (--size), not both")
    if options.tile_size is not None:
        tile = int(options.tile_size)
    elif options.size is not None:
        if options.size < 1:
            raise SamCoreError(f"the resize size must be a positive number of pixels, not {options.size}")
        tile = round(patch_px(model) * max(region.width, region.height) / options.size)
    else:
        tile = model.info.tuned.tile_px if model.info.tuned else PATCH_PX
    if tile < 16:
        raise SamCoreError(
            f"these settings make tiles of {tile} source pixels, fewer than 16: choose a smaller --size"
        )
    return tile


def detect_objects(
    raster_or_source: RasterSource | str | os.PathLike,
    model: LoadedModel,
    extent: tuple[float, float, float, float] | None = None,
    extent_crs: CRS | None = None,
    options: DetectOptions | None = None,
    cache: EmbeddingCache | None = None,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    runner: Runner | None = None,
) -> DetectResult:
    """The objects over ``extent`` (default the whole raster). ``progress`` gets a ``Progress`` after each
    tile, 1.0 once the result is complete. ``runner``: where the tiles run (default here, one after another;
    ``distributed.DaskRunner``)."""
    args = (model, extent, extent_crs, options, cache, progress, is_cancelled, runner)
    if isinstance(raster_or_source, RasterSource):
        return _detect(raster_or_source, *args)
    with RasterSource(raster_or_source) as source:
        return _detect(source, *args)


def _detect(
    source, model, extent, extent_crs, options, cache, progress, is_cancelled, runner
) -> DetectResult:
    options = options or DetectOptions()
    region = extent_window(source.grid(), extent, extent_crs)
    tile_px = detect_tile_px(model, options, region)
    overlap = overlap_px(options.overlap, tile_px)
    threshold = detect_threshold(model, options)
    grid = source.grid(tile_px, overlap)
    tiles = grid.tiles_for_pixel_box(region.col_off, region.row_off, region.col_end, region.row_end)
    runner = runner_or_serial(runner, is_cancelled)
    job = DetectJob(*TileJob.spec_of(source, model, cache, runner))
    state = None if runner.distributed else TileContext(source, model, TileEncoder(model, source, cache))
    stitcher = Stitcher(
        region, tile_px, overlap, grid.stride, threshold, source.transform, options.min_region_px
    )
    tracker = TileProgress(len(tiles), progress)
    # results come in tile order wherever they ran: the stitcher sees what the serial loop gives it
    for index, (probability, valid) in enumerate(runner.results(job, tiles, state)):
        tile = tiles[index]
        if index and tile.row != tiles[index - 1].row:
            stitcher.end_row(tiles[index - 1].row)
        stitcher.add(tile, probability, valid)
        if index + 1 < len(tiles):
            tracker.step(index + 1)
    if is_cancelled and is_cancelled():
        raise Cancelled()
    objects = stitcher.finish()
    records = _records(objects, source, model, options)
    tracker.done()
    return DetectResult(records, source.crs, len(tiles), tile_px, overlap, threshold)


def whole_patch_box(patch: int) -> torch.Tensor:
    """The detection prompt: one box around the whole patch (patch pixels), as the recipe's patches."""
    return torch.tensor([[0.0, 0.0, float(patch), float(patch)]])


@dataclass(frozen=True)
class DetectJob(TileJob):
    """``detect``: one tile's probabilities and valid pixels (``tile_probability``), for the client's
    ``Stitcher``. A worker loads the checkpoint as the client did, sidecar and all (``load_model``)."""

    def run(self, state: TileContext, tile: Tile, hooks: Hooks) -> tuple[np.ndarray, np.ndarray]:
        return tile_probability(state.model, state.encoder, tile, hooks.is_cancelled)


def tile_probability(
    model: LoadedModel, encoder: TileEncoder, tile: Tile, is_cancelled: Callable[[], bool] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(tile, tile) float32 probabilities on the tile's source pixels, and which pixels are valid."""
    image = encoder.source.read_window(tile.window)
    encoded = encoder.encode(tile, is_cancelled, image)
    patch = patch_px(model)
    with torch.inference_mode():
        logits = decode_logits(model, encoded.embedding, patch, boxes=whole_patch_box(patch))
        probability = torch.sigmoid(logits.float())[None]  # (1, 1, patch, patch)
        if tile.size != patch:
            probability = F.interpolate(
                probability,
                (tile.size, tile.size),
                mode="bilinear",
                align_corners=False,
                antialias=tile.size < patch,
            )
    return probability[0, 0].cpu().numpy().astype(np.float32, copy=False), encoded.valid


def _records(
    objects: list[StitchedObject], source: RasterSource, model: LoadedModel, options: DetectOptions
) -> list[dict]:
    post = PostProcess(options.min_area_m2, options.min_hole_m2, options.simplify_px)
    records = []
    for obj in objects:
        geometry = postprocess(obj.geometry, source.crs, post, pixel_size=abs(source.transform.a))
        if geometry.is_empty:
            continue
        measures = measure(geometry, source.crs)
        records.append(
            {
                "id": len(records) + 1,
                "geometry": geometry,
                "probability": obj.probability,
                "area_m2": measures.area_m2,
                "perimeter_m": measures.perimeter_m,
                "model": model.info.name,
            }
        )
    return records
