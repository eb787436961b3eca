"""Segment everything: seam merging, extent-shift invariance, bounded memory, cancel, the CLI, post-processing.

The merge tests need no model: "truth" objects are full-raster boolean masks, and each tile reports the part
it sees exactly as ``sam_core.prompting.everything`` builds its ``TileObject`` (tile-sized mask traced in raster pixel
coordinates, ``is_cut`` against the raster window), so every expected geometry and area is known exactly.

The other tests run the tiny random-weight SAM. Its masks are pixel noise over a whole tile, so every object
it finds is tile-sized; where a test needs objects smaller than a tile it confines them with nodata.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from affine import Affine
from cancel_helpers import CancelMidTile
from cli_helpers import assert_user_error, run_cli
from distributed_helpers import ISLAND_ORIGIN, write_island_raster
from pyproj import CRS

from bench.rasters import write_test_raster
from sam_core.errors import Cancelled
from sam_core.geo.measures import measure
from sam_core.geo.raster import RasterSource
from sam_core.geo.tiles import TileGrid
from sam_core.geo.vectorize import mask_to_geometry
from sam_core.prompting.everything import EverythingOptions, segment_everything
from sam_core.prompting.merge import TileObject, merge_tile_objects

ROOT = Path(__file__).resolve().parents[3]

# -- merge rule on synthetic masks ---------------------------------------------------------------------
# 10 m pixels, tiles of 400 px overlapping by 100 (stride 300): windows start at 0, 300, 600, so the
# overlap bands ("seams") are columns/rows [300, 400) and [600, 700).

PX = 10.0
MERGE_TRANSFORM = Affine(PX, 0.0, 500_000.0, 0.0, -PX, 5_000_000.0)
UTM33N = CRS.from_epsg(32633)


def make_grid(size: int = 1000) -> TileGrid:
    return TileGrid(size, size, MERGE_TRANSFORM, UTM33N, tile_size=400, overlap=100)


def rect(grid: TileGrid, c0: int, r0: int, c1: int, r1: int) -> np.ndarray:
    """Truth mask of columns [c0, c1) and rows [r0, r1)."""
    mask = np.zeros((grid.height, grid.width), bool)
    mask[r0:r1, c0:c1] = True
    return mask


def ring(grid: TileGrid, cx: float, cy: float, radius: float, hole: float = 0.0, squash: float = 1.0):
    """Truth mask of an ellipse (x radius ``radius``, y radius ``radius * squash``) with a round hole."""
    rows, cols = np.mgrid[: grid.height, : grid.width]
    dx, dy = cols + 0.5 - cx, (rows + 0.5 - cy) / squash
    d2 = dx * dx + dy * dy
    return (d2 <= radius * radius) & (d2 >= hole * hole)


def tile_mask(truth: np.ndarray, tile) -> np.ndarray:
    """What one tile sees of a truth mask (the window may extend past the raster: padding is False)."""
    w, v = tile.window, tile.valid_window
    top, left = v.row_off - w.row_off, v.col_off - w.col_off
    mask = np.zeros((w.height, w.width), bool)
    mask[top : top + v.height, left : left + v.width] = truth[v.row_off : v.row_end, v.col_off : v.col_end]
    return mask


def tile_object(grid: TileGrid, tile, mask: np.ndarray, score: float, stability: float = 0.95) -> TileObject:
    """A TileObject built as ``everything._tile_objects`` builds it."""
    return TileObject.from_mask(mask, tile, score, stability, grid.raster_window)


def observe(grid: TileGrid, truth: np.ndarray, base_score: float = 0.5) -> list[TileObject]:
    """Every tile's view of one truth object, each with its own score (higher for later tiles)."""
    found = []
    for index, tile in enumerate(grid.tiles()):
        mask = tile_mask(truth, tile)
        if mask.any():
            found.append(tile_object(grid, tile, mask, base_score + 0.001 * index, 0.9 + 0.001 * index))
    return found


