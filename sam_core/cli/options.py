"""The one validation layer for CLI options: numbers, memory limits and output paths, before any work.

Numbers are checked by argparse ``type=`` validators (finite, in range); what depends on several options
or on the machine (tile size and prompt grid against the memory available, every output path) is checked by
``check_args`` right after parsing. Each problem is one sentence that says the limit and why; the CLI turns
it into ``error: ...`` and exit code 2, and nothing has been read, loaded or written yet.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable

from .. import config
from ..errors import SamCoreError
from ..io import check_output_file, check_output_folder

VECTOR = (".gpkg", ".geojson")
IMAGE = (".png", ".jpg", ".jpeg")
FOLDER = "folder"
#: every output of every command: (option attribute, allowed extensions, FOLDER, or None for any name)
OUTPUTS: dict[str, tuple[tuple[str, object], ...]] = {
    "encode": (("cache_dir", FOLDER),),
    "segment": (("out", VECTOR), ("preview", IMAGE), ("cache_dir", FOLDER)),
    "everything": (("out", VECTOR), ("cache_dir", FOLDER)),
    "detect": (("out", VECTOR), ("cache_dir", FOLDER)),
    "evaluate": (("out", (".json",)),),
    "train-classifier": (("out", None), ("report_dir", FOLDER), ("cache_dir", FOLDER)),
    "classify": (("out", VECTOR), ("summary", (".json", ".csv")), ("cache_dir", FOLDER)),
    "finetune": (("out", (".pth", ".pt")), ("report_dir", FOLDER), ("cache_dir", FOLDER)),
    "train-segmenter": (("out", (".pt", ".pth")), ("report_dir", FOLDER), ("cache_dir", FOLDER)),
    "map": (
        ("out", (".tif", ".tiff")),
        ("polygons", VECTOR),
        ("summary", (".json", ".csv")),
        ("cache_dir", FOLDER),
    ),
    "label-objects": (("out", VECTOR), ("cache_dir", FOLDER)),
}

#: working memory per tile pixel: band reads, RGB, validity, stretch and the decoder's masks at tile size
SEGMENT_BYTES_PER_PIXEL = 64
#: segment everything keeps a batch of 64 points x 3 masks at tile size as float32 and bool, plus the above
EVERYTHING_BYTES_PER_PIXEL = 64 * 3 * 5 + SEGMENT_BYTES_PER_PIXEL
#: per prompt point of the automatic grid: its coordinates, scores and boxes as SAM keeps them
BYTES_PER_POINT = 64
#: one tile may use at most this share of the available memory: the model and the libraries need the rest
MEMORY_SHARE = 0.5
SEED_MAX = 2**32 - 1


def _parse(text: str, kind: type) -> float | int:
    try:
        return kind(text)
    except ValueError:
        word = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"must be {word}, not {text!r}") from None


def _ranged(kind: type, low, high, above: bool) -> Callable[[str], float | int]:
    def convert(text: str):
        value = _parse(text, kind)
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, not {text!r}")
        too_low = low is not None and (value <= low if above else value < low)
        if too_low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {_describe(low, high, above)}, not {text!r}")
        return value

    convert.__name__ = "integer" if kind is int else "number"
    return convert


def _describe(low, high, above: bool) -> str:
    if low is not None and high is not None:
        return f"between {low} and {high}"
    if low is not None:
        return f"more than {low}" if above else f"at least {low}"
    return f"at most {high}"


def real(low: float | None = None, high: float | None = None, *, above: bool = False):
    """argparse type: a finite float in [low, high] (``above``: strictly more than ``low``)."""
    return _ranged(float, low, high, above)


def whole(low: int | None = None, high: int | None = None):
    """argparse type: an int in [low, high]."""
    return _ranged(int, low, high, False)


def finite(text: str) -> float:
    """A coordinate: any finite number."""
    return _ranged(float, None, None, False)(text)


def available_memory() -> int | None:
    """Bytes of memory a new allocation can get now: Linux's MemAvailable (else the free pages), capped by
    the cgroup's limit inside a container; None when the OS does not say."""
    free = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if free is None:
        try:
            free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, OSError, ValueError):
            return None
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as handle:
            limit = handle.read().strip()
        with open("/sys/fs/cgroup/memory.current", encoding="ascii") as handle:
            used = int(handle.read().strip())
        if limit != "max":
            free = min(free, max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    return free


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


def check_memory(args, available: int | None = None) -> None:
    """``--tile-size`` and ``--points-per-side`` against the memory one tile needs (see the constants)."""
    available = available_memory() if available is None else available
    if available is None or not hasattr(args, "tile_size"):
        return
    tile = args.tile_size or config.TILE_SIZE  # None: the model's, at most the usual tile
    everything = args.command == "everything"
    per_pixel = EVERYTHING_BYTES_PER_PIXEL if everything else SEGMENT_BYTES_PER_PIXEL
    budget = available * MEMORY_SHARE
    if per_pixel * tile**2 > budget:
        limit = math.isqrt(int(budget // per_pixel))
        raise SamCoreError(
            f"--tile-size {tile} needs about {_gib(per_pixel * tile**2)} of memory per tile ({per_pixel} bytes "
            f"a pixel in {args.command}), and {_gib(available)} is available: at most {limit} here"
        )
    if not everything:
        return
    side, layers = args.points_per_side, args.crop_n_layers
    crops = sum(4**layer for layer in range(layers + 1))  # crop layer i cuts the tile into 2^i x 2^i crops
    points = side**2 * crops
    if points * BYTES_PER_POINT > budget:
        limit = math.isqrt(int(budget // (BYTES_PER_POINT * crops)))
        raise SamCoreError(
            f"--points-per-side {side} makes {points:,} prompt points a tile, which need about "
            f"{_gib(points * BYTES_PER_POINT)} of memory, and {_gib(available)} is available: "
            f"at most {limit} here" + (f" with --crop-n-layers {layers}" if layers else "")
        )
    if side > tile:
        raise SamCoreError(
            f"--points-per-side {side} is more than the tile's {tile} pixels a side: at most one prompt "
            f"point a pixel ({tile} here)"
        )


def check_outputs(args) -> None:
    """Every output path the command was given, checked before any work (nothing is created)."""
    for name, kind in OUTPUTS.get(args.command, ()):
        value = getattr(args, name, None)
        if not value:
            continue
        option = "--" + name.replace("_", "-")
        if kind == FOLDER:
            check_output_folder(value, option)
        else:
            check_output_file(value, kind, option)


def check_args(args) -> None:
    """All checks that need more than one option or the machine: run right after parsing."""
    check_memory(args)
    check_outputs(args)


#: libraries whose own exceptions are about the files they read or write, never a bug of ours
FILE_LIBRARIES = ("rasterio", "pyogrio", "fiona")


def boundary_message(exc: BaseException) -> str | None:
    """The last line of defence at the command boundary, after the checks: an error of the machine or of a
    file library as one sentence (None: a bug, which keeps its traceback)."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":  # torch's is a RuntimeError
        text = "out of memory; try a smaller --tile-size or --points-per-side, or a smaller extent"
    elif isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        text = f"{where}{exc.strerror or exc}"
    elif type(exc).__module__.split(".")[0] in FILE_LIBRARIES:
        text = f"{type(exc).__module__.split('.')[0]}: {exc}"
    else:
        return None
    return " ".join(str(text).split())
