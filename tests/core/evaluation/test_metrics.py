"""Evaluation metrics (``sam_core.evaluation.metrics``) and evaluation of files on a raster grid (``sam_core.evaluation.evaluate``).

The pixel metrics are checked against confusion matrices counted by hand, including the empty and all-true
cases; the evaluation against polygons drawn on pixel edges, so every count is known exactly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections import deque
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import rasterio
import shapely
from affine import Affine
from cli_helpers import assert_user_error, run_cli
from pyproj import Transformer

from sam_core.cli import main as cli
from sam_core.errors import Cancelled, SamCoreError
from sam_core.evaluation import evaluate as ev
from sam_core.evaluation import inputs
from sam_core.evaluation.metrics import (
    ConfusionCounts,
    confusion,
    dice,
    fpr,
    image_accuracy,
    iou,
    overall,
    pixel_accuracy,
    precision,
    recall,
    tpr,
)
from sam_core.evaluation.objects import (
    ObjectOverlap,
    StreamingComponents,
    label_components,
    match_objects,
    object_hit_rate,
)


@pytest.fixture(autouse=True)
def _no_numeric_warnings():
    """A division by zero anywhere (numpy or Python) fails the test instead of passing quietly."""
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# -- pixel metrics -------------------------------------------------------------------------------------------
PRED = np.array(
    [
        [1, 1, 0, 0],
        [1, 1, 0, 0],
        [0, 1, 1, 0],
        [0, 0, 0, 0],
    ],
    bool,
)
REF = np.array(
    [
        [1, 1, 1, 0],
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 0, 1],
    ],
    bool,
)


def test_metrics_match_a_confusion_matrix_counted_by_hand():
    # TP: (0,0) (0,1) (1,0) (2,1) = 4; FP: (1,1) (2,2) = 2; FN: (0,2) (3,3) = 2; TN: 16 - 8 = 8
    counts = confusion(PRED, REF)
    assert counts == ConfusionCounts(tp=4, fp=2, fn=2, tn=8)
    assert counts.pixels == 16
    assert iou(PRED, REF) == pytest.approx(4 / 8)
    assert dice(PRED, REF) == pytest.approx(8 / 12)
    assert pixel_accuracy(PRED, REF) == pytest.approx(12 / 16)
    assert precision(PRED, REF) == pytest.approx(4 / 6)
    assert tpr(PRED, REF) == recall(PRED, REF) == pytest.approx(4 / 6)
    assert fpr(PRED, REF) == pytest.approx(2 / 10)  # FP / (FP + TN)
    assert counts.to_dict() == {
        "tp": 4,
        "fp": 2,
        "fn": 2,
        "tn": 8,
        "pixels": 16,
        **{k: pytest.approx(v) for k, v in counts.metrics().items()},
    }


def test_fpr_is_the_standard_rate_not_fp_over_fp_plus_fn():
    pred = np.zeros((4, 4), bool)
    ref = np.zeros((4, 4), bool)
    pred[0, :2] = True  # FP = 2
    ref[1:3, :3] = True  # FN = 6, TN = 16 - 2 - 6 = 8
    counts = confusion(pred, ref)
    assert (counts.fp, counts.fn, counts.tn) == (2, 6, 8)
    assert counts.fpr == pytest.approx(2 / (2 + 8))  # FP / (FP + FN), as some write-ups print it, would be 0.25


def test_non_boolean_masks_count_non_zero_as_positive():
    assert confusion(PRED.astype(np.uint8) * 255, REF.astype(float)) == confusion(PRED, REF)


def test_valid_mask_leaves_pixels_out_of_every_count():
    valid = np.ones((4, 4), bool)
    valid[0, :] = False  # drops TP (0,0) (0,1) and FN (0,2), and TN (0,3)
    assert confusion(PRED, REF, valid) == ConfusionCounts(tp=2, fp=2, fn=1, tn=7)


EMPTY = np.zeros((3, 5), bool)
FULL = np.ones((3, 5), bool)
HALF = np.zeros((3, 5), bool)
HALF[:, :2] = True  # 6 pixels


@pytest.mark.parametrize(
    ("pred", "ref", "expected"),
    [
        # both empty: perfect agreement, every 0/0 takes its best value
        (EMPTY, EMPTY, {"iou": 1, "dice": 1, "pixel_accuracy": 1, "precision": 1, "recall": 1, "fpr": 0}),
        # nothing predicted over an object: no false claim (precision 1) but everything missed
        (EMPTY, HALF, {"iou": 0, "dice": 0, "pixel_accuracy": 9 / 15, "precision": 1, "recall": 0, "fpr": 0}),
        # an object predicted over nothing: nothing to miss (recall 1), 6 of 15 negatives flagged
        (
            HALF,
            EMPTY,
            {"iou": 0, "dice": 0, "pixel_accuracy": 9 / 15, "precision": 0, "recall": 1, "fpr": 6 / 15},
        ),
        # both all true: no negative pixel, so FPR 0
        (FULL, FULL, {"iou": 1, "dice": 1, "pixel_accuracy": 1, "precision": 1, "recall": 1, "fpr": 0}),
        # all true over a partial reference: every negative flagged
        (
            FULL,
            HALF,
            {
                "iou": 6 / 15,
                "dice": 12 / 21,
                "pixel_accuracy": 6 / 15,
                "precision": 6 / 15,
                "recall": 1,
                "fpr": 1,
            },
        ),
        # nothing predicted over an all-true reference: no negatives either
        (EMPTY, FULL, {"iou": 0, "dice": 0, "pixel_accuracy": 0, "precision": 1, "recall": 0, "fpr": 0}),
    ],
    ids=["empty-empty", "empty-half", "half-empty", "full-full", "full-half", "empty-full"],
)
def test_empty_and_all_true_masks_have_documented_values(pred, ref, expected):
    metrics = confusion(pred, ref).metrics()
    for name, value in expected.items():
        assert metrics[name] == pytest.approx(value), name
    assert all(isinstance(v, float) and np.isfinite(v) for v in metrics.values())


def test_no_valid_pixel_at_all_gives_best_values_and_zero_pixels():
    counts = confusion(HALF, FULL, valid=EMPTY)
    assert counts == ConfusionCounts()
    best = {"iou": 1.0, "dice": 1.0, "pixel_accuracy": 1.0, "precision": 1.0, "recall": 1.0, "tpr": 1.0}
    assert counts.metrics() == {**best, "fpr": 0.0}
    json.dumps(counts.to_dict(), allow_nan=False)  # strict JSON: no NaN anywhere


def test_overall_sums_counts_and_accuracy_counts_images_strictly_above_half():
    images = [
        ConfusionCounts(tp=6, fp=2, fn=2, tn=90),  # IoU 0.6
        ConfusionCounts(tp=1, fp=1, fn=0, tn=8),  # IoU 0.5 exactly: not above 0.5
        ConfusionCounts(tp=40, fp=50, fn=10, tn=0),  # IoU 0.4
    ]
    result = overall(images)
    assert result["images"] == 3
    assert (result["tp"], result["fp"], result["fn"], result["tn"]) == (47, 53, 12, 98)
    assert result["iou"] == pytest.approx(47 / 112)  # from the summed counts ...
    assert result["mean_iou"] == pytest.approx((0.6 + 0.5 + 0.4) / 3)  # ... not the mean of the images
    assert result["accuracy"] == pytest.approx(1 / 3)
    assert image_accuracy([0.51, 0.5, 0.9, 0.0]) == pytest.approx(0.5)
    assert image_accuracy([]) == 1.0


# -- connected components ------------------------------------------------------------------------------------
def bfs_components(mask: np.ndarray, connectivity: int) -> np.ndarray:
    """Reference labelling, written the slow obvious way."""
    steps = [(0, 1), (1, 0), (0, -1), (-1, 0)]
    if connectivity == 8:
        steps += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    labels = np.zeros(mask.shape, int)
    count = 0
    for start in zip(*np.nonzero(mask)):
        if labels[start]:
            continue
        count += 1
        labels[start] = count
        queue = deque([start])
        while queue:
            r, c = queue.popleft()
            for dr, dc in steps:
                rr, cc = r + dr, c + dc
                if (
                    0 <= rr < mask.shape[0]
                    and 0 <= cc < mask.shape[1]
                    and mask[rr, cc]
                    and not labels[rr, cc]
                ):
                    labels[rr, cc] = count
                    queue.append((rr, cc))
    return labels


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Two labellings name the same components (possibly with other numbers)."""
    if not np.array_equal(a > 0, b > 0):
        return False
    pairs = set(zip(a[a > 0].tolist(), b[b > 0].tolist()))
    return len(pairs) == len(set(a[a > 0].tolist())) == len(set(b[b > 0].tolist()))


