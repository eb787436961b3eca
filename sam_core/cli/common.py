"""What several command groups share: the argument types of prompts and bands, the option groups of every
encoding command, and the one progress line on stderr.

Kept apart from ``main`` (the parser and the dispatch) so each command module can use them without importing
the module that imports it.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys

from .. import config
from .options import finite, real, whole


def point(text: str) -> tuple[float, float, int]:
    """argparse type: ``X,Y`` or ``X,Y,LABEL`` (LABEL 1 foreground, 0 background)."""
    parts = text.split(",")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        x, y = finite(parts[0]), finite(parts[1])
        label = int(parts[2]) if len(parts) == 3 else 1
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a point is X,Y or X,Y,LABEL (LABEL 1 or 0) of finite numbers, not {text!r}"
        ) from None
    if label not in (0, 1):
        raise argparse.ArgumentTypeError(f"a point's LABEL is 1 (foreground) or 0 (background), not {label}")
    return x, y, label


def box(text: str) -> tuple[float, float, float, float]:
    """argparse type: ``XMIN,YMIN,XMAX,YMAX`` of finite numbers, minimum below maximum."""
    try:
        values = tuple(float(v) for v in text.split(","))
        if len(values) != 4:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"a box is XMIN,YMIN,XMAX,YMAX, not {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"a box is four finite numbers, not {text!r}")
    if not (values[0] < values[2] and values[1] < values[3]):
        raise argparse.ArgumentTypeError(f"a box needs XMIN < XMAX and YMIN < YMAX: {text!r}")
    return values


def bands(text: str) -> tuple[int, ...]:
    """argparse type: band numbers like ``4,3,2`` (how many is checked where the raster is opened)."""
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"bands are 1 or 3 band numbers like 4,3,2, not {text!r}") from None


def add_engine_options(command: argparse.ArgumentParser) -> None:
    """Raster, checkpoint, bands, cache, device and tile size: what every encoding command takes."""
    command.add_argument("raster")
    command.add_argument(
        "--checkpoint", required=True, help="SAM checkpoint (.pth), e.g. sam_vit_b_01ec64.pth"
    )
    command.add_argument("--bands", type=bands, help="1 or 3 band numbers (default: RGB / first three)")
    command.add_argument("--cache-dir", help="keep image embeddings here so later runs skip the encoder")
    add_device_options(command)
    command.add_argument(
        "--tile-size",
        type=whole(16),
        help="tile side in source pixels (default: the model's: a fine-tuned model's learned scale, "
        f"else {config.TILE_SIZE})",
    )


def add_device_options(command: argparse.ArgumentParser) -> None:
    """Where and how the model runs: every command that loads one takes these three."""
    command.add_argument("--device", default=config.DEVICE, choices=config.DEVICES)
    command.add_argument(
        "--precision",
        default=config.PRECISION,
        choices=config.PRECISIONS,
        help="encoder path: auto (default) takes the fastest one that passes the fidelity check here",
    )
    command.add_argument(
        "--threads", type=whole(1), help="CPU threads for the model (default: the physical cores)"
    )


def add_cluster_options(command: argparse.ArgumentParser) -> None:
    """Where the tiles run: here (default), a local Dask cluster, or an existing one (every batch command)."""
    group = command.add_argument_group("distributed (Dask)")
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=whole(1),
        metavar="N",
        help="run the tiles on a local Dask cluster of N worker processes (1 thread each; --threads: torch "
        "threads per worker), started and stopped by this command",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the tiles on an existing Dask cluster, e.g. tcp://host:8786 (its workers must read the "
        "raster, the checkpoint and --cache-dir at the same paths)",
    )


def cluster_runner(args, is_cancelled=None):
    """A context manager giving the run's ``DaskRunner``, or None to run here (no cluster option)."""
    from ..distributed.cluster import ClusterOptions, dask_runner

    options = ClusterOptions(getattr(args, "scheduler", None), getattr(args, "workers", None), args.threads)
    return dask_runner(options, is_cancelled)


def tile_size_of(args) -> int:
    """``--tile-size``, else the model's (``LoadedModel.tile_size``), read from the checkpoint's sidecar
    without loading the weights, so tiles can be located before the model loads."""
    if args.tile_size is not None:
        return args.tile_size
    from ..sam.tuned import read_sidecar

    tuned = read_sidecar(args.checkpoint)  # a damaged sidecar is an error here already
    return tuned.tile_px if tuned else config.TILE_SIZE


def add_extent_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--extent", type=box, metavar="XMIN,YMIN,XMAX,YMAX", help="default: the whole raster"
    )
    command.add_argument("--extent-crs", help="CRS of --extent (default: the raster's CRS)")


def add_model_options(command: argparse.ArgumentParser, out_default: str) -> None:
    """The engine options plus output and post-processing: what every segmenting command takes."""
    add_engine_options(command)
    command.add_argument(
        "--out", default=out_default, help=f"output .gpkg or .geojson (default {out_default})"
    )
    command.add_argument("--min-area-m2", type=real(0), default=0.0, help="drop parts smaller than this")
    command.add_argument("--min-hole-m2", type=real(0), default=0.0, help="fill holes smaller than this")
    command.add_argument(
        "--simplify-px", type=real(0), default=0.0, help="simplification tolerance in pixels"
    )


def user_cache():
    """The user's TerraSAM cache folder (imported when a command needs it: the parser loads no torch)."""
    from ..sam.checkpoints import user_cache as folder

    return folder()


_last_progress: list = [None]
_bar: list = [None]  # the terminal's progress bar (tqdm), while a run shows one


def reset_progress() -> None:
    """Forget the last line shown: each run of ``main`` starts at no progress."""
    _last_progress[0] = None
    if _bar[0] is not None:
        _bar[0].close()
        _bar[0] = None


def progress(fraction: float) -> None:
    """``progress: 37% tile 2 of 4, about 3 min left`` (percent rounded down: 100% only when done); a line
    only when the percent or the tile changes. On a terminal, a bar that redraws in place instead."""
    percent, tile = int(fraction * 100 + 1e-9), getattr(fraction, "tile", None)
    if _last_progress[0] == (percent, tile):
        return
    _last_progress[0] = (percent, tile)
    detail = fraction.describe() if hasattr(fraction, "describe") else ""
    if sys.stderr.isatty():
        _draw_bar(percent, detail)
        return
    line = f"progress: {percent}%"
    print(f"{line} {detail}" if detail else line, file=sys.stderr, flush=True)


def _draw_bar(percent: int, detail: str) -> None:
    from tqdm import tqdm

    if _bar[0] is None:
        size = shutil.get_terminal_size((80, 24))  # a new pseudo-terminal may say 0 × 0: tqdm shows nothing
        _bar[0] = tqdm(
            total=100,
            file=sys.stderr,
            ncols=size.columns or 80,
            nrows=size.lines or 24,
            bar_format="{percentage:3.0f}% |{bar}| {desc}",
        )
    bar = _bar[0]
    bar.n = percent
    bar.set_description_str(detail, refresh=True)
    if percent >= 100:
        bar.close()
        _bar[0] = None
