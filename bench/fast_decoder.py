"""The mask decoder's and segment everything's fast paths against segment_anything's own, in one run
(issue 14): a random-weight vit_b (the real one's cost) on one encoded 1024 px tile of a generated raster.

``bench_fast_prompt``: ``predict_mask`` (``fast_decoder`` + box-only upsampling) against segment_anything's
plain path (prompt encoder, ``MaskDecoder``, ``postprocess_masks`` of the best mask, threshold) on the same
clicks, alternating, fp32 and bf16 autocast; the masks' agreement too.

``bench_fast_everything``: ``FastTileMasks`` against segment_anything's generator (``TileMaskGenerator``, in
batches of 8 points as before) on the same tile and embedding, fp32: with the project's thresholds at 32
points per side (random weights' IoU predictions may fail them all: the counts say), and with thresholds 0
at 12 points per side so that masks survive, are matched (IoU ≥ 0.9) and become polygons; then the fast
path in bf16 autocast with the project's thresholds. Run alone:
``python -m bench.fast_decoder``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "tests"):  # the mask comparison is the tests' (tests/mask_fidelity.py)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import numpy as np
import torch
from mask_fidelity import matched_fraction
from rasterio import features

from bench.rasters import write_test_raster
from sam_core.geo.raster import RasterSource
from sam_core.prompting.decoder import predict_mask
from sam_core.prompting.everything import EverythingOptions, TileMaskGenerator, tile_mask_generator
from sam_core.prompting.merge import TileObject
from sam_core.prompting.prompts import PixelPrompts
from sam_core.sam.embeddings import EmbeddingCache, TileEncoder
from sam_core.sam.hardware import detect
from sam_core.sam.model import load_model
from sam_core.sam.precision import candidates
from sam_core.sam.random_weights import save_random_checkpoint, vit_b_config

#: points per side of the thresholds-0 run: every mask survives the filters, and segment_anything's
#: generator upsamples and RLE-encodes each of them (a minute at 12 per side)
ZERO_SIDE = 12


def _encoded_tile(work: Path, vit_b: Path):
    """(fp32 model, source, tile, image, embedding) of the first 1024 px tile of a generated raster."""
    raster = write_test_raster(work / "fast_decoder.tif", 1024, 1024)
    model = load_model(vit_b, "cpu", precision="fp32", verdicts=None)
    source = RasterSource(raster)
    tile = source.grid(1024, 256).tile(0, 0)
    image = source.read_window(tile.window)
    embedding = TileEncoder(model, source, EmbeddingCache(None)).encode(tile, image=image).embedding
    return model, source, tile, image, embedding


def _sam_click(model, embedding, prompts: PixelPrompts) -> np.ndarray:
    """segment_anything's plain path for one click: what ``predict_mask`` did before the fast path."""
    sam, tile = model.sam, prompts.tile.size
    coords = torch.as_tensor(prompts.points * (model.img_size / tile) - 0.5, dtype=torch.float32)[None]
    labels = torch.as_tensor(prompts.labels)[None]
    with torch.inference_mode(), model.autocast():
        sparse, dense = sam.prompt_encoder(points=(coords, labels), boxes=None, masks=None)
        low_res, iou = sam.mask_decoder(
            image_embeddings=embedding,
            image_pe=sam.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=True,
        )
        best = int(torch.argmax(iou[0]))
        logits = sam.postprocess_masks(low_res[:, best : best + 1].float(), (1024, 1024), (tile, tile))
    return (logits[0, 0] > sam.mask_threshold).numpy()


def _clicks(model, embedding, tile, n: int) -> dict:
    """ms per click (p50) of both paths, alternating on the same clicks, and the masks' pixel agreement."""
    points = np.random.default_rng(0).uniform(0, tile.size, size=(n + 3, 2))
    ours, theirs, agree = [], [], []
    for i, point in enumerate(points):
        prompts = PixelPrompts(tile, point[None], np.array([1]), None)
        start = time.perf_counter()
        mask = predict_mask(model, embedding, prompts).mask
        middle = time.perf_counter()
        reference = _sam_click(model, embedding, prompts)
        end = time.perf_counter()
        if i >= 3:  # the first calls warm up torch's kernels (and fill the per-tile cache)
            ours.append((middle - start) * 1000)
            theirs.append((end - middle) * 1000)
            agree.append(float(np.mean(mask == reference)))
    return {"ours": _p50(ours), "sam": _p50(theirs), "agree": round(min(agree), 5)}


