"""Segment everything: automatic masks over an extent, tile by tile, merged across seams.

Each tile gets segment_anything's ``SamAutomaticMaskGenerator``'s masks (its point grid, quality filters and
NMS), from our cached, globally stretched tile embedding instead of a second encoder pass: on a whole tile
(``crop_n_layers`` 0) from ``everything_fast.FastTileMasks``, the generator's rules in a cheaper order (the
IoU filter before any upsampling, stability and boxes on crops, full masks only for what NMS keeps); with
crops, from the generator itself.
Tiles are anchored to the raster's grid, so an area's objects do not depend on where the extent starts.
One tile is in flight at a time; masks are decoded one by one and kept only as polygons. Nothing is
returned until every tile is done: a cancel raises ``Cancelled`` and leaves no partial result.

The cost of a tile is the mask decoder's pass over the point grid (1024 points at 32 per side), not the
encoder: seconds to tens of seconds per tile on a CPU. So cancel is checked, and progress reported, after every batch
of points; on the CPU a batch is small (``CPU_POINTS_PER_BATCH``), which costs no speed there (the decoder is
memory bound: a point costs about the same in batches of 1 to 4, more in larger ones) and keeps a cancel to
well under a second.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import shapely
import torch
from pyproj import CRS
from segment_anything import SamAutomaticMaskGenerator, SamPredictor
from segment_anything.utils.amg import MaskData, generate_crop_boxes, rle_to_mask
from shapely.geometry import MultiPolygon
from torchvision.ops.boxes import batched_nms, box_area

from .. import config
from ..errors import Cancelled, SamCoreError
from ..geo.measures import measure
from ..geo.raster import RasterSource
from ..geo.vectorize import PostProcess, postprocess
from ..progress import TileProgress
from ..sam.embeddings import EmbeddingCache, TileEncoder
from ..sam.model import LoadedModel
from ..sam.tile_job import TileContext, TileJob
from ..tasks import Runner, runner_or_serial
from .everything_fast import FastTileMasks
from .everything_tiles import EverythingJob, TileState, merge_finds, tile_tasks
from .fast_decoder import dense_pe
from .merge import DEFAULT_BAND_IOU, MergedObject
from .segment import prompt_overlap

#: points per decoder batch when ``EverythingOptions.points_per_batch`` is None: small on the CPU, where
#: a batch of 4 points takes 30 to 120 ms with vit_b at 1024 px (bf16 to fp32; transformer only to three
#: masks each) and a larger one is slower per point (the decoder is memory bound)
CPU_POINTS_PER_BATCH = 4
GPU_POINTS_PER_BATCH = 64


@dataclass(frozen=True)
class EverythingOptions:
    """SAM's automatic-generator parameters plus tiling, merging and post-processing.

    Defaults for remote sensing: SAM's own grid (32 points per side), slightly lower quality thresholds than
    SAM's (0.88/0.95, tuned on photos) because aerial objects are small and low-contrast, and regions below
    16 pixels (islands and holes) removed from each mask.
    """

    points_per_side: int = config.POINTS_PER_SIDE
    points_per_batch: int | None = None  # None: CPU_POINTS_PER_BATCH, or GPU_POINTS_PER_BATCH on a GPU
    pred_iou_thresh: float = config.PRED_IOU_THRESH
    stability_score_thresh: float = config.STABILITY_THRESH
    box_nms_thresh: float = 0.7
    crop_n_layers: int = 0
    min_region_px: int = config.MIN_REGION_PX
    tile_size: int | None = None  # None: the model's (``LoadedModel.tile_size``)
    overlap: int | None = None  # None: ``prompt_overlap`` of the tile (256 px for 1024 px tiles)
    band_iou: float = DEFAULT_BAND_IOU
    min_area_m2: float = 0.0
    min_hole_m2: float = 0.0
    simplify_px: float = 0.0
    largest_part_only: bool = False


@dataclass(frozen=True)
class EverythingResult:
    objects: list[dict]  # output records: geometry, id, score, stability, area_m2, perimeter_m, tiles
    tiles: int  # tiles processed
    crs: CRS | None
    tile_size: int = config.TILE_SIZE  # the tile side used, source pixels


class _EmbeddedPredictor(SamPredictor):
    """A SamPredictor that takes the tile's cached embedding for the whole tile; crops (crop_n_layers > 0)
    are encoded by SAM itself. With ``multimask`` False (a fine-tuned decoder) each point gives the one
    trained mask instead of the three ambiguity masks the generator asks for."""

    def __init__(self, sam, multimask: bool = True, autocast=contextlib.nullcontext) -> None:
        super().__init__(sam)
        self.embedding, self.tile_shape, self.multimask = None, None, multimask
        self.autocast = autocast

    def predict_torch(
        self,
        point_coords,
        point_labels,
        boxes=None,
        mask_input=None,
        multimask_output=True,
        return_logits=False,
    ):
        """SamPredictor's, with the decoder in the model's autocast and its outputs back in float32 before
        they are upsampled, thresholded and scored."""
        if not self.is_image_set:
            raise RuntimeError("An image must be set with .set_image(...) before mask prediction.")
        points = None if point_coords is None else (point_coords, point_labels)
        sparse, dense = self.model.prompt_encoder(points=points, boxes=boxes, masks=mask_input)
        with self.autocast():
            low_res, iou = self.model.mask_decoder(
                image_embeddings=self.features,
                image_pe=dense_pe(self.model),
                sparse_prompt_embeddings=sparse,
                dense_prompt_embeddings=dense,
                multimask_output=multimask_output and self.multimask,
            )
        low_res, iou = low_res.float(), iou.float()
        masks = self.model.postprocess_masks(low_res, self.input_size, self.original_size)
        return (masks if return_logits else masks > self.model.mask_threshold), iou, low_res

    def set_image(self, image: np.ndarray, image_format: str = "RGB") -> None:
        if self.embedding is None or image.shape[:2] != self.tile_shape:
            return super().set_image(image, image_format)
        size = self.model.image_encoder.img_size
        self.reset_image()
        self.original_size, self.input_size = image.shape[:2], (size, size)
        self.features, self.is_image_set = self.embedding, True
        return None


class TileMaskGenerator(SamAutomaticMaskGenerator):
    """segment_anything's generator on one square tile whose embedding we already have."""

    def __init__(self, model: LoadedModel, options: EverythingOptions) -> None:
        super().__init__(
            model.sam,
            points_per_side=options.points_per_side,
            points_per_batch=_points_per_batch(model, options),
            pred_iou_thresh=options.pred_iou_thresh,
            stability_score_thresh=options.stability_score_thresh,
            box_nms_thresh=options.box_nms_thresh,
            crop_n_layers=options.crop_n_layers,
            output_mode="uncompressed_rle",
        )
        self.predictor = _EmbeddedPredictor(model.sam, model.multimask, model.autocast)
        self._after_batch: Callable[[], None] | None = None

    def batches(self, shape: tuple[int, int]) -> int:
        """Point batches the decoder runs on an image of ``shape`` (every crop's grid, in batches)."""
        _, layers = generate_crop_boxes(shape, self.crop_n_layers, self.crop_overlap_ratio)
        return sum(-(-len(self.point_grids[layer]) // self.points_per_batch) for layer in layers)

    def masks(self, rgb: np.ndarray, embedding, after_batch: Callable[[], None] | None = None):
        """(mask, predicted IoU, stability) for each mask, decoded one at a time. ``after_batch()`` runs
        after each batch of points (it may raise ``Cancelled``)."""
        self.predictor.embedding, self.predictor.tile_shape = embedding, rgb.shape[:2]
        self._after_batch = after_batch
        try:
            records = self.generate(rgb)
        finally:
            self._after_batch = None
        for record in records:
            yield rle_to_mask(record["segmentation"]), record["predicted_iou"], record["stability_score"]

    def _process_batch(self, points, im_size, crop_box, orig_size) -> MaskData:
        """segment_anything's own batch, then the hook that checks cancel and reports progress."""
        data = super()._process_batch(points, im_size, crop_box, orig_size)
        if self._after_batch is not None:
            self._after_batch()
        return data

    def _generate_masks(self, image: np.ndarray) -> MaskData:
        """segment_anything's own method, plus the guard its cross-crop NMS lacks: with crops on, an image
        where no crop kept a mask made it index an empty tensor (facebookresearch/segment-anything#614)."""
        crop_boxes, layer_idxs = generate_crop_boxes(
            image.shape[:2], self.crop_n_layers, self.crop_overlap_ratio
        )
        data = MaskData()
        for crop_box, layer_idx in zip(crop_boxes, layer_idxs):
            data.cat(self._process_crop(image, crop_box, layer_idx, image.shape[:2]))
        if len(crop_boxes) > 1 and len(dict(data.items()).get("rles", [])) > 0:
            scores = (1 / box_area(data["crop_boxes"])).to(data["boxes"].device)
            categories = torch.zeros(len(data["boxes"]))
            data.filter(
                batched_nms(data["boxes"].float(), scores, categories, iou_threshold=self.crop_nms_thresh)
            )
        data.to_numpy()
        return data


def segment_everything(
    source: RasterSource,
    model: LoadedModel,
    cache: EmbeddingCache | None = None,
    extent: tuple[float, float, float, float] | None = None,
    extent_crs: CRS | None = None,
    options: EverythingOptions | None = None,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    runner: Runner | None = None,
) -> EverythingResult:
    """Every object over ``extent``. ``progress`` gets a ``Progress`` after every batch of points (per
    finished tile on a cluster): the fraction done, always rising, 1.0 once the result is complete.
    ``runner``: where the tiles run (default here, one after another; ``distributed.DaskRunner``)."""
    options = resolve_tiling(options or EverythingOptions(), model)
    grid = source.grid(options.tile_size, options.overlap)
    tiles = grid.tiles() if extent is None else grid.tiles_for_extent(*extent, extent_crs)
    if not tiles:
        raise SamCoreError("the extent does not overlap the raster")
    runner = runner_or_serial(runner, is_cancelled)
    job = EverythingJob(*TileJob.spec_of(source, model, cache, runner), options, options.band_iou > 0)
    state = None
    if not runner.distributed:
        state = TileState.of(TileContext(source, model, TileEncoder(model, source, cache)), options)
    tracker = TileProgress(len(tiles), progress)
    finds = []
    for index, find in enumerate(runner.results(job, tile_tasks(tiles, grid.stride), state, tracker.step)):
        finds.append(find)
        if index + 1 < len(tiles):
            tracker.step(index + 1)
    if is_cancelled and is_cancelled():
        raise Cancelled()
    merged = merge_finds(finds, grid, options.band_iou)
    area = None if extent is None else _extent_polygon(grid, extent, extent_crs)
    records = _records(merged, source, options, area)
    tracker.done()
    return EverythingResult(records, len(tiles), source.crs, options.tile_size)


def tile_mask_generator(model: LoadedModel, options: EverythingOptions) -> FastTileMasks | TileMaskGenerator:
    """What finds a tile's masks: ``FastTileMasks`` on a whole tile, segment_anything's generator with crops."""
    if options.crop_n_layers > 0:
        return TileMaskGenerator(model, options)
    return FastTileMasks(
        model,
        options.points_per_side,
        _points_per_batch(model, options),
        options.pred_iou_thresh,
        options.stability_score_thresh,
        options.box_nms_thresh,
    )


def _points_per_batch(model: LoadedModel, options: EverythingOptions) -> int:
    gpu = torch.device(model.device).type != "cpu"
    return options.points_per_batch or (GPU_POINTS_PER_BATCH if gpu else CPU_POINTS_PER_BATCH)


def resolve_tiling(options: EverythingOptions, model: LoadedModel) -> EverythingOptions:
    """The options with the tile size and overlap filled in: the model's tile (a fine-tuned decoder's
    learned scale) and the prompting overlap of that tile, unless given."""
    tile = model.tile_size if options.tile_size is None else options.tile_size
    overlap = prompt_overlap(tile) if options.overlap is None else options.overlap
    return replace(options, tile_size=tile, overlap=overlap)


def _records(
    merged: list[MergedObject], source: RasterSource, options: EverythingOptions, area
) -> list[dict]:
    post = PostProcess(options.min_area_m2, options.min_hole_m2, options.simplify_px)
    records = []
    for obj in merged:
        if area is not None and not obj.geometry.intersects(area):
            continue
        geometry = postprocess(obj.geometry, source.crs, post, pixel_size=abs(source.transform.a))
        if options.largest_part_only and not geometry.is_empty:
            geometry = MultiPolygon(
                [max(shapely.get_parts(geometry), key=lambda p: measure(p, source.crs).area_m2)]
            )
        if geometry.is_empty:
            continue
        measures = measure(geometry, source.crs)
        records.append(
            {
                "id": len(records) + 1,
                "geometry": geometry,
                "score": obj.score,
                "stability": obj.stability,
                "area_m2": measures.area_m2,
                "perimeter_m": measures.perimeter_m,
                "tiles": ";".join(f"{c},{r}" for c, r in obj.tiles),
            }
        )
    return records


def _extent_polygon(grid, extent, extent_crs):
    u0, v0, u1, v1 = grid.extent_to_pixel_box(*extent, extent_crs)
    xs, ys = grid.pixel_to_map([u0, u1, u1, u0], [v0, v0, v1, v1])
    return shapely.Polygon(zip(xs, ys))
