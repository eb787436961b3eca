"""make bench: performance figures of the core as one JSON object on stdout.

Random-weight models stand in for the official ones (same architecture, same cost). Each figure names
its target in the issue that asked for it; ``--only NAME`` runs one group. Rasters are generated in a
temporary folder; memory figures come from fresh subprocesses so they do not inherit this one's peak.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cluster_runs import bench_dask, bench_dask_memory
from bench.detect import bench_detect_memory
from bench.fast_decoder import bench_fast_everything, bench_fast_prompt
from bench.fast_encoder import bench_fast_encoder
from bench.fast_masks import bench_fast_masks
from bench.finetune import bench_finetune
from bench.mapping import bench_map_memory, bench_map_speed
from bench.rasters import write_test_raster
from sam_core import config
from sam_core.geo.raster import RasterSource
from sam_core.prompting.prompts import Point, Prompts
from sam_core.prompting.segment import Segmenter
from sam_core.sam.embeddings import EmbeddingCache, TileEncoder, encode_input
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config, vit_b_config


def bench_prompt(work: Path, vit_b: Path, n: int = 40) -> dict:
    """Click → polygons with areas on an already encoded 1024 px tile, and where that time goes.

    Random weights cost what real ones cost in the decoder, but their masks are not like real ones:
    a periodic pattern with thousands of holes. Polygon time grows with mask complexity, so the ring and
    vertex counts are reported beside it.
    """
    import shapely

    from sam_core.prompting.decoder import predict_mask
    from sam_core.prompting.prompts import locate

    raster = write_test_raster(work / "prompt.tif", 1024, 1024)
    model = load_model(vit_b, "cpu")
    total, decode, rings, vertices = [], [], [], []
    with RasterSource(raster) as source:
        segmenter = Segmenter(source, model)
        xmin, ymin, xmax, ymax = source.info()["bounds"]
        points = np.random.default_rng(0).uniform([xmin, ymin], [xmax, ymax], size=(n + 3, 2))
        segmenter.segment(Prompts(points=(Point(*points[0]),)))  # encodes the tile: later clicks only decode
        for i, (x, y) in enumerate(points):
            prompts = Prompts(points=(Point(x, y, 1),))
            start = time.perf_counter()
            result = segmenter.segment(prompts)
            _ = result.measures  # computed lazily: the figure is click → polygons *with areas*
            elapsed = time.perf_counter() - start
            start = time.perf_counter()
            located = locate(prompts, segmenter.grid)
            predict_mask(model, segmenter.encoder.encode(located.tile).embedding, located)
            decoded = time.perf_counter() - start
            if i >= 3:  # the first calls warm up torch's kernels
                total.append(elapsed * 1000)
                decode.append(decoded * 1000)
                rings.append(
                    int(shapely.get_num_interior_rings(shapely.get_parts(result.geometry)).sum())
                    + len(shapely.get_parts(result.geometry))
                )
                vertices.append(int(shapely.get_num_coordinates(result.geometry)))
    return {
        "prompt_ms_p50": _p(total, 50),
        "prompt_ms_p95": _p(total, 95),
        "prompt_click_decoder_ms_p50": _p(decode, 50),  # the group "fast_decoder" has the decoder alone
        "prompt_polygons_ms_p50": _p(np.subtract(total, decode), 50),
        "prompt_mask_rings_p50": _p(rings, 50),
        "prompt_mask_vertices_p50": _p(vertices, 50),
        "prompt_samples": len(total),
    }


def _p(values, q) -> float:
    return round(float(np.percentile(values, q)), 1)


def bench_encode(work: Path, vit_b: Path, repeats: int = 2) -> dict:
    """Our tile encoding (read, stretch, resize, encode, cache write) vs the bare encoder forward on the same
    precision path (``fast`` compares the paths themselves)."""
    import torch

    raster = write_test_raster(work / "encode.tif", 1024, 1024)
    model = load_model(vit_b, "cpu")
    ready = torch.rand(1, 3, 1024, 1024) * 255
    ready = (ready - model.sam.pixel_mean) / model.sam.pixel_std
    bare, ours = [], []
    with RasterSource(raster) as source:
        tile = source.grid().tile(0, 0)
        for i in range(repeats):
            start = time.perf_counter()
            encode_input(model, ready)  # the same encoder path, without reading, resizing or caching
            bare.append(time.perf_counter() - start)
            cache_dir = work / f"cache-{i}"
            encoder = TileEncoder(model, RasterSource(raster), EmbeddingCache(cache_dir))
            start = time.perf_counter()
            encoder.encode(tile)
            ours.append(time.perf_counter() - start)
            encoder.source.close()
    second = _second_embedding_in_new_process(raster, vit_b, work / "cache-0")
    return {
        "encode_bare_s": round(min(bare), 2),
        "encode_ours_s": round(min(ours), 2),
        "encode_overhead_ratio": round(min(ours) / min(bare), 3),
        "cache_first_s": round(ours[0], 3),
        "cache_second_s": round(second, 4),
        "cache_speedup": round(ours[0] / second, 1),
    }


def _peak_rss_mb(code: str, *args) -> float:
    """Run ``code`` in a fresh Python (sys.argv[1] is the repository) and return its peak RSS in MB.

    VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec."""
    code = f"import sys; sys.path.insert(0, sys.argv[1])\n{code}"
    code += "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
    code += "print(int(hwm.split()[1]) / 1024)\n"
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), *map(str, args)], check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def _second_embedding_in_new_process(raster: Path, checkpoint: Path, cache_dir: Path) -> float:
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1])\n"
        "from sam_core.sam.embeddings import EmbeddingCache, TileEncoder\n"
        "from sam_core.sam.model import load_model\nfrom sam_core.geo.raster import RasterSource\n"
        "model = load_model(sys.argv[3], 'cpu'); source = RasterSource(sys.argv[2])\n"
        "encoder = TileEncoder(model, source, EmbeddingCache(sys.argv[4]))\n"
        "tile = source.grid().tile(0, 0); start = time.perf_counter(); encoder.encode(tile)\n"
        "assert encoder.encoder_calls == 0, 'disk cache missed'\nprint(time.perf_counter() - start)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(raster), str(checkpoint), str(cache_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def bench_memory(work: Path, tiny: Path) -> dict:
    """Peak RSS encoding every tile of an 8000² raster minus the same for 2000² (tiny model)."""
    peaks = {}
    for side in (2000, 8000):
        raster = write_test_raster(work / f"mem{side}.tif", side, side)
        peaks[side] = _peak_rss_encoding_all_tiles(raster, tiny)
    return {
        "peak_rss_2000_mb": round(peaks[2000], 1),
        "peak_rss_8000_mb": round(peaks[8000], 1),
        "peak_rss_growth_mb": round(peaks[8000] - peaks[2000], 1),
    }


def _peak_rss_encoding_all_tiles(raster: Path, checkpoint: Path) -> float:
    code = (
        "from sam_core.sam.embeddings import EmbeddingCache, TileEncoder\n"
        "from sam_core.sam.model import load_model\nfrom sam_core.geo.raster import RasterSource\n"
        "model = load_model(sys.argv[3], 'cpu'); source = RasterSource(sys.argv[2])\n"
        "encoder = TileEncoder(model, source, EmbeddingCache(None))\n"
        "tiles = source.grid().tiles()\n"
        "for tile in tiles: encoder.encode(tile)\n"
        "assert encoder.encoder_calls == len(tiles)\n"
    )
    return _peak_rss_mb(code, raster, checkpoint)


def bench_vector(work: Path, _checkpoint: Path, n: int = 50) -> dict:
    """Mask → polygons with areas alone, for a compact object like a real SAM mask (a ~5 % blob with a hole
    and a ragged edge), to separate model cost from the cost of random weights' noisy masks."""
    from sam_core.geo.measures import measure
    from sam_core.geo.vectorize import mask_to_geometry

    raster = write_test_raster(work / "vector.tif", 1024, 1024)
    with RasterSource(raster) as source:
        tile = source.grid().tile(0, 0)
        yy, xx = np.mgrid[0:1024, 0:1024]
        angle = np.arctan2(yy - 500, xx - 520)
        radius = 130 + 12 * np.sin(7 * angle) + 4 * np.sin(31 * angle)
        distance = np.hypot(yy - 500, xx - 520)
        mask = (distance < radius) & ~(np.hypot(yy - 480, xx - 560) < 25)
        times = []
        for _ in range(n):
            start = time.perf_counter()
            measure(mask_to_geometry(mask, tile.transform), source.crs)
            times.append((time.perf_counter() - start) * 1000)
    return {"polygons_ms_p50_compact_mask": _p(times, 50), "compact_mask_pixels": int(mask.sum())}