def test_diagonal_neighbours_join_only_with_8_connectivity():
    mask = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0]], bool)
    assert label_components(mask, 8)[1] == 1
    assert label_components(mask, 4)[1] == 2


@pytest.mark.parametrize("connectivity", [4, 8])
def test_components_match_a_breadth_first_search(connectivity):
    rng = np.random.default_rng(connectivity)
    for _ in range(40):
        shape = tuple(rng.integers(1, 30, 2))
        mask = rng.random(shape) < rng.uniform(0.2, 0.8)
        labels, count = label_components(mask, connectivity)
        expected = bfs_components(mask, connectivity)
        assert count == expected.max()
        assert same_partition(labels, expected)
        assert set(np.unique(labels[mask]).tolist()) == set(range(1, count + 1))


@pytest.mark.parametrize("connectivity", [4, 8])
def test_streaming_components_join_objects_across_strips(connectivity):
    rng = np.random.default_rng(10 + connectivity)
    u_shape = np.zeros((12, 9), bool)
    u_shape[:, 1] = u_shape[:, 7] = True
    u_shape[11, 1:8] = True  # a U: its two arms meet only in the last strip
    masks = [u_shape] + [rng.random((25, 17)) < 0.45 for _ in range(20)]
    for mask in masks:
        streaming = StreamingComponents(connectivity)
        strips, row = [], 0
        while row < mask.shape[0]:
            height = int(rng.integers(1, 5))
            strips.append(streaming.add(mask[row : row + height]))
            row += height
        final = streaming.final_ids()[np.concatenate(strips)]
        expected = bfs_components(mask, connectivity)
        assert final.max() == expected.max()
        assert same_partition(final, expected)
    assert label_components(u_shape, connectivity)[1] == 1