def truth_geometry(truth: np.ndarray):
    return mask_to_geometry(truth, MERGE_TRANSFORM)


def truth_area(truth: np.ndarray) -> float:
    return float(truth.sum()) * PX * PX


def assert_same_merge(a, b) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.geometry.equals(y.geometry)
        assert (x.score, x.stability, x.tiles) == (y.score, y.stability, y.tiles)


def _spanning_cases():
    g, g950 = make_grid(), make_grid(950)
    return {
        # a disc with a hole straddling the vertical seam [300, 400): neither tile sees it whole
        "two tiles": (g, ring(g, 350, 200, 90, hole=20), [(0, 0), (1, 0)]),
        # an ellipse crossing both vertical seams: tiles (0,0) and (2,0) share no band, (1,0) links them
        "three tiles": (g, ring(g, 450, 200, 200, hole=15, squash=0.25), [(0, 0), (1, 0), (2, 0)]),
        # a ring around the corner where four tiles overlap
        "corner": (g, ring(g, 350, 350, 120, hole=30), [(0, 0), (1, 0), (0, 1), (1, 1)]),
        # a 950-px raster: the last tiles are padded; the object runs to the raster's right edge
        "corner at the raster edge": (g950, rect(g950, 550, 650, 950, 750), [(1, 1), (2, 1), (1, 2), (2, 2)]),
    }


@pytest.mark.parametrize("case", ["two tiles", "three tiles", "corner", "corner at the raster edge"])
def test_fragments_of_an_object_across_seams_join_into_exactly_the_object(case):
    grid, truth, tiles = _spanning_cases()[case]
    seen = observe(grid, truth)
    assert sorted((o.tile.col, o.tile.row) for o in seen) == sorted(tiles)
    assert all(o.cut for o in seen), "the object should not fit in any one tile"
    assert all(o.geometry.area < truth_area(truth) for o in seen)

    merged = merge_tile_objects(seen, grid)

    assert len(merged) == 1
    (obj,) = merged
    # pixel-exact union: integer pixel corners map to the same coordinates from every tile
    assert obj.geometry.area == pytest.approx(truth_area(truth), rel=1e-12)
    assert obj.geometry.equals(truth_geometry(truth))
    assert obj.geometry.is_valid
    assert set(obj.tiles) == set(tiles) and len(obj.tiles) == len(tiles)
    best = max(seen, key=lambda o: o.score)
    assert (obj.score, obj.stability) == (best.score, best.stability)


