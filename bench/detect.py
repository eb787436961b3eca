"""Detection with a fine-tuned decoder (issue 12): peak memory does not grow with the raster, and throughput.

``bench_detect_memory`` runs ``detect_objects`` in fresh processes on a 2000² and an 8000² generated raster
with tiny SAMs whose sidecar says 512 source pixels per patch, and reports the growth of the peak RSS
(target ≤ 64 MB). The headline figure uses objects of a bounded size, as real ones are: a decoder whose
every logit is 0 (probability 0.5, threshold 0.45) on a raster cut by nodata lines into 500 px cells, so
each cell is one object crossing tile and strip seams. A random decoder instead finds one object covering
most of the raster (``detect_random_*``): its mask and outline are the output, and they grow with it. Then
a random-weight vit_b (the cost of the real one) with a 256 px learned scale on 2×2 tiles gives megapixels
per second. Run it alone: ``python -m bench.detect`` (or ``bench/run.py --only
finetune``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np
import rasterio
from rasterio.windows import Window

from bench.rasters import tiled_profile, write_test_raster
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config, vit_b_config
from sam_core.sam.tuned import TunedInfo, write_sidecar

MEMORY_SIDES = (2000, 8000)
CELL_PX = 500
MEMORY_TILE_PX = 512
SPEED_TILE_PX = 256


def _sidecar(checkpoint: Path, tile_px: int, base: str, threshold: float = 0.5) -> Path:
    info = TunedInfo(base, "random", "0" * 64, threshold, "patch", 512, 256, tile_px)
    write_sidecar(checkpoint, info)
    return checkpoint


def _peak_detect_rss_mb(raster: Path, checkpoint: Path) -> tuple[float, int, int]:
    """Peak RSS (MB, VmHWM) of one detection in a fresh process, with its tile and object counts."""
    code = (
        "import json, sys, torch\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from sam_core.finetune.detect import detect_objects\n"
        "from sam_core.sam.model import load_model\n"
        "from sam_core.sam.embeddings import EmbeddingCache\n"
        "torch.set_num_threads(1)\n"
        "result = detect_objects(sys.argv[2], load_model(sys.argv[3], 'cpu'), cache=EmbeddingCache(None))\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(json.dumps([int(hwm.split()[1]) / 1024, result.tiles, len(result.objects)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(raster), str(checkpoint)],
        check=True,
        capture_output=True,
        text=True,
    )
    peak, tiles, objects = json.loads(out.stdout.strip().splitlines()[-1])
    return float(peak), int(tiles), int(objects)


def bench_detect_memory(work: Path | None = None) -> dict:
    """``detect_peak_rss_growth_mb`` (8000² minus 2000², tiny model) and ``detect_mpx_per_s`` (vit_b)."""
    with tempfile.TemporaryDirectory(prefix="terrasam-detect-") as tmp:
        work = Path(work or tmp)
        tiny = _save(work / "detect_tiny.pth", tiny_config(img_size=256))
        constant = _sidecar(constant_checkpoint(tiny, work / "detect_constant.pth"), MEMORY_TILE_PX, "tiny", 0.45)
        _sidecar(tiny, MEMORY_TILE_PX, "tiny")
        result: dict = {}
        for name, checkpoint, write in (
            ("detect", constant, write_cell_raster),
            ("detect_random", tiny, write_test_raster),
        ):
            peaks = {}
            for side in MEMORY_SIDES:
                raster = write(work / f"{name}{side}.tif", side, side)
                peaks[side], tiles, objects = _peak_detect_rss_mb(raster, checkpoint)
                result[f"{name}_peak_rss_{side}_mb"] = round(peaks[side], 1)
                result[f"{name}_{side}_tiles"], result[f"{name}_{side}_objects"] = tiles, objects
            result[f"{name}_peak_rss_growth_mb"] = round(peaks[MEMORY_SIDES[1]] - peaks[MEMORY_SIDES[0]], 1)
        result.update(bench_detect_speed(work))
    return result


def bench_detect_speed(work: Path) -> dict:
    """Megapixels of raster per second through the whole detection (read, encode, decode, blend, polygons),
    vit_b with random weights, 2×2 tiles of its learned 256 px (each encoded at SAM's 1024 px input)."""
    from sam_core.finetune.detect import detect_objects
    from sam_core.sam.embeddings import EmbeddingCache
    from sam_core.sam.model import load_model

    vit_b = work / "detect_vit_b.pth"
    if not vit_b.is_file():
        save_random_checkpoint(vit_b, vit_b_config(), seed=0)
    _sidecar(vit_b, SPEED_TILE_PX, "ViT-B")
    side = SPEED_TILE_PX + (SPEED_TILE_PX - SPEED_TILE_PX // 4)  # 2×2 tiles at the default quarter overlap
    raster = write_test_raster(work / "detect_speed.tif", side, side)
    model = load_model(vit_b, "cpu")
    start = time.perf_counter()
    result = detect_objects(raster, model, cache=EmbeddingCache(None))
    seconds = time.perf_counter() - start
    return {
        "detect_tiles": result.tiles,
        "detect_s_per_tile": round(seconds / result.tiles, 2),
        "detect_mpx_per_s": round(side * side / 1e6 / seconds, 4),
        "detect_device": str(model.device),
    }


def write_cell_raster(path: Path, width: int, height: int) -> Path:
    """A 3-band uint8 GeoTIFF (EPSG:32633, 0.5 m) of grey cells ``CELL_PX`` wide between 4 px nodata lines,
    written block by block."""
    profile = tiled_profile(width, height, nodata=0)
    with rasterio.open(path, "w", **profile) as dst:
        for row in range(0, height, 512):
            for col in range(0, width, 512):
                w, h = min(512, width - col), min(512, height - row)
                yy, xx = np.mgrid[row : row + h, col : col + w]
                lines = (yy % CELL_PX < 4) | (xx % CELL_PX < 4)
                block = np.where(lines, 0, 128).astype(np.uint8)
                dst.write(np.repeat(block[None], 3, axis=0), window=Window(col, row, w, h))
    return path


def constant_checkpoint(base: Path, path: Path) -> Path:
    """``base`` with every mask logit 0 (probability 0.5 everywhere): the hypernetwork MLPs' last layers
    zeroed (masks = 0 · features). Tests use it too: real weights through the real decoder, a known answer."""
    import torch

    state = torch.load(base, map_location="cpu", weights_only=True)
    for key in state:
        if key.startswith("mask_decoder.output_hypernetworks_mlps.") and ".layers.2." in key:
            state[key] = torch.zeros_like(state[key])
    torch.save(state, path)
    return path


def _save(path: Path, config) -> Path:
    save_random_checkpoint(path, config, seed=0)
    return path


if __name__ == "__main__":
    print(json.dumps(bench_detect_memory(), indent=2))