# -- objects -------------------------------------------------------------------------------------------------
def test_hit_rate_counts_reference_objects_matched_above_half():
    ref = np.zeros((20, 30), np.int32)
    pred = np.zeros((20, 30), np.int32)
    ref[0:10, 0:10] = 1  # A: 100 px; the prediction covers 80 of them plus 20 more: IoU 80/120
    pred[0:10, 2:12] = 1
    ref[12:14, 0:10] = 2  # B: 20 px; the prediction covers 10 plus 10 more: IoU 10/30
    pred[13:15, 0:10] = 2
    ref[0:4, 20:25] = 3  # C: 20 px; covered by a prediction twice its size: IoU exactly 0.5, not a hit
    pred[0:8, 20:25] = 3
    ref[16:20, 20:30] = 4  # D: missed entirely
    pred[16:20, 0:4] = 5  # a prediction over nothing
    match = match_objects(pred, ref)
    assert match.n_reference == 4
    assert match.n_hit == 1
    assert match.hit_rate == pytest.approx(1 / 4)
    assert dict(zip(match.reference_ids.tolist(), match.best_iou.tolist())) == pytest.approx(
        {1: 80 / 120, 2: 10 / 30, 3: 0.5, 4: 0.0}
    )
    assert (match.n_predicted, match.n_predicted_matched) == (4, 1)
    assert match.to_dict()["object_hit_rate"] == pytest.approx(0.25)
    # the same masks as binary images: their connected components are the same objects
    assert object_hit_rate(pred > 0, ref > 0) == pytest.approx(1 / 4)
    # a lower threshold also hits B's neighbour C (0.5 > 0.4)
    assert match_objects(pred, ref, threshold=0.4).n_hit == 2


def test_given_object_ids_keep_touching_objects_apart():
    ref = np.zeros((6, 8), np.int32)
    ref[:, :4] = 1
    ref[:, 4:] = 2  # two objects that touch: one connected component
    pred = np.zeros_like(ref)
    pred[:, :4] = 7
    assert object_hit_rate(pred, ref, labelled=True) == pytest.approx(1 / 2)
    assert object_hit_rate(pred > 0, ref > 0) == 0.0  # as components: one object of 48 px, IoU 0.5
    assert match_objects(np.zeros_like(ref), np.zeros_like(ref)).hit_rate == 1.0  # no objects: nothing missed