@pytest.mark.parametrize(
    ("box", "best"),
    [
        # inside the vertical band [300, 400), rows of the first tile row only: seen whole by two tiles
        ((320, 120, 380, 200), (0, 0)),
        ((320, 120, 380, 200), (1, 0)),
        # inside the square where four tiles overlap
        ((320, 320, 380, 380), (0, 1)),
        ((320, 320, 380, 380), (1, 1)),
    ],
)
def test_an_object_seen_whole_by_several_tiles_is_kept_once_with_the_best_score(box, best):
    grid = make_grid()
    truth = rect(grid, *box)
    objects = []
    for index, tile in enumerate(t for t in grid.tiles() if tile_mask(truth, t).any()):
        # each tile's mask differs a little (a different corner pixel missing), as two SAM passes would
        variant = truth.copy()
        variant[box[1] if index < 2 else box[3] - 1, box[0] if index % 2 == 0 else box[2] - 1] = False
        score = 0.95 if (tile.col, tile.row) == best else 0.6 + 0.01 * index
        objects.append(tile_object(grid, tile, tile_mask(variant, tile), score, stability=0.5 + 0.01 * index))
    assert len(objects) in (2, 4) and not any(o.cut for o in objects)
    winner = next(o for o in objects if (o.tile.col, o.tile.row) == best)

    merged = merge_tile_objects(objects, grid)

    assert len(merged) == 1
    (obj,) = merged
    assert obj.score == 0.95 and obj.stability == winner.stability
    assert obj.geometry.equals(winner.geometry), "a duplicate keeps the best member, not a union"
    assert obj.geometry.area == pytest.approx(truth_area(truth) - PX * PX, rel=1e-12)
    assert set(obj.tiles) == {(o.tile.col, o.tile.row) for o in objects}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((250, 100, 350, 200), (350, 100, 450, 200)),  # shared vertical edge in the middle of the band
        ((200, 100, 300, 200), (300, 100, 450, 200)),  # shared edge on tile (1,0)'s left edge
        ((250, 100, 400, 200), (400, 100, 500, 200)),  # shared edge on tile (0,0)'s right edge
        ((200, 100, 350, 200), (200, 200, 350, 300)),  # shared horizontal edge running across the band
        ((250, 250, 350, 350), (350, 350, 450, 450)),  # a shared corner point in the four-tile square
    ],
)
def test_objects_that_only_touch_at_a_seam_stay_distinct(a, b):
    grid = make_grid()
    truths = [rect(grid, *a), rect(grid, *b)]
    assert not (truths[0] & truths[1]).any()
    seen = observe(grid, truths[0], 0.5) + observe(grid, truths[1], 0.7)
    assert any(o.cut for o in seen)

    merged = merge_tile_objects(seen, grid)

    assert len(merged) == 2
    expected = [truth_geometry(t) for t in truths]
    for geometry in expected:
        assert sum(m.geometry.equals(geometry) for m in merged) == 1
    assert sum(m.geometry.area for m in merged) == pytest.approx(sum(map(truth_area, truths)), rel=1e-12)


@pytest.mark.parametrize(
    ("small", "tile"),
    [
        ((280, 100, 296, 116), (0, 0)),  # 4 px left of tile (1,0)'s first column
        ((405, 100, 420, 116), (1, 0)),  # 5 px right of tile (0,0)'s last column
    ],
)
def test_a_small_object_near_a_seam_seen_by_one_tile_is_unchanged(small, tile):
    grid = make_grid()
    truth = rect(grid, *small)
    neighbour = rect(grid, 300, 130, 400, 160)  # spans the band just below it, without touching it
    seen = observe(grid, truth, 0.8)
    assert len(seen) == 1 and not seen[0].cut
    (only,) = seen
    objects = seen + observe(grid, neighbour, 0.4)

    merged = merge_tile_objects(objects, grid)

    assert len(merged) == 2
    (obj,) = [m for m in merged if m.geometry.intersects(only.geometry)]
    assert obj.geometry.equals(only.geometry) and obj.geometry.equals(truth_geometry(truth))
    assert (obj.score, obj.stability, obj.tiles) == (only.score, only.stability, (tile,))


def _scene():
    """Every kind of seam situation at once, on separate parts of a 1000-px raster."""
    grid = make_grid()
    truths = {
        "two tiles": ring(grid, 350, 200, 60, hole=15),
        "corner": ring(grid, 650, 650, 80, hole=20),
        "touching a": rect(grid, 250, 450, 350, 520),
        "touching b": rect(grid, 350, 450, 450, 520),
        "small": rect(grid, 560, 850, 590, 880),
        "three tiles": ring(grid, 450, 950, 200, squash=0.1),
    }
    objects = []
    for k, truth in enumerate(truths.values()):
        objects += observe(grid, truth, 0.1 * (k + 1))
    # a duplicate in the band [600, 700) of the first tile row: tiles (1,0) and (2,0) see it whole, differently
    duplicate = rect(grid, 620, 100, 680, 160)
    variants = []
    for index, tile in enumerate(t for t in grid.tiles() if tile_mask(duplicate, t).any()):
        variant = duplicate.copy()
        variant[100, 620 + 59 * index] = False
        variants.append(tile_object(grid, tile, tile_mask(variant, tile), 0.7 - 0.1 * index))
    expected = [truth_geometry(t) for t in truths.values()] + [variants[0].geometry]
    return grid, objects + variants, expected