def bench_ui(work: Path, vit_b: Path) -> dict:
    """The dock's click → preview latency, in its own offscreen QGIS process (bench/ui_click.py)."""
    raster = write_test_raster(work / "ui.tif", 1024, 1024)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ui_click.py"), str(raster), str(vit_b)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _everything_options():
    from sam_core.prompting.everything import EverythingOptions

    # 4 points per side keeps the run short; thresholds 0 keep random-weight masks, so that vectorising and
    # merging are exercised (with SAM's defaults a random model's masks are all filtered out)
    return EverythingOptions(
        points_per_side=4,
        pred_iou_thresh=0.0,
        stability_score_thresh=0.0,
        tile_size=config.TILE_SIZE,
        overlap=config.OVERLAP,
    )


def bench_everything(work: Path, vit_b: Path) -> dict:
    """Our whole pipeline on a 3×3-tile raster ÷ segment_anything's generator alone on the same tiles."""
    import torch
    from segment_anything import SamAutomaticMaskGenerator

    from sam_core.prompting.everything import segment_everything

    options = _everything_options()
    side = options.tile_size + 2 * (options.tile_size - options.overlap)  # exactly 3×3 tiles
    raster = write_test_raster(work / "everything.tif", side, side)
    model = load_model(vit_b, "cpu")
    with RasterSource(raster) as source:
        tiles = source.grid(options.tile_size, options.overlap).tiles()
        images = [source.read_window(t.window).rgb for t in tiles]
        sam_alone = SamAutomaticMaskGenerator(
            model.sam,
            points_per_side=options.points_per_side,
            pred_iou_thresh=options.pred_iou_thresh,
            stability_score_thresh=options.stability_score_thresh,
        )
        start = time.perf_counter()
        with torch.inference_mode():
            sam_masks = sum(len(sam_alone.generate(image)) for image in images)
        alone = time.perf_counter() - start
        start = time.perf_counter()
        result = segment_everything(source, model, EmbeddingCache(None), options=options)
        ours = time.perf_counter() - start
    return {
        "everything_tiles": len(tiles),
        "everything_sam_alone_s": round(alone, 1),
        "everything_ours_s": round(ours, 1),
        "everything_overhead_ratio": round(ours / alone, 3),
        "everything_sam_masks": sam_masks,
        "everything_objects_after_merge": len(result.objects),
    }