def test_object_overlap_accumulates_windows_and_joins_renamed_labels():
    rng = np.random.default_rng(3)
    pred_mask = rng.random((40, 30)) < 0.55
    ref_mask = rng.random((40, 30)) < 0.55
    valid = rng.random((40, 30)) < 0.9
    whole = match_objects(label_components(pred_mask)[0], label_components(ref_mask)[0], valid)
    overlap = ObjectOverlap()
    pred_stream, ref_stream = StreamingComponents(), StreamingComponents()
    for rows in (slice(0, 13), slice(13, 14), slice(14, 40)):
        overlap.add(pred_stream.add(pred_mask[rows]), ref_stream.add(ref_mask[rows]), valid[rows])
    joined = overlap.match(pred_ids=pred_stream.final_ids(), ref_ids=ref_stream.final_ids())
    assert joined.n_reference == whole.n_reference > 5
    assert np.array_equal(joined.reference_ids, whole.reference_ids)
    assert joined.best_iou == pytest.approx(whole.best_iou)
    assert joined.predicted_best_iou == pytest.approx(whole.predicted_best_iou)


# -- evaluating files on a raster grid -----------------------------------------------------------------------
def write_polygons(path: Path, geometries, crs: str) -> Path:
    kind = "Point" if all(g.geom_type == "Point" for g in geometries) else "Polygon"
    pyogrio.raw.write(
        str(path),
        geometry=np.asarray(shapely.to_wkb(geometries), dtype=object),
        field_data=[],
        fields=[],
        driver="GPKG" if path.suffix == ".gpkg" else "GeoJSON",
        geometry_type=kind,
        crs=crs,
    )
    return path


def pixel_box(transform: Affine, col0, row0, col1, row1) -> shapely.Polygon:
    """A polygon along pixel edges: columns [col0, col1), rows [row0, row1)."""
    x0, y0 = transform.c + transform.a * col0, transform.f + transform.e * row0  # north-up rasters
    x1, y1 = transform.c + transform.a * col1, transform.f + transform.e * row1
    return shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def reproject(geometries, src, dst, step: float):
    transformer = Transformer.from_crs(src, dst, always_xy=True)
    dense = shapely.segmentize(np.asarray(geometries, dtype=object), step)
    return list(shapely.transform(dense, lambda x, y: transformer.transform(x, y), interleaved=False))


def valid_pixels(raster: Path) -> int:
    with rasterio.open(raster) as ds:
        return int(np.count_nonzero(np.any(ds.read_masks() > 0, axis=0)))


# Reference objects on RGB.byte.tif's grid, as (col0, row0, col1, row1): A, B apart, and C just below A (two
# features, one connected area). The prediction shifts A 20 rows down (over C's first 20 rows), B 30 rows down.
REF_BOXES = [(300, 300, 400, 400), (500, 300, 550, 350), (300, 400, 400, 440)]
PRED_BOXES = [(300, 320, 400, 420), (500, 330, 550, 380)]
# ref = 10000 + 2500 + 4000 = 16500 px, pred = 12500 px; TP = 100 x 100 + 50 x 20 = 11000
EXPECTED = {"tp": 11000, "fp": 1500, "fn": 5500}


@pytest.fixture(scope="module")
def utm_layers(tmp_path_factory, rgb_tif) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("utm")
    with rasterio.open(rgb_tif) as ds:
        transform, crs = ds.transform, ds.crs.to_wkt()
        valid = np.any(ds.read_masks() > 0, axis=0)
    assert valid[300:440, 300:400].all() and valid[300:380, 500:550].all()  # so the counts above hold
    pred = write_polygons(folder / "pred.gpkg", [pixel_box(transform, *b) for b in PRED_BOXES], crs)
    ref = write_polygons(folder / "ref.gpkg", [pixel_box(transform, *b) for b in REF_BOXES], crs)
    return pred, ref


