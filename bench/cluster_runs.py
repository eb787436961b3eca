"""Issue 15: segment everything on Dask distributed against the serial run, side by side in one run.

- ``dask_everything_speedup_2_workers``: 2 worker processes × 1 torch thread against the serial run on 1
  thread (target ≥ 1.7 on 2 cores), vit_b random weights, 1024 px tiles;
- ``dask_overhead_ratio``: 1 worker against serial (target ≤ 1.10); the run's time includes the worker
  loading its model, the cluster's start is reported apart (``dask_cluster_start_s``);
- ``dask_client_peak_rss_*_mb``: the client's peak memory (its own process, not the workers') on a 2000²
  and a 6000² raster with the tiny model: flat in raster size;
- the cost model's inputs: seconds per 1024 px tile for one worker thread with the default grid.
"""

from __future__ import annotations

import time
from pathlib import Path

from sam_core import config
from sam_core.distributed.cluster import ClusterOptions, dask_runner
from sam_core.geo.raster import RasterSource
from sam_core.prompting.everything import EverythingOptions, segment_everything
from sam_core.sam.embeddings import EmbeddingCache
from sam_core.sam.hardware import set_threads
from sam_core.sam.model import load_model

from .rasters import write_test_raster

#: source pixels a 1024 px tile adds to a mosaic (its stride squared, 256 px overlap)
NEW_PIXELS_PER_TILE = (config.TILE_SIZE - config.OVERLAP) ** 2


def _options(points_per_side: int = 4) -> EverythingOptions:
    # thresholds 0 keep random-weight masks, so vectorising and the seam merge are exercised
    return EverythingOptions(
        points_per_side=points_per_side,
        pred_iou_thresh=0.0,
        stability_score_thresh=0.0,
        tile_size=config.TILE_SIZE,
        overlap=config.OVERLAP,
    )


def _timed(source, model, options, runner=None) -> tuple[float, list]:
    start = time.perf_counter()
    result = segment_everything(source, model, EmbeddingCache(None), options=options, runner=runner)
    return time.perf_counter() - start, result.objects


def bench_dask(work: Path, vit_b: Path) -> dict:
    """Serial, 1 worker and 2 workers on the same 2×2-tile raster, one torch thread each."""
    threads = set_threads(1)
    options = _options()
    side = options.tile_size + (options.tile_size - options.overlap)  # exactly 2×2 tiles
    raster = write_test_raster(work / "dask.tif", side, side)
    model = load_model(vit_b, "cpu")
    figures: dict = {}
    with RasterSource(raster) as source:
        tiles = len(source.grid(options.tile_size, options.overlap).tiles())
        serial_s, serial = _timed(source, model, options)
        runs = {}
        for workers in (1, 2):
            started = time.perf_counter()
            with dask_runner(ClusterOptions(workers=workers, threads=1), say=lambda _text: None) as runner:
                figures[f"dask_cluster_start_{workers}_s"] = round(time.perf_counter() - started, 2)
                runs[workers] = _timed(source, model, options, runner)
        same = all(_same(serial, objects) for _s, objects in runs.values())
        tile_s, _ = _timed(source, model, _options(config.POINTS_PER_SIDE))  # the default grid, all 4 tiles
    set_threads(threads)
    figures.update(
        {
            "dask_tiles": tiles,
            "dask_serial_s": round(serial_s, 1),
            "dask_1_worker_s": round(runs[1][0], 1),
            "dask_2_workers_s": round(runs[2][0], 1),
            "dask_everything_speedup_2_workers": round(serial_s / runs[2][0], 3),
            "dask_overhead_ratio": round(runs[1][0] / serial_s, 3),
            "dask_same_objects": same,
            "dask_objects": len(serial),
            "dask_tile_s_default_grid_1_thread": round(tile_s / tiles, 1),
            "dask_tiles_per_s_per_worker_default_grid": round(tiles / tile_s, 4),
            "dask_new_pixels_per_tile": NEW_PIXELS_PER_TILE,
        }
    )
    return figures


def _same(serial: list, distributed: list) -> bool:
    key = ("id", "tiles", "score", "area_m2")
    return len(serial) == len(distributed) and all(
        [a[k] for k in key] == [b[k] for k in key] and a["geometry"].equals_exact(b["geometry"], 0.0)
        for a, b in zip(serial, distributed)
    )


CLIENT_CODE = (
    "from sam_core.distributed.cluster import ClusterOptions, dask_runner\n"
    "from sam_core.prompting.everything import EverythingOptions, segment_everything\n"
    "from sam_core.sam.model import load_model\nfrom sam_core.geo.raster import RasterSource\n"
    "model = load_model(sys.argv[3], 'cpu', 'fp32')\n"
    "if __name__ == '__main__':\n"
    "    with RasterSource(sys.argv[2]) as source, dask_runner(ClusterOptions(workers=2, threads=1),\n"
    "            say=lambda _t: None) as runner:\n"
    "        segment_everything(source, model, options=EverythingOptions(points_per_side=2,\n"
    "            stability_score_thresh=0.999), runner=runner)\n"
)


def bench_dask_memory(work: Path, tiny: Path, peak_rss_mb) -> dict:
    """The client's peak RSS on a 2000² and a 6000² raster (2 local workers; a stability threshold no
    random mask reaches, so the output does not grow with the raster, as in ``everything_memory``)."""
    peaks = {}
    for side in (2000, 6000):
        raster = write_test_raster(work / f"dask{side}.tif", side, side)
        peaks[side] = peak_rss_mb(CLIENT_CODE, raster, tiny)
    return {
        "dask_client_peak_rss_2000_mb": round(peaks[2000], 1),
        "dask_client_peak_rss_6000_mb": round(peaks[6000], 1),
        "dask_client_peak_rss_mb": round(peaks[6000] - peaks[2000], 1),
    }