def bench_everything_memory(work: Path, tiny: Path) -> dict:
    """Peak RSS of segment everything on a 6000² raster minus a 2000² one (tiny model)."""
    peaks = {}
    for side in (2000, 6000):
        raster = write_test_raster(work / f"every{side}.tif", side, side)
        code = (
            "from sam_core.prompting.everything import EverythingOptions, segment_everything\n"
            "from sam_core.sam.model import load_model\nfrom sam_core.geo.raster import RasterSource\n"
            "model = load_model(sys.argv[3], 'cpu')\n"
            "with RasterSource(sys.argv[2]) as source:\n"
            "    segment_everything(source, model, options=EverythingOptions(points_per_side=2))\n"
        )
        peaks[side] = _peak_rss_mb(code, raster, tiny)
    return {
        "everything_peak_rss_2000_mb": round(peaks[2000], 1),
        "everything_peak_rss_6000_mb": round(peaks[6000], 1),
        "everything_peak_rss_growth_mb": round(peaks[6000] - peaks[2000], 1),
    }


def bench_classify(work: Path, vit_b: Path, per_patch_sample: int = 3) -> dict:
    """Land-cover classification (issue 5): encoder passes per 1000 cells when a raster is classified from
    its tile embeddings, and training-feature throughput, packed (16×16 patches of 64 px in one 1024 px input)
    against per patch (each patch enlarged to 1024 px, the transfer-learning recipe). Target: packed ≥ 50× per
    patch."""
    import dataclasses

    import torch

    from bench.patchsets import CLASSES, write_patch_set
    from sam_core.landcover.classify import classify_raster
    from sam_core.landcover.features import PACKED, PER_PATCH, extract_features
    from sam_core.landcover.head import new_head
    from sam_core.landcover.patches import open_patch_set

    model = load_model(vit_b, "cpu")
    with torch.inference_mode():  # the first pass of a process pays for allocations: keep it out
        model.sam.image_encoder(torch.zeros(1, 3, model.img_size, model.img_size))
    patches = open_patch_set(write_patch_set(work / "patches", per_class=64))  # 256 patches: one pack
    packed = extract_features(patches, model, PACKED)
    sample = dataclasses.replace(
        patches, paths=patches.paths[:per_patch_sample], labels=patches.labels[:per_patch_sample]
    )
    alone = extract_features(sample, model, PER_PATCH)
    packed_rate, alone_rate = len(patches) / packed.seconds, len(sample) / alone.seconds

    raster = write_test_raster(work / "classify.tif", 2048, 2048, pixel=10.0)  # 2×2 tiles at the head's 10 m
    torch.manual_seed(0)
    head = new_head(model, CLASSES, input_gsd_m=10.0)
    start = time.perf_counter()
    result = classify_raster(raster, model, head, cache=EmbeddingCache(None))
    seconds = time.perf_counter() - start
    return {
        "classify_tiles": result.tiles,
        "classify_cells": len(result.cells),
        "classify_encoder_passes_per_1000_cells": round(1000 * result.encoder_calls / len(result.cells), 2),
        "classify_s": round(seconds, 1),
        "classify_cells_per_s": round(len(result.cells) / seconds, 1),
        "train_features_packed_patches": len(patches),
        "train_features_packed_encoder_passes": packed.encoder_calls,
        "train_features_per_s_packed": round(packed_rate, 2),
        "train_features_per_patch_patches": len(sample),
        "train_features_per_s_per_patch": round(alone_rate, 3),
        "train_features_packed_speedup": round(packed_rate / alone_rate, 1),
    }