def check_expected_counts(row: dict, pixels: int) -> None:
    assert {k: row[k] for k in EXPECTED} == EXPECTED
    assert row["pixels"] == pixels
    assert row["tn"] == pixels - sum(EXPECTED.values())
    assert row["iou"] == pytest.approx(11000 / 18000)
    assert row["dice"] == pytest.approx(22000 / 29000)
    assert row["precision"] == pytest.approx(11000 / 12500)
    assert row["recall"] == row["tpr"] == pytest.approx(11000 / 16500)
    assert row["fpr"] == pytest.approx(1500 / (pixels - 16500))
    assert row["iou_above_threshold"] is True
    # A hit (IoU 8000/12000); B (1000/4000) and C (2000/12000) not; features are the objects
    assert (row["reference_objects"], row["reference_objects_hit"]) == (3, 1)
    assert row["object_hit_rate"] == pytest.approx(1 / 3)
    assert (row["predicted_objects"], row["predicted_objects_matched"]) == (2, 1)


def test_polygons_on_a_utm_raster_grid_count_only_valid_pixels(utm_layers, rgb_tif):
    pred, ref = utm_layers
    result = ev.evaluate([(pred, ref, rgb_tif)])
    row = result["images"][0]
    assert (row["image"], row["crs"], row["width"], row["height"]) == ("RGB.byte", "EPSG:32618", 791, 718)
    check_expected_counts(row, valid_pixels(rgb_tif))
    assert list(row) == list(ev.IMAGE_FIELDS)
    assert all(isinstance(row[k], t) for k, t in ev.IMAGE_FIELDS.items())
    everything = ev.evaluate([(pred, ref, rgb_tif)], ev.EvaluateOptions(include_nodata=True))["images"][0]
    assert everything["pixels"] == 791 * 718 and everything["tp"] == row["tp"]
    assert result["warnings"] == []


def test_polygons_in_epsg_4326_are_reprojected_to_the_utm_grid(tmp_path, rgb_tif):
    with rasterio.open(rgb_tif) as ds:
        transform, crs = ds.transform, ds.crs.to_wkt()
    pred = write_polygons(
        tmp_path / "pred.geojson",
        reproject([pixel_box(transform, *b) for b in PRED_BOXES], crs, "EPSG:4326", 30.0),
        "EPSG:4326",
    )
    ref = write_polygons(
        tmp_path / "ref.gpkg",
        reproject([pixel_box(transform, *b) for b in REF_BOXES], crs, "EPSG:4326", 30.0),
        "EPSG:4326",
    )
    row = ev.evaluate([(pred, ref, rgb_tif)])["images"][0]
    check_expected_counts(row, valid_pixels(rgb_tif))


def test_long_geographic_edges_are_densified_before_reprojection(tmp_path, rgb_tif, monkeypatch):
    # A box in EPSG:4326 whose edges are given by their corners only, against the same box drawn with a
    # vertex every 0.0005°: a parallel is a curve on the UTM grid, so both must burn the same pixels.
    with rasterio.open(rgb_tif) as ds:
        x0, y0, x1, y1 = Transformer.from_crs(ds.crs.to_wkt(), "EPSG:4326", always_xy=True).transform_bounds(
            *ds.bounds
        )
    box = shapely.box(
        x0 + 0.25 * (x1 - x0), y0 + 0.3 * (y1 - y0), x0 + 0.75 * (x1 - x0), y0 + 0.7 * (y1 - y0)
    )
    corners = write_polygons(tmp_path / "corners.geojson", [box], "EPSG:4326")
    dense = write_polygons(tmp_path / "dense.geojson", [shapely.segmentize(box, 0.0005)], "EPSG:4326")
    row = ev.evaluate([(corners, dense, rgb_tif)], ev.EvaluateOptions(include_nodata=True))["images"][0]
    assert row["tp"] > 100_000
    assert row["fp"] + row["fn"] <= 2
    monkeypatch.setattr(inputs, "DENSIFY_PIXELS", 1e9)  # without densifying, the edges cut straight across
    straight = ev.evaluate([(corners, dense, rgb_tif)], ev.EvaluateOptions(include_nodata=True))["images"][0]
    assert straight["fp"] + straight["fn"] > 50


