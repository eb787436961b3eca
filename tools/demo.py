"""make demo: segment two objects on a GeoTIFF headless and write a GeoPackage plus a PNG preview.

Prompts: a foreground point at the raster's centre, and a box around the central eighth. The checkpoint
comes from --checkpoint, $SAM_CHECKPOINT, checkpoints/sam_vit_b_01ec64.pth or ~/.cache/terrasam/; none is
downloaded (the command that does is printed instead). --random-weights runs the same pipeline with a
random vit_b, to see the plumbing work without a checkpoint (its masks are meaningless).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sam_core.errors import SamCoreError

CHECKPOINT_NAME = "sam_vit_b_01ec64.pth"
SEARCH = [ROOT / "checkpoints" / CHECKPOINT_NAME, Path.home() / ".cache" / "terrasam" / CHECKPOINT_NAME]
NO_CHECKPOINT = (
    f"No SAM checkpoint found: download {CHECKPOINT_NAME} (375 MB) from "
    "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth and put it in "
    f"{ROOT / 'checkpoints'}/ (or run make demo CHECKPOINT=/path/to/file.pth, or set SAM_CHECKPOINT)."
)


def find_checkpoint(given: str | None, out: Path, random_weights: bool) -> Path:
    if random_weights:
        from sam_core.random_weights import save_random_checkpoint, vit_b_config

        path = out / "random_vit_b.pth"
        if not path.exists():
            save_random_checkpoint(path, vit_b_config(), seed=0)
        return path
    for candidate in [given, os.environ.get("SAM_CHECKPOINT"), *SEARCH]:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    if given:
        raise SamCoreError(f"checkpoint not found: {given}")
    raise SamCoreError(NO_CHECKPOINT)


def run(raster: Path, checkpoint: Path, out: Path) -> dict:
    from sam_core.embeddings import EmbeddingCache
    from sam_core.model import load_model
    from sam_core.output import PROMPT_FIELDS, write_polygons
    from sam_core.preview import render_preview
    from sam_core.prompts import Point, Prompts
    from sam_core.raster import RasterSource
    from sam_core.segment import Segmenter

    model = load_model(checkpoint)
    print(f"model: {model.info.describe()} on {model.device}", file=sys.stderr)
    with RasterSource(raster) as source:
        xmin, ymin, xmax, ymax = source.info()["bounds"]
        cx, cy, dx, dy = (xmin + xmax) / 2, (ymin + ymax) / 2, (xmax - xmin) / 16, (ymax - ymin) / 16
        segmenter = Segmenter(source, model, EmbeddingCache(out / "cache"))
        print("encoding the tile under the prompts (about 15 s for vit_b on 2 CPU cores)...", file=sys.stderr)
        results = [
            segmenter.segment(Prompts(points=(Point(cx, cy, 1),))),
            segmenter.segment(Prompts(box=(cx - dx, cy - dy, cx + dx, cy + dy))),
        ]
        records = [r.record(i) for i, r in enumerate(results, 1) if not r.geometry.is_empty]
        gpkg = write_polygons(out / "demo.gpkg", records, source.crs, PROMPT_FIELDS)
        png = render_preview(source, [r["geometry"] for r in records], out / "demo.png")
    return {
        "raster": str(raster),
        "gpkg": str(gpkg),
        "png": str(png),
        "objects": [{k: v for k, v in r.items() if k != "geometry"} for r in records],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raster", default="")
    parser.add_argument("--checkpoint", default="")
    parser.add_argument("--out", default="demo_out")
    parser.add_argument("--random-weights", action="store_true")
    args = parser.parse_args()
    try:
        raster = Path(args.raster) if args.raster else None
        if raster is None or not raster.is_file():
            raise SamCoreError(
                f"raster not found: {args.raster}"
                if args.raster
                else "give a raster: make demo RASTER=/path/to/image.tif"
            )
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        checkpoint = find_checkpoint(args.checkpoint or None, out, args.random_weights)
        print(json.dumps(run(raster, checkpoint, out), indent=2))
    except SamCoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