GROUPS = {
    "prompt": bench_prompt,
    "ui": bench_ui,
    "vector": bench_vector,
    "encode": bench_encode,
    "memory": bench_memory,
    "everything": bench_everything,
    "everything_memory": bench_everything_memory,
    "classify": bench_classify,
    # issue 12: detection with a fine-tuned decoder (memory with a tiny model, speed with vit_b)
    "finetune": bench_finetune,
    "detect": lambda work, _checkpoint: bench_detect_memory(work),
    # issue 13: class maps with a segmentation head (memory with a tiny model, speed with vit_b)
    "map": lambda work, vit_b: {**bench_map_memory(work), **bench_map_speed(work, vit_b)},
    # issue 14: the encoder's fast paths against the bare fp32 forward (time, fidelity, fraction of peak),
    # the decoder's and segment everything's against segment_anything's, masks from a fine-tuned decoder
    "fast": bench_fast_encoder,
    "fast_decoder": lambda work, vit_b: {**bench_fast_prompt(work, vit_b), **bench_fast_everything(work, vit_b)},
    "fast_masks": bench_fast_masks,
    # issue 15: segment everything on Dask (2 workers, 1 worker, serial) and the client's memory there
    "dask": bench_dask,
    "dask_memory": lambda work, tiny: bench_dask_memory(work, tiny, _peak_rss_mb),
}


#: issue 14's and 15's targets, checked against the figures this run produced (``targets`` in the JSON)
TARGETS = {
    "encode_speedup": (">=", 2.5),
    "encode_cosine_p01": (">=", 0.99),
    "fast_mask_iou_median": (">=", 0.95),
    "fast_mask_area_error_median": ("<=", 0.02),
    "prompt_decoder_ms_p50": ("<=", 15.0),
    "prompt_compact_ms_p50": ("<=", 30.0),
    "ui_click_to_preview_ms_p50": ("<=", 50.0),
    "ui_click_to_preview_compact_ms_p50": ("<=", 50.0),
    "everything_tile_speedup": (">=", 2.0),
    "everything_objects_matched_fraction": (">=", 0.95),
    "dask_everything_speedup_2_workers": (">=", 1.7),
    "dask_overhead_ratio": ("<=", 1.10),
    "dask_client_peak_rss_mb": ("<=", 64.0),
}


def targets(results: dict) -> dict:
    """Each target whose figure was measured: its value, the target, whether it is met and by how much not."""
    out = {}
    for name, (op, bound) in TARGETS.items():
        value = results.get(name)
        if not isinstance(value, (int, float)):
            continue
        met = value >= bound if op == ">=" else value <= bound
        out[name] = {"value": value, "target": f"{op} {bound}", "met": bool(met)}
        if not met:
            out[name]["missed_by"] = round(abs(value - bound), 3)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(GROUPS), action="append")
    args = parser.parse_args()
    results: dict = {"machine": {"cpus": _cpus(), "torch_threads": _torch_threads()}}
    with tempfile.TemporaryDirectory(prefix="terrasam-bench-") as tmp:
        work = Path(tmp)
        vit_b, tiny = work / "random_vit_b.pth", work / "tiny.pth"
        save_random_checkpoint(vit_b, vit_b_config(), seed=0)
        save_random_checkpoint(tiny, tiny_config(), seed=0)
        for name in args.only or list(GROUPS):
            start = time.perf_counter()
            group = GROUPS[name]
            results.update(group(work, tiny) if name.endswith("memory") else group(work, vit_b))
            results[f"{name}_bench_s"] = round(time.perf_counter() - start, 1)
    results["bench_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["targets"] = targets(results)
    print(json.dumps(results, indent=2))
    return 0


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    sys.exit(main())