def test_polygons_in_epsg_4326_on_a_web_mercator_raster(tmp_path, shade_tif):
    with rasterio.open(shade_tif) as ds:
        transform = ds.transform
        valid = ds.read_masks(1) > 0
    # the hillshade's valid pixels are patchy: find a fully valid 20 x 25 block (integral image)
    total = np.pad(valid.astype(np.int64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    full = total[20:, 25:] - total[:-20, 25:] - total[20:, :-25] + total[:-20, :-25] == 20 * 25
    r0, c0 = (int(v) for v in np.argwhere(full)[0])
    ref_box = pixel_box(transform, c0, r0, c0 + 20, r0 + 20)  # 400 px
    pred_box = pixel_box(transform, c0 + 5, r0, c0 + 25, r0 + 20)  # 300 px shared
    ref = write_polygons(
        tmp_path / "ref.geojson", reproject([ref_box], "EPSG:3857", "EPSG:4326", 1.0), "EPSG:4326"
    )
    pred = write_polygons(
        tmp_path / "pred.geojson", reproject([pred_box], "EPSG:3857", "EPSG:4326", 1.0), "EPSG:4326"
    )
    row = ev.evaluate([(pred, ref, shade_tif)])["images"][0]
    assert row["crs"] == "EPSG:3857"
    assert (row["tp"], row["fp"], row["fn"]) == (300, 100, 100)
    assert row["pixels"] == int(valid.sum()) == row["tp"] + row["fp"] + row["fn"] + row["tn"]
    assert row["iou"] == pytest.approx(300 / 500)
    assert row["reference_objects_hit"] == 1


def write_mask(path: Path, mask: np.ndarray, transform: Affine, crs, nodata=None) -> Path:
    height, width = mask.shape
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=1, dtype="uint8", crs=crs,
        transform=transform, nodata=nodata,
    ) as ds:  # fmt: skip
        ds.write(mask.astype(np.uint8), 1)
    return path


@pytest.fixture(scope="module")
def mask_rasters(tmp_path_factory, rgb_tif):
    """A reference mask on RGB.byte.tif's grid and a prediction on a grid three times finer."""
    folder = tmp_path_factory.mktemp("masks")
    with rasterio.open(rgb_tif) as ds:
        transform, crs, shape = ds.transform, ds.crs, (ds.height, ds.width)
    ref = np.zeros(shape, np.uint8)
    ref[100:400, 100:120] = ref[100:400, 200:220] = 255  # a U over 300 rows (many strips)
    ref[380:400, 100:220] = 255
    ref[500:520, 600:640] = 255  # a second object
    pred = np.zeros(shape, np.uint8)
    pred[110:400, 100:120] = pred[110:400, 200:220] = 1  # the U, 10 rows short on each arm
    pred[380:400, 100:220] = 1
    pred[600:610, 10:20] = 1  # a false object
    fine = np.repeat(np.repeat(pred, 3, axis=0), 3, axis=1)
    fine_transform = transform @ Affine.scale(1 / 3)
    return (
        write_mask(folder / "pred_fine.tif", fine, fine_transform, crs),
        write_mask(folder / "ref.tif", ref, transform, crs, nodata=0),
        ref > 0,
        pred > 0,
    )


def test_two_rasters_are_compared_on_the_reference_grid(mask_rasters):
    pred_tif, ref_tif, ref, pred = mask_rasters
    row = ev.evaluate([(pred_tif, ref_tif)])["images"][0]
    expected = confusion(pred, ref)  # the finer prediction resampled (nearest) onto the reference grid
    assert (row["tp"], row["fp"], row["fn"], row["tn"]) == (
        expected.tp,
        expected.fp,
        expected.fn,
        expected.tn,
    )
    assert row["pixels"] == 791 * 718  # a grid taken from a mask counts every pixel (nodata 0 = background)
    assert (row["image"], row["grid"]) == ("ref", str(ref_tif))
    assert (row["reference_objects"], row["reference_objects_hit"]) == (2, 1)  # the U is one object
    assert (row["predicted_objects"], row["predicted_objects_matched"]) == (2, 1)


def test_a_mask_without_crs_is_taken_to_be_on_the_grid_with_a_warning(tmp_path, mask_rasters, rgb_tif):
    _pred_tif, ref_tif, ref, _pred = mask_rasters
    with rasterio.open(rgb_tif) as ds:
        transform = ds.transform
    bare = write_mask(tmp_path / "bare.tif", ref, transform, None)
    result = ev.evaluate([(bare, ref_tif)])
    assert result["images"][0]["iou"] == 1.0 and result["images"][0]["tp"] == int(ref.sum())
    assert len(result["warnings"]) == 1 and "bare.tif has no CRS" in result["warnings"][0]


def test_layers_of_a_geopackage_are_chosen_by_name(tmp_path, utm_layers, rgb_tif, capsys):
    _pred, ref = utm_layers
    with rasterio.open(rgb_tif) as ds:
        transform, crs = ds.transform, ds.crs.to_wkt()
    two = tmp_path / "two.gpkg"
    for name, boxes in (("missed", [(10, 10, 20, 20)]), ("shifted", PRED_BOXES)):
        geometry = np.asarray(shapely.to_wkb([pixel_box(transform, *b) for b in boxes]), dtype=object)
        pyogrio.raw.write(
            str(two), geometry=geometry, field_data=[], fields=[], layer=name, driver="GPKG",
            geometry_type="Polygon", crs=crs, append=name == "shifted",
        )  # fmt: skip
    first = ev.evaluate([(two, ref, rgb_tif)])
    assert first["images"][0]["tp"] == 0
    assert first["warnings"] == ["prediction two.gpkg has 2 layers: the first, 'missed', is used"]
    assert (
        cli.main(["evaluate", str(two), str(ref), "--raster", str(rgb_tif), "--pred-layer", "shifted"]) == 0
    )
    captured = capsys.readouterr()
    assert json.loads(captured.out)["images"][0]["tp"] == EXPECTED["tp"]
    assert [line for line in captured.err.splitlines() if not line.startswith("progress: ")] == []
    assert cli.main(["evaluate", str(two), str(ref), "--raster", str(rgb_tif)]) == 0
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"warning: {first['warnings'][0]}"


def test_strips_give_the_same_result_as_one_window(mask_rasters, rgb_tif, utm_layers):
    pred_tif, ref_tif, _ref, _pred = mask_rasters
    pred_gpkg, _ref_gpkg = utm_layers
    images = [(pred_tif, ref_tif), (pred_gpkg, ref_tif, rgb_tif)]
    whole = ev.evaluate(images, ev.EvaluateOptions(window_pixels=10**9))
    strips = ev.evaluate(images, ev.EvaluateOptions(window_pixels=791 * 7))  # 7-row strips: the U's arms meet in a late strip
    assert strips["images"] == whole["images"]
    assert strips["overall"] == whole["overall"]
    assert whole["images"][0]["reference_objects"] == 2


def test_several_images_give_overall_figures_from_summed_counts(mask_rasters, utm_layers, rgb_tif):
    pred_tif, ref_tif, _ref, _pred = mask_rasters
    pred_gpkg, ref_gpkg = utm_layers
    fractions = []
    result = ev.evaluate([(pred_tif, ref_tif), (pred_gpkg, ref_gpkg, rgb_tif)], progress=fractions.append)
    rows, total = result["images"], result["overall"]
    assert total["images"] == 2
    for key in ("tp", "fp", "fn", "tn", "reference_objects", "reference_objects_hit"):
        assert total[key] == rows[0][key] + rows[1][key]
    assert total["iou"] == pytest.approx(total["tp"] / (total["tp"] + total["fp"] + total["fn"]))
    assert total["mean_iou"] == pytest.approx((rows[0]["iou"] + rows[1]["iou"]) / 2)
    assert total["accuracy"] == pytest.approx(sum(r["iou"] > 0.5 for r in rows) / 2)
    assert total["object_hit_rate"] == pytest.approx(
        total["reference_objects_hit"] / total["reference_objects"]
    )
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert "FP / (FP + TN)" in result["definitions"]["fpr"]


def test_cancel_raises_and_returns_nothing(utm_layers, rgb_tif):
    pred, ref = utm_layers
    with pytest.raises(Cancelled):
        ev.evaluate([(pred, ref, rgb_tif)], is_cancelled=lambda: True)


def test_bad_inputs_are_one_readable_error(tmp_path, utm_layers, rgb_tif):
    pred, ref = utm_layers
    points = write_polygons(tmp_path / "points.geojson", [shapely.Point(300000, 2800000)], "EPSG:32618")
    with pytest.raises(SamCoreError, match="polygons are needed"):
        ev.evaluate([(points, ref, rgb_tif)])
    with pytest.raises(SamCoreError, match="--raster"):
        ev.evaluate([(pred, ref)])
    with pytest.raises(SamCoreError, match="reference not found"):
        ev.evaluate([(pred, tmp_path / "missing.gpkg", rgb_tif)])
    with pytest.raises(SamCoreError, match="cannot read reference"):
        ev.evaluate([(pred, write_text(tmp_path / "junk.tif", "not a raster"), rgb_tif)])


def write_text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# -- the command line ----------------------------------------------------------------------------------------
def test_cli_prints_json_and_writes_the_report_atomically(tmp_path, utm_layers, rgb_tif):
    pred, ref = utm_layers
    out = tmp_path / "report.json"
    out.write_text("old report")
    result = run_cli("evaluate", pred, ref, "--raster", rgb_tif, "--out", out, timeout=120)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert json.loads(out.read_text()) == printed
    check_expected_counts(printed["images"][0], valid_pixels(rgb_tif))
    assert printed["overall"]["accuracy"] == 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary file left


def test_cli_errors_exit_2_with_one_line_and_leave_the_report_alone(tmp_path, utm_layers, rgb_tif):
    pred, _ref = utm_layers
    out = tmp_path / "report.json"
    out.write_text("old report")
    result = run_cli(
        "evaluate", pred, tmp_path / "missing.gpkg", "--raster", rgb_tif, "--out", out, timeout=120
    )
    assert_user_error(result, "reference not found", "missing.gpkg")
    assert out.read_text() == "old report"
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["{pred}", "{ref}"], ["--raster"]),  # two polygon layers and no grid
        (["{pred}", "{ref}", "{pred}"], ["pairs"]),
        (["{pred}", "{ref}", "--raster", "{rgb}", "--out", "{tmp}/report.txt"], [".json"]),
        (["{pred}", "{ref}", "--raster", "{rgb}", "--out", "{tmp}/nowhere/report.json"], ["does not exist"]),
        (["{pred}", "{ref}", "--raster", "{tmp}/none.tif"], ["raster not found"]),
        (["{pred}", "{ref}", "--raster", "{rgb}", "--connectivity", "6"], ["connectivity"]),
        (["{pred}", "{ref}", "--raster", "{rgb}", "--pred-layer", "nope"], ["cannot read prediction"]),
        (["{pred}", "{ref}"] * 2 + ["--raster", "{rgb}"] * 3, ["2 PRED REF pairs", "not 3"]),
    ],
    ids=["no-grid", "odd", "not-json", "no-folder", "no-raster", "connectivity", "layer", "rasters"],
)
def test_cli_user_errors(tmp_path, utm_layers, rgb_tif, capsys, args, words):
    pred, ref = utm_layers
    argv = [a.format(pred=pred, ref=ref, rgb=rgb_tif, tmp=tmp_path) for a in args]
    assert cli.main(["evaluate", *argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert all(word in lines[0] for word in words), lines[0]
    assert captured.out == ""
    assert list(tmp_path.iterdir()) == []


def test_cli_evaluates_one_pair_on_each_raster(utm_layers, rgb_tif, rgba_tif, capsys):
    pred, ref = utm_layers
    assert (
        cli.main(["evaluate", str(pred), str(ref), "--raster", str(rgb_tif), "--raster", str(rgba_tif)]) == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert [row["image"] for row in result["images"]] == ["RGB.byte", "RGBA.byte"]
    assert result["overall"]["images"] == 2
    assert result["images"][0]["tp"] == result["images"][1]["tp"] == EXPECTED["tp"]


def test_metrics_need_only_numpy_and_evaluate_no_qt():
    code = (
        "import sys\n"
        "import sam_core.evaluation.metrics, sam_core.evaluation.objects\n"
        "numpy_only = not {'rasterio', 'pyogrio', 'shapely', 'pyproj', 'torch'} & set(sys.modules)\n"
        "import sam_core.evaluation.evaluate\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in {'qgis', 'PyQt5', 'PyQt6', 'sip', 'torch'})\n"
        "print(numpy_only, qt)\n"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True []"