def test_the_merge_does_not_depend_on_the_order_of_the_tile_objects():
    grid, objects, expected = _scene()
    baseline = merge_tile_objects(objects, grid)
    assert len(baseline) == len(expected) == 7
    for geometry in expected:
        assert sum(m.geometry.equals(geometry) for m in baseline) == 1

    for seed in range(6):
        shuffled = objects.copy()
        random.Random(seed).shuffle(shuffled)
        assert shuffled != objects
        assert_same_merge(merge_tile_objects(shuffled, grid), baseline)
    assert_same_merge(merge_tile_objects(objects[::-1], grid), baseline)


# -- the tiny model ------------------------------------------------------------------------------------


def fast_options(**changes) -> EverythingOptions:
    """Few prompts, every mask kept (the random model's quality scores are meaningless)."""
    base = {
        "points_per_side": 2,
        "pred_iou_thresh": 0.0,
        "stability_score_thresh": 0.0,
        "min_region_px": 0,
        "tile_size": 512,
        "overlap": 128,
    }
    return EverythingOptions(**{**base, **changes})


def test_objects_inside_two_shifted_extents_do_not_depend_on_where_the_extent_starts(tmp_path, model):
    path = write_island_raster(tmp_path / "islands.tif")
    options = fast_options()
    x0, y0 = ISLAND_ORIGIN
    first_extent = (x0, y0 - 1150, x0 + 1530, y0)
    shift = 0.37 * options.tile_size  # in metres: 1 m pixels
    second_extent = (first_extent[0] + shift, first_extent[1], first_extent[2] + shift, first_extent[3])

    with RasterSource(path) as source:
        first = segment_everything(source, model, extent=first_extent, options=options)
        second = segment_everything(source, model, extent=second_extent, options=options)

    # the shift changes which tiles run (the second extent reaches a fifth tile column, not the first one's
    # objects at the far left), so the two results as a whole differ
    assert (first.tiles, second.tiles) == (12, 15)
    assert {o["tiles"] for o in first.objects} != {o["tiles"] for o in second.objects}

    margin = options.tile_size  # one tile, in metres
    interior = shapely.box(
        max(first_extent[0], second_extent[0]) + margin,
        max(first_extent[1], second_extent[1]) + margin,
        min(first_extent[2], second_extent[2]) - margin,
        min(first_extent[3], second_extent[3]) - margin,
    )

    def inside(result):
        kept = [o for o in result.objects if interior.contains(o["geometry"])]
        return sorted(kept, key=lambda o: (o["tiles"], o["geometry"].bounds))

    a, b = inside(first), inside(second)
    assert a, "no object lies in the common interior: the comparison would prove nothing"
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x["geometry"].equals(y["geometry"])
        assert (x["score"], x["stability"], x["tiles"]) == (y["score"], y["stability"], y["tiles"])
        assert x["area_m2"] == pytest.approx(y["area_m2"], rel=1e-12)


MEMORY_SCRIPT = """
import json, sys
from sam_core.prompting.everything import EverythingOptions, segment_everything
from sam_core.sam.model import load_model
from sam_core.geo.raster import RasterSource
options = EverythingOptions(
    points_per_side=2, tile_size=1024, overlap=128, pred_iou_thresh=0.0, stability_score_thresh=0.5
)
with RasterSource(sys.argv[1]) as source:
    result = segment_everything(source, load_model(sys.argv[2], "cpu"), options=options)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({"tiles": result.tiles, "hwm_kb": int(status["VmHWM"].split()[0])}))
"""


