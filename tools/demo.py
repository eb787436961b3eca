"""make demo: segment two objects on a GeoTIFF headless and write a GeoPackage plus a PNG preview.

Prompts: a foreground point at the raster's centre, and a box around the central eighth. The checkpoint
comes from --checkpoint, $SAM_CHECKPOINT, checkpoints/sam_vit_b_01ec64.pth or the user cache
(~/.cache/terrasam/checkpoints/); with none, the official vit_b is downloaded into the user cache
(resumable, SHA-256 verified; $TERRASAM_CHECKPOINT_BASE_URL names a mirror). Where that fails (no network),
the demo says so in one line and runs the same pipeline on a seeded random vit_b, and every output says
"random weights — masks are meaningless". --random-weights asks for that directly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sam_core.cli.fetch import ProgressBar
from sam_core.errors import SamCoreError
from sam_core.sam.checkpoints import OFFICIAL, default_dir, download, parse_sha256, user_cache

OFFICIAL_VIT_B = OFFICIAL["vit_b"]
CHECKPOINT_NAME = OFFICIAL_VIT_B.filename


def search_paths() -> list[Path]:
    """Where a checkpoint is looked for (the last: where earlier versions told users to put it)."""
    return [
        ROOT / "checkpoints" / CHECKPOINT_NAME,
        default_dir() / CHECKPOINT_NAME,
        user_cache(CHECKPOINT_NAME),
    ]


def find_checkpoint(
    given: str | None, out: Path, random_weights: bool, sha256: str | None
) -> tuple[Path, bool]:
    """The checkpoint to run, and whether it holds random weights."""
    if random_weights:
        return random_checkpoint(out), True
    for candidate in [given, os.environ.get("SAM_CHECKPOINT"), *search_paths()]:
        if candidate and Path(candidate).is_file():
            return Path(candidate), False
    if given:
        raise SamCoreError(f"checkpoint not found: {given}")
    return fetch_vit_b(out, sha256)


def fetch_vit_b(out: Path, sha256: str | None) -> tuple[Path, bool]:
    """The official vit_b into the user cache; on any failure (no network, a bad file) random weights."""
    dest = default_dir() / CHECKPOINT_NAME
    header = (
        f"demo: no checkpoint found; downloading {CHECKPOINT_NAME} ({OFFICIAL_VIT_B.size / 1e6:,.0f} MB) "
        f"into {dest.parent}"
    )
    bar = ProgressBar(CHECKPOINT_NAME, header=header)
    try:
        result = download(OFFICIAL_VIT_B.url, dest, sha256 or OFFICIAL_VIT_B.sha256, progress=bar)
    except SamCoreError as exc:
        from sam_core.sam.random_weights import RANDOM_LABEL

        bar.close()
        print(
            f"demo: {exc}; running on a seeded random-weight vit_b instead: {RANDOM_LABEL}", file=sys.stderr
        )
        return random_checkpoint(out), True
    bar.close()
    return result.path, False


def random_checkpoint(out: Path) -> Path:
    from sam_core.sam.random_weights import save_random_checkpoint, vit_b_config

    path = out / "random_vit_b.pth"
    if not path.exists():
        save_random_checkpoint(path, vit_b_config(), seed=0)
    return path


def run(raster: Path, checkpoint: Path, out: Path, random_weights: bool = False) -> dict:
    from sam_core.geo.output import PROMPT_FIELDS, write_polygons
    from sam_core.geo.preview import render_preview
    from sam_core.geo.raster import RasterSource
    from sam_core.io import all_or_nothing
    from sam_core.prompting.prompts import Point, Prompts
    from sam_core.prompting.segment import Segmenter
    from sam_core.sam.embeddings import EmbeddingCache
    from sam_core.sam.model import load_model

    model = load_model(checkpoint)
    name = model.info.name
    if random_weights:
        from sam_core.sam.random_weights import RANDOM_LABEL

        name = f"{name} — {RANDOM_LABEL}"
    print(f"model: {name}, {model.info.describe()} on {model.describe_device()}", file=sys.stderr)
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
        for record in records:
            record["model"] = name
        title = f"TerraSAM demo: {name}"
        with all_or_nothing():  # both files or neither
            gpkg = write_polygons(out / "demo.gpkg", records, source.crs, PROMPT_FIELDS)
            png = render_preview(source, [r["geometry"] for r in records], out / "demo.png", title=title)
    return {
        "raster": str(raster),
        "model": name,
        "random_weights": random_weights,
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
    parser.add_argument(
        "--sha256", help="expected SHA-256 of the downloaded vit_b (default: the official one)"
    )
    args = parser.parse_args()
    try:
        raster = Path(args.raster) if args.raster else None
        if raster is None or not raster.is_file():
            raise SamCoreError(
                f"raster not found: {args.raster}"
                if args.raster
                else "give a raster: make demo RASTER=/path/to/image.tif"
            )
        sha256 = parse_sha256(args.sha256)  # a typo is an error, not a reason to fall back
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        checkpoint, random_weights = find_checkpoint(
            args.checkpoint or None, out, args.random_weights, sha256
        )
        print(json.dumps(run(raster, checkpoint, out, random_weights), indent=2))
    except SamCoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted (a partial download is kept and resumed next time)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