def bench_fast_prompt(work: Path, vit_b: Path, n: int = 40) -> dict:
    """A click's decoder on an encoded 1024 px tile: the fast path and segment_anything's, fp32 and bf16."""
    model, source, tile, _, embedding = _encoded_tile(work, vit_b)
    source.close()
    fp32 = _clicks(model, embedding, tile, n)
    model.precision = "bf16"  # the decoder's autocast only: the tile is encoded already
    bf16 = _clicks(model, embedding, tile, n)
    fast = candidates(detect(torch.device("cpu")))[0] == "bf16"  # what auto runs here
    return {
        "prompt_decoder_ms_p50": (bf16 if fast else fp32)["ours"],
        "prompt_decoder_precision": "bf16" if fast else "fp32",
        "prompt_decoder_fp32_ms_p50": fp32["ours"],
        "prompt_decoder_sam_ms_p50": fp32["sam"],
        "prompt_decoder_speedup": round(fp32["sam"] / fp32["ours"], 2),
        "prompt_decoder_min_pixel_agreement": fp32["agree"],
        "prompt_decoder_bf16_ms_p50": bf16["ours"],
        "prompt_decoder_sam_bf16_ms_p50": bf16["sam"],
        "prompt_decoder_bf16_min_pixel_agreement": bf16["agree"],
        "prompt_decoder_clicks": n,
        "prompt_decoder_torch_threads": torch.get_num_threads(),
    }


def _p50(values) -> float:
    return round(float(np.percentile(values, 50)), 1)


def _everything_run(model, image, embedding, options: EverythingOptions) -> dict:
    """Both generators on the tile: seconds, masks, matched fraction, and our masks → polygons."""
    start = time.perf_counter()
    ours = list(tile_mask_generator(model, options).masks(image.rgb, embedding))
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    with torch.inference_mode():
        theirs = list(
            TileMaskGenerator(model, replace(options, points_per_batch=8)).masks(image.rgb, embedding)
        )
    theirs_s = time.perf_counter() - start
    return {"ours_s": ours_s, "sam_s": theirs_s, "ours": ours, "sam": theirs}


def _polygons(source, tile, image, masks) -> tuple[float, int]:
    """Seconds to turn masks into polygons as segment everything does (valid pixels, sieve, trace), and
    how many parts they have."""
    start = time.perf_counter()
    raster, parts = source.grid(1024, 256).raster_window, 0
    for mask, score, stability in masks:
        mask = features.sieve((mask & image.valid).astype(np.uint8), 16, connectivity=4).astype(bool)
        if mask.any():
            parts += len(TileObject.from_mask(mask, tile, score, stability, raster).geometry.geoms)
    return time.perf_counter() - start, parts


def bench_fast_everything(work: Path, vit_b: Path) -> dict:
    """One 1024 px tile: the fast path and segment_anything's generator, with real and zero thresholds."""
    model, source, tile, image, embedding = _encoded_tile(work, vit_b)
    real = _everything_run(model, image, embedding, EverythingOptions(points_per_batch=None))
    zero = _everything_run(
        model,
        image,
        embedding,
        EverythingOptions(points_per_side=ZERO_SIDE, pred_iou_thresh=0.0, stability_score_thresh=0.0),
    )
    model.precision = "bf16"  # the decoder's autocast only: the tile is encoded already
    start = time.perf_counter()
    bf16_masks = list(tile_mask_generator(model, EverythingOptions()).masks(image.rgb, embedding))
    bf16_s = time.perf_counter() - start
    polygons_s, polygons = _polygons(source, tile, image, zero["ours"])
    source.close()
    return {
        "everything_tile_s": round(real["ours_s"], 2),
        "everything_tile_sam_s": round(real["sam_s"], 2),
        "everything_tile_speedup": round(real["sam_s"] / real["ours_s"], 2),
        "everything_tile_masks": len(real["ours"]),
        "everything_tile_sam_masks": len(real["sam"]),
        "everything_tile_points_per_side": EverythingOptions().points_per_side,
        "everything_tile_bf16_s": round(bf16_s, 2),
        "everything_tile_bf16_masks": len(bf16_masks),
        "everything_objects_matched_fraction": round(matched_fraction(zero["ours"], zero["sam"]), 4),
        "everything_tile_thresholds0_s": round(zero["ours_s"], 2),
        "everything_tile_thresholds0_sam_s": round(zero["sam_s"], 2),
        "everything_tile_thresholds0_speedup": round(zero["sam_s"] / zero["ours_s"], 2),
        "everything_tile_thresholds0_masks": len(zero["ours"]),
        "everything_tile_thresholds0_sam_masks": len(zero["sam"]),
        "everything_tile_thresholds0_points_per_side": ZERO_SIDE,
        "everything_tile_thresholds0_polygons_s": round(polygons_s, 2),
        "everything_tile_thresholds0_polygons": polygons,
    }


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="terrasam-bench-") as tmp:
        work = Path(tmp)
        vit_b = work / "random_vit_b.pth"
        save_random_checkpoint(vit_b, vit_b_config(), seed=0)
        results = {**bench_fast_prompt(work, vit_b), **bench_fast_everything(work, vit_b)}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