def _peak_memory_run(raster: Path, checkpoint: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(raster), str(checkpoint)],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_peak_memory_does_not_grow_with_the_raster(tmp_path, tiny_checkpoint):
    # a stability threshold no random mask reaches: every tile is still read, encoded and decoded, but the
    # tile-wide noise masks (which would legitimately grow the output with the raster) are dropped
    small = _peak_memory_run(write_test_raster(tmp_path / "small.tif", 2000, 2000), tiny_checkpoint)
    large = _peak_memory_run(write_test_raster(tmp_path / "large.tif", 6000, 6000), tiny_checkpoint)
    # stride 896: ceil((2000 - 1024) / 896) + 1 = 3 and ceil((6000 - 1024) / 896) + 1 = 7 tiles per side
    assert (small["tiles"], large["tiles"]) == (9, 49)
    growth_mb = (large["hwm_kb"] - small["hwm_kb"]) / 1024
    assert growth_mb <= 128, f"peak memory grew by {growth_mb:.0f} MB from 2000² to 6000² pixels"


# -- cancel --------------------------------------------------------------------------------------------


def test_cancel_after_the_first_tile_raises_cancelled(rgb_tif, model):
    options = fast_options(stability_score_thresh=0.5)
    progress: list[float] = []
    with RasterSource(rgb_tif) as source:
        n_tiles = len(source.grid(options.tile_size, options.overlap).tiles())
        with pytest.raises(Cancelled):
            segment_everything(
                source,
                model,
                options=options,
                progress=progress.append,
                is_cancelled=lambda: bool(progress),
            )
    assert n_tiles == 4
    assert 1 <= len(progress) < n_tiles
    assert progress == [pytest.approx(1 / n_tiles)]


def test_progress_rises_batch_by_batch_inside_each_tile_and_ends_at_one(rgb_tif, model):
    """4 points in batches of 1: four reports per tile, (tile + batches done / 4) / 4, the fourth once the
    tile's masks are polygons, and 1.0 when the result is complete."""
    options = fast_options(points_per_batch=1, stability_score_thresh=0.5)
    seen: list = []
    with RasterSource(rgb_tif) as source:
        result = segment_everything(source, model, options=options, progress=seen.append)
    assert result.tiles == 4
    inside_first = [p for p in seen if p < 0.25]
    assert [float(p) for p in inside_first] == pytest.approx([1 / 16, 2 / 16, 3 / 16])  # before tile 1 ends
    assert all(0.0 < p < 1.0 for p in seen[:-1]) and seen[-1] == 1.0 and type(seen[-1]) is not float
    assert seen == sorted(set(seen))  # always rising
    assert [float(p) for p in seen] == pytest.approx([(i + b / 4) / 4 for i in range(4) for b in range(1, 5)])
    assert [p.tile for p in inside_first] == [1, 1, 1] and {p.tiles for p in seen} == {4}
    assert inside_first[0].describe().startswith("tile 1 of 4, about ")
    assert seen[-1].describe() == "tile 4 of 4" and seen[-1].seconds_left == 0


def test_a_cancel_inside_a_tile_lands_within_two_seconds(rgb_tif, model):
    """64 points per tile in batches of 1: a tile takes many seconds, a batch a fraction of one. Before
    the fix, the whole tile ran before cancel was looked at."""
    options = fast_options(points_per_side=8, points_per_batch=1, stability_score_thresh=0.5)
    cancel = CancelMidTile()
    with RasterSource(rgb_tif) as source, pytest.raises(Cancelled):
        segment_everything(
            source, model, options=options, progress=cancel.progress, is_cancelled=cancel.is_cancelled
        )
    latency = cancel.latency()
    print(f"cancel latency: {latency:.2f} s")
    assert latency < 2.0, f"cancel took {latency:.2f} s"
    assert cancel.seen and max(cancel.seen) < 0.25  # it landed inside the first tile


def test_cancel_before_the_first_tile_does_no_work(rgb_tif, model):
    progress: list[float] = []
    with RasterSource(rgb_tif) as source, pytest.raises(Cancelled):
        segment_everything(
            source, model, options=fast_options(), progress=progress.append, is_cancelled=lambda: True
        )
    assert progress == []


# -- CLI -----------------------------------------------------------------------------------------------

