"""Evaluate a segmentation against a reference: polygon layers or mask rasters, compared on a raster's grid.

Inputs and the grid (``inputs``). Each of the prediction and the reference is either a polygon layer
(GeoPackage, GeoJSON, any vector file GDAL reads; the first layer unless one is named) or a mask raster (band
1; a pixel is positive where its value is non-zero, not nodata and not NaN). Both are rasterised on the grid
of ``raster`` (its size, transform and CRS). Without ``raster`` the reference raster's grid is used, else the
prediction raster's; two polygon layers need a ``raster``. Polygons are reprojected to the grid's CRS (edges
densified first, so a straight edge in one CRS follows its true curve in the other) and burnt with GDAL's
rule: a pixel belongs to a polygon when its centre is inside. A mask raster on another grid is resampled onto
it with nearest neighbour. A layer or raster without a CRS is taken to be in the grid's CRS (with a warning).

Which pixels count. With ``raster`` given, only its valid pixels (not nodata, alpha or mask band) are counted,
unless ``include_nodata`` is set; on a grid taken from a mask raster every pixel counts.

Objects. A polygon layer's objects are its features (a multi-part feature is one object; where features of one
layer overlap, the later feature gets the shared pixels). A mask raster's objects are its connected components
(8-connectivity unless ``connectivity=4``).

Memory stays bounded: the grid is processed in strips of about ``window_pixels`` pixels (full width), and
connected components are joined across strips (see ``objects``). Metric definitions, and the values used when
a mask is empty or all true, are in ``metrics`` and ``objects``; overall figures come from the summed
confusion counts. Every setting is one ``EvaluateOptions``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rasterio.windows import Window

from ..errors import Cancelled, SamCoreError
from ..geo.output import write_json
from ..geo.raster import bound_gdal_cache
from ..schema import IMAGE_FIELDS  # noqa: F401 - one image's row; its home was here
from .inputs import grid_for, open_input
from .metrics import IOU_THRESHOLD, ConfusionCounts, confusion, overall
from .objects import ObjectMatch, ObjectOverlap, StreamingComponents

#: Pixels per strip (full raster width): bounds the memory of an evaluation whatever the raster's size
#: (about 100 MB above the imports for 2 million pixels).
WINDOW_PIXELS = 2_000_000


DEFINITIONS = {
    "iou": "TP / (TP + FP + FN)",
    "dice": "2 TP / (2 TP + FP + FN)",
    "pixel_accuracy": "(TP + TN) / pixels",
    "precision": "TP / (TP + FP)",
    "recall": "TPR = TP / (TP + FN)",
    "fpr": "FP / (FP + TN), the standard false positive rate (not FP / (FP + FN), as some write-ups print)",
    "zero_denominator": "a metric whose denominator is 0 takes its best value (1, or 0 for FPR)",
    "accuracy": "share of images whose IoU is greater than the threshold (as in SAM fine-tuning recipes)",
    "object_hit_rate": "share of reference objects matched by one predicted object with IoU > threshold",
    "objects": "features of a polygon layer; connected components of a mask raster",
    "overall": "metrics of the confusion counts summed over all images (micro average); mean_iou averages "
    "the images' IoU",
}


# -- options -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvaluateOptions:
    """How predictions are compared with references, the same for every image of a run (see the module)."""

    pred_layer: str | int | None = None  # layer of the prediction files (None: the first)
    ref_layer: str | int | None = None  # layer of the reference files (None: the first)
    include_nodata: bool = False  # count the grid raster's nodata pixels too
    connectivity: int = 8  # of a mask raster's objects: 4 or 8
    threshold: float = IOU_THRESHOLD  # an object or an image is hit when its IoU is greater
    window_pixels: int = WINDOW_PIXELS  # pixels per strip: bounds the memory

    def validate(self) -> None:
        if self.connectivity not in (4, 8):
            raise SamCoreError(f"connectivity is 4 or 8, not {self.connectivity}")
        if not 0.0 <= self.threshold < 1.0:
            raise SamCoreError(f"the IoU threshold must be in [0, 1), not {self.threshold}")


# -- one image -----------------------------------------------------------------------------------------------
@dataclass
class ImageEvaluation:
    """One image's result: confusion counts, object matches and its row for the report."""

    counts: ConfusionCounts
    objects: ObjectMatch
    row: dict
    warnings: list[str] = field(default_factory=list)


