"""Class maps with a segmentation head (issue 13): peak memory does not grow with the raster, throughput with
the encoder's cost, and labelling objects on encoded tiles.

``bench_map_memory`` runs ``map_classes`` in fresh processes on a 2000² and an 8000² generated raster (0.5 m
pixels) with a tiny SAM and an untrained SAM-CONV head whose training pixel was 1 m, so tiles are 512 raster
pixels (441 tiles at 8000²), and reports the growth of the peak RSS (target ≤ 64 MB). ``map_roads_*`` is the
same with a class named "road": its regions are kept as polygons for their skeleton length, and a random
head scatters road pixels everywhere, so that output grows with the raster. ``bench_map_speed``: a random
vit_b (the real one's cost) on 2×2 tiles of 1024 px, first with an empty embedding cache, then again with
it filled (only the head runs), and ``label_objects_per_s`` for 200 objects on those encoded tiles.
Run alone: ``python -m bench.mapping`` (or ``bench/run.py --only map``).
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

import shapely

from bench.rasters import write_test_raster
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config, vit_b_config

MEMORY_SIDES = (2000, 8000)
PLAIN_CLASSES = ("grass", "roof", "water", "bare")
ROAD_CLASSES = ("grass", "road", "water", "bare")
COLOURS = ("#228b22", "#808080", "#1e90ff", "#d2b48c")


def write_head(checkpoint: Path, path: Path, classes, gsd_m: float | None) -> Path:
    import torch

    from sam_core.sam.model import load_model
    from sam_core.semantic.head_file import new_segmentation_head, save_segmentation_head

    torch.manual_seed(0)
    head = new_segmentation_head(load_model(checkpoint, "cpu"), "sam-conv", classes, COLOURS, gsd_m=gsd_m)
    return save_segmentation_head(head, path)


def _peak_map_rss_mb(raster: Path, checkpoint: Path, head: Path, out: Path) -> tuple[float, int]:
    """Peak RSS (MB, VmHWM) of one map in a fresh process, and its tile count."""
    code = (
        "import json, sys, torch\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from sam_core.semantic.mapping import map_classes\n"
        "from sam_core.semantic.head_file import load_segmentation_head\n"
        "from sam_core.sam.model import load_model\n"
        "from sam_core.sam.embeddings import EmbeddingCache\n"
        "torch.set_num_threads(1)\n"
        "model = load_model(sys.argv[3], 'cpu')\n"
        "head = load_segmentation_head(sys.argv[4], model)\n"
        "result = map_classes(sys.argv[2], model, head, sys.argv[5], cache=EmbeddingCache(None))\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(json.dumps([int(hwm.split()[1]) / 1024, result.tiles]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(raster), str(checkpoint), str(head), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    peak, tiles = json.loads(done.stdout.strip().splitlines()[-1])
    return float(peak), int(tiles)


def bench_map_memory(work: Path) -> dict:
    """``map_peak_rss_growth_mb`` (8000² minus 2000², tiny model, 512 px tiles)."""
    tiny = work / "map_tiny.pth"
    save_random_checkpoint(tiny, tiny_config(img_size=256), seed=0)
    rasters = {side: write_test_raster(work / f"map{side}.tif", side, side) for side in MEMORY_SIDES}
    result: dict = {}
    for name, classes in (("map", PLAIN_CLASSES), ("map_roads", ROAD_CLASSES)):
        head = write_head(tiny, work / f"{name}_head.pt", classes, gsd_m=1.0)  # 256 px × 1 m / 0.5 m = 512 px
        peaks = {}
        for side, raster in rasters.items():
            peaks[side], tiles = _peak_map_rss_mb(raster, tiny, head, work / f"{name}{side}_classes.tif")
            result[f"{name}_peak_rss_{side}_mb"] = round(peaks[side], 1)
            result[f"{name}_{side}_tiles"] = tiles
        result[f"{name}_peak_rss_growth_mb"] = round(peaks[MEMORY_SIDES[1]] - peaks[MEMORY_SIDES[0]], 1)
    return result


def bench_map_speed(work: Path, vit_b: Path) -> dict:
    """Megapixels per second through the whole map (read, encode, head, blend, GeoTIFF), vit_b with random
    weights, 2×2 tiles of 1024 px; then the same map with the embeddings cached; then labelling objects."""
    from sam_core.geo.output import write_polygons
    from sam_core.sam.embeddings import EmbeddingCache
    from sam_core.sam.model import load_model
    from sam_core.semantic.head_file import load_segmentation_head
    from sam_core.semantic.label_objects import label_objects
    from sam_core.semantic.mapping import map_classes

    head_file = write_head(vit_b, work / "map_vit_b_head.pt", ROAD_CLASSES, gsd_m=None)
    side = 1024 + 768  # 2×2 tiles at the default quarter overlap
    raster = write_test_raster(work / "map_speed.tif", side, side)
    model = load_model(vit_b, "cpu")
    head = load_segmentation_head(head_file, model)
    result: dict = {}
    for label in ("uncached", "cached"):
        start = time.perf_counter()
        mapped = map_classes(
            raster, model, head, work / "map_speed.tif.classes.tif", cache=EmbeddingCache(work / "map_cache")
        )
        seconds = time.perf_counter() - start
        result[f"map_mpx_per_s_{label}"] = round(side * side / 1e6 / seconds, 4)
        result[f"map_encoder_calls_{label}"] = mapped.encoder_calls
    result["map_speed_tiles"] = mapped.tiles
    objects = [
        shapely.box(x, y, x + 20, y + 20) for x in range(100, 1500, 100) for y in range(100, 1500, 100)
    ][:200]
    with __import__("rasterio").open(raster) as ds:
        transform, crs = ds.transform, ds.crs
    from pyproj import CRS

    records = [
        {
            "geometry": shapely.affinity.affine_transform(
                g, [transform.a, 0, 0, transform.e, transform.c, transform.f]
            ),
            "id": k,
        }
        for k, g in enumerate(objects)
    ]
    layer = write_polygons(work / "map_objects.gpkg", records, CRS.from_wkt(crs.to_wkt()), {"id": int})
    start = time.perf_counter()
    labelled = label_objects(raster, layer, model, head, cache=EmbeddingCache(work / "map_cache"))
    seconds = time.perf_counter() - start
    result["label_objects_per_s"] = round(len(objects) / seconds, 1)
    result["label_objects_encoder_calls"] = labelled.encoder_calls
    result["map_device"] = str(model.device)
    return result


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="terrasam-map-") as tmp:
        work = Path(tmp)
        vit_b = work / "vit_b.pth"
        save_random_checkpoint(vit_b, vit_b_config(), seed=0)
        print(json.dumps({**bench_map_memory(work), **bench_map_speed(work, vit_b)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