FIELDS = {"id", "score", "stability", "area_m2", "perimeter_m", "tiles", "model"}
TINY = ["--points-per-side", "2", "--tile-size", "512", "--overlap", "128"]
KEEP_ALL = ["--pred-iou-thresh", "0", "--stability-thresh", "0"]


def everything_cli(raster, checkpoint, *args) -> subprocess.CompletedProcess:
    return run_cli("everything", raster, "--checkpoint", checkpoint, *args)


def raster_bounds(raster: Path):
    with rasterio.open(raster) as ds:
        return ds.bounds


def test_cli_everything_writes_measured_objects(tmp_path, rgb_tif, tiny_checkpoint):
    out = tmp_path / "objects.gpkg"
    result = everything_cli(rgb_tif, tiny_checkpoint, *TINY, *KEEP_ALL, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["tiles"] == 4
    assert summary["objects"] >= 1
    assert result.stderr.strip().splitlines()[-1] == "progress: 100% tile 4 of 4"

    meta = pyogrio.read_info(out)
    assert set(meta["fields"]) == FIELDS
    crs = CRS.from_user_input(meta["crs"])
    assert crs.to_epsg() == 32618
    assert meta["features"] == summary["objects"]
    _meta, _fids, wkb, columns = pyogrio.raw.read(out)
    values = dict(zip(meta["fields"], columns))
    geometries = shapely.from_wkb(wkb)
    assert sorted(values["id"]) == list(range(1, summary["objects"] + 1))
    for geometry, area, perimeter in zip(geometries, values["area_m2"], values["perimeter_m"]):
        measured = measure(geometry, crs)
        assert area == pytest.approx(measured.area_m2, rel=1e-9)
        assert perimeter == pytest.approx(measured.perimeter_m, rel=1e-9)
        assert area > 0
    assert sum(values["area_m2"]) == pytest.approx(summary["area_m2"], abs=0.01)
    assert all("tiny_sam.pth" in m for m in values["model"])
    for tiles in values["tiles"]:
        assert {tuple(map(int, t.split(","))) for t in tiles.split(";")} <= {(0, 0), (1, 0), (0, 1), (1, 1)}
    assert not list(tmp_path.glob(".objects*")), "temporary file left behind"


def _bad_everything_inputs(rgb: Path) -> dict[str, tuple[list, tuple[str, ...]]]:
    b = raster_bounds(rgb)
    inside = f"{b.left + 1000},{b.bottom + 1000},{b.right - 1000},{b.top - 1000}"
    return {
        "malformed extent": (["--extent", "1,2,3"], ("--extent",)),
        "inverted extent": (["--extent", f"{b.right},{b.bottom},{b.left},{b.top}"], ("XMIN < XMAX",)),
        "unknown extent crs": (["--extent", inside, "--extent-crs", "EPSG:999999"], ("unknown CRS",)),
        "zero points per side": (["--points-per-side", "0"], ("--points-per-side",)),
        "overlap as large as the tile": (["--tile-size", "256", "--overlap", "256"], ("overlap",)),
        "extent outside the raster": (
            ["--extent", f"{b.right + 1e5},{b.bottom},{b.right + 2e5},{b.top}"],
            ("does not overlap",),
        ),
    }


BAD_CASES = [
    "malformed extent",
    "inverted extent",
    "unknown extent crs",
    "zero points per side",
    "overlap as large as the tile",
    "extent outside the raster",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_cli_everything_bad_input_exits_2_with_one_error_line_and_no_file(
    tmp_path, rgb_tif, tiny_checkpoint, case
):
    cases = _bad_everything_inputs(rgb_tif)
    assert set(cases) == set(BAD_CASES)
    args, words = cases[case]
    out = tmp_path / "out.gpkg"
    assert_user_error(everything_cli(rgb_tif, tiny_checkpoint, *args, "--out", out), *words)
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))