def evaluate_image(
    pred,
    ref,
    raster=None,
    options: EvaluateOptions | None = None,
    *,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> ImageEvaluation:
    """Compare ``pred`` with ``ref`` (paths of polygon files or mask rasters) on one grid (see the module)."""
    options = options or EvaluateOptions()
    bound_gdal_cache()
    opened: list = []
    try:
        pred_in = open_input(pred, "prediction", options.pred_layer)
        opened.append(pred_in)
        ref_in = open_input(ref, "reference", options.ref_layer)
        opened.append(ref_in)
        grid = grid_for(raster, pred_in, ref_in, options.include_nodata, opened)
        warnings: list[str] = []
        pred_in.to_grid(grid, warnings)
        ref_in.to_grid(grid, warnings)
        counts, objects = _compare(pred_in, ref_in, grid, options, progress, is_cancelled)
    finally:
        for item in reversed(opened):
            item.close()
    row = {
        "image": (Path(raster) if raster is not None else grid.path).stem,
        "pred": str(pred),
        "ref": str(ref),
        "grid": str(grid.path),
        "crs": grid.crs_label,
        "width": grid.width,
        "height": grid.height,
        **counts.to_dict(),
        "iou_above_threshold": counts.iou > options.threshold,
        **objects.to_dict(),
    }
    return ImageEvaluation(counts, objects, row, warnings)


def _compare(pred_in, ref_in, grid, options: EvaluateOptions, progress, is_cancelled):
    rows_per_strip = max(1, int(options.window_pixels) // max(grid.width, 1))
    components = {
        "pred": None if pred_in.is_vector else StreamingComponents(options.connectivity),
        "ref": None if ref_in.is_vector else StreamingComponents(options.connectivity),
    }
    counts = ConfusionCounts()
    overlap = ObjectOverlap()
    for row_off in range(0, grid.height, rows_per_strip):
        if is_cancelled is not None and is_cancelled():
            raise Cancelled()
        window = Window(0, row_off, grid.width, min(rows_per_strip, grid.height - row_off))
        valid = grid.valid(window)
        labels = {}
        for key, source in (("pred", pred_in), ("ref", ref_in)):
            data = source.read(window, grid)
            labels[key] = components[key].add(data) if components[key] is not None else data
        counts = counts + confusion(labels["pred"] > 0, labels["ref"] > 0, valid)
        overlap.add(labels["pred"], labels["ref"], valid)
        if progress is not None:
            progress(min(1.0, (row_off + window.height) / grid.height))
    final = {k: (c.final_ids() if c is not None else None) for k, c in components.items()}
    return counts, overlap.match(options.threshold, pred_ids=final["pred"], ref_ids=final["ref"])


# -- several images ------------------------------------------------------------------------------------------
def evaluate(
    images: Sequence[tuple],
    options: EvaluateOptions | None = None,
    *,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> dict:
    """Evaluate several images, each ``(pred, ref)`` or ``(pred, ref, raster)``; per image and overall.

    Returns plain JSON data: ``images`` (one row per image, fields ``IMAGE_FIELDS``), ``overall`` (metrics of
    the summed confusion counts, ``mean_iou``, the image ``accuracy`` of SAM fine-tuning recipes, object
    counts and hit rate), ``settings``, ``definitions`` and ``warnings``. Raises ``SamCoreError`` for bad
    input and ``Cancelled`` when ``is_cancelled()`` turns true; nothing is returned in part.
    """
    options = options or EvaluateOptions()
    if not images:
        raise SamCoreError("nothing to evaluate: give at least one prediction and reference")
    options.validate()
    results: list[ImageEvaluation] = []
    for index, image in enumerate(images):
        if len(image) not in (2, 3):
            raise SamCoreError("each image is (prediction, reference) or (prediction, reference, raster)")
        pred, ref, raster = (*image, None) if len(image) == 2 else image

        def image_progress(fraction: float, index=index) -> None:
            if progress is not None:
                progress((index + fraction) / len(images))

        results.append(
            evaluate_image(pred, ref, raster, options, progress=image_progress, is_cancelled=is_cancelled)
        )
    return {
        "images": [r.row for r in results],
        "overall": _overall(results, options.threshold),
        "settings": {
            "iou_threshold": options.threshold,
            "connectivity": options.connectivity,
            "include_nodata": options.include_nodata,
        },
        "definitions": DEFINITIONS,
        "warnings": [w for r in results for w in r.warnings],
    }


def _overall(results: list[ImageEvaluation], threshold: float) -> dict:
    """Metrics of the summed counts, the mean IoU and image accuracy, and the objects over all images."""
    n_ref = sum(r.objects.n_reference for r in results)
    n_hit = sum(r.objects.n_hit for r in results)
    summary = overall([r.counts for r in results], threshold)
    summary.update(
        {
            "reference_objects": n_ref,
            "reference_objects_hit": n_hit,
            "object_hit_rate": n_hit / n_ref if n_ref else 1.0,
            "predicted_objects": sum(r.objects.n_predicted for r in results),
            "predicted_objects_matched": sum(r.objects.n_predicted_matched for r in results),
        }
    )
    return summary


def write_report(path: str | os.PathLike, result: dict) -> Path:
    """Write an evaluation result as JSON, atomically (an existing file is replaced only on success)."""
    return write_json(path, result)