def test_cli_everything_failure_leaves_an_existing_output_untouched(tmp_path, rgb_tif, tiny_checkpoint):
    out = tmp_path / "keep.gpkg"
    out.write_bytes(b"the user's precious file")
    b = raster_bounds(rgb_tif)
    outside = f"{b.right + 1e5},{b.bottom},{b.right + 2e5},{b.top}"
    result = everything_cli(rgb_tif, tiny_checkpoint, *TINY, "--extent", outside, "--out", out)
    assert_user_error(result, "does not overlap")
    assert out.read_bytes() == b"the user's precious file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.gpkg"]


def test_cli_everything_interrupted_mid_run_writes_nothing(tmp_path, rgb_tif, tiny_checkpoint):
    """Ctrl+C after the first tile: exit 130, one error line, the existing output as it was."""
    out = tmp_path / "keep.gpkg"
    out.write_bytes(b"the user's precious file")
    # 256-px tiles: 16 of them, so the run is far from done when the first progress line appears
    args = ["--points-per-side", "2", "--tile-size", "256", "--overlap", "32", *KEEP_ALL, "--out", out]
    command = [sys.executable, "-m", "sam_core", "everything", rgb_tif, "--checkpoint", tiny_checkpoint]
    proc = subprocess.Popen(
        [str(a) for a in (*command, *args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(240, proc.kill)
    watchdog.start()
    try:
        first = proc.stderr.readline()
        assert first.startswith("progress: "), first
        proc.send_signal(signal.SIGINT)
        stdout, rest = proc.communicate()
    finally:
        watchdog.cancel()
    stderr = first + rest
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert [line for line in lines if not line.startswith("progress: ")] == ["error: interrupted"]
    assert lines[-2] != "progress: 100%"
    assert stdout == ""
    assert out.read_bytes() == b"the user's precious file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.gpkg"]


# -- post-processing options ---------------------------------------------------------------------------


def _parts_by_area(geometry, crs) -> list[tuple[float, object]]:
    return sorted(((measure(p, crs).area_m2, p) for p in shapely.get_parts(geometry)), key=lambda t: t[0])


def test_largest_part_only_keeps_the_largest_part_of_each_object(rgb_tif, model):
    options = fast_options(tile_size=800)  # one tile over the whole 791×718 raster
    with RasterSource(rgb_tif) as source:
        crs = source.crs
        every_part = segment_everything(source, model, options=options).objects
        largest = segment_everything(
            source, model, options=fast_options(tile_size=800, largest_part_only=True)
        ).objects
    assert any(len(o["geometry"].geoms) > 1 for o in every_part), "no multi-part object: nothing to test"
    assert len(largest) == len(every_part)
    for whole, single in zip(every_part, largest):
        assert len(single["geometry"].geoms) == 1
        biggest_area, biggest = _parts_by_area(whole["geometry"], crs)[-1]
        assert single["geometry"].geoms[0].equals(biggest)
        assert single["area_m2"] == pytest.approx(biggest_area, rel=1e-9)
        assert single["area_m2"] == pytest.approx(measure(single["geometry"], crs).area_m2, rel=1e-12)
        assert single["score"] == whole["score"]


def test_min_area_drops_parts_below_it_and_every_object_above_all_areas(rgb_tif, model):
    with RasterSource(rgb_tif) as source:
        crs = source.crs
        baseline = segment_everything(source, model, options=fast_options(tile_size=800)).objects
        areas = sorted(a for o in baseline for a, _ in _parts_by_area(o["geometry"], crs))
        assert len(areas) >= 3
        threshold = areas[len(areas) // 2]
        middle = segment_everything(
            source, model, options=fast_options(tile_size=800, min_area_m2=threshold)
        ).objects
        none = segment_everything(
            source,
            model,
            options=fast_options(tile_size=800, min_area_m2=max(o["area_m2"] for o in baseline) + 1.0),
        ).objects
    assert none == []
    kept = [a for o in middle for a, _ in _parts_by_area(o["geometry"], crs)]
    assert kept and min(kept) >= threshold
    assert len(kept) == sum(a >= threshold for a in areas)
