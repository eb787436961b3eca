"""Labelled image patches in the EuroSAT layout: one folder per class, the folder name is the class name.

Two kinds of data set, one per folder tree:

- RGB images (``.jpg``/``.jpeg``/``.png``, as EuroSAT's RGB release): read as 8-bit RGB, no stretch;
- multi-band GeoTIFFs (``.tif``/``.tiff``, as EuroSAT's 13-band release): the bands SAM sees are chosen as
  for rasters (B4,B3,B2 for 13-band Sentinel-2, else the RGB or first three bands; ``bands`` overrides), and
  one 2–98 % stretch is computed over a sample of the whole data set and applied to every patch, so all
  patches (and later the rasters classified with the head) are scaled alike.

Patches are square; the patch size is the most common image size, rounded to a multiple of the encoder's
16-pixel cell, and any other image is resized to it. Each file's identity is the sha256 of its bytes (the
feature cache is keyed by it). Any image that cannot be read is an error naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image, UnidentifiedImageError
from rasterio.enums import Resampling
from rasterio.errors import RasterioError

from ..errors import SamCoreError, first_line
from ..geo.crs import parse_crs
from ..geo.gsd import ground_gsd_m
from ..geo.raster import DEFAULT_PERCENTILES, Stretch, resolve_bands

RGB_SUFFIXES = (".jpg", ".jpeg", ".png")
TIF_SUFFIXES = (".tif", ".tiff")
#: EuroSAT's patches are Sentinel-2 10 m pixels; used when the images carry no georeferencing.
DEFAULT_GSD_M = 10.0
ENCODER_CELL_PX = 16
#: Patches sampled for the multi-band stretch.
STRETCH_SAMPLE = 256
IDENTITY = Stretch((0.0, 0.0, 0.0), (255.0, 255.0, 255.0))


@dataclass(frozen=True)
class PatchSet:
    """A scanned data set: files, labels and how their pixels become SAM's RGB."""

    root: Path
    class_names: tuple[str, ...]
    paths: tuple[Path, ...]
    labels: np.ndarray  # (N,) int64 index into class_names
    kind: str  # "rgb" or "multiband"
    band_count: int  # bands in each file (3 for RGB images)
    bands: tuple[int, int, int] | None  # 1-based bands read from multi-band files; None for RGB images
    bands_explicit: bool  # the user chose the bands (else the default choice)
    dtype: str  # sample type of the files ("uint8" for RGB images)
    stretch: Stretch
    patch_px: int
    gsd_m: float  # ground size of a patch pixel (after any resize to patch_px)

    def __len__(self) -> int:
        return len(self.paths)

    @cached_property
    def digests(self) -> tuple[str, ...]:
        """sha256 of every file's bytes, in order."""
        return tuple(_file_digest(p) for p in self.paths)

    @property
    def pixel_key(self) -> str:
        """Everything besides the file bytes that decides the pixels SAM sees."""
        return json.dumps([self.kind, self.bands, self.stretch.key, self.patch_px])

    def name(self, index: int) -> str:
        return str(self.paths[index].relative_to(self.root))

    def read(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Patch ``index`` as (patch_px, patch_px, 3) uint8 RGB and its (patch_px, patch_px) validity mask."""
        path, size = self.paths[index], self.patch_px
        try:
            if self.kind == "rgb":
                return _read_rgb(path, size)
            return _read_multiband(path, self.bands, self.stretch, size)
        except (OSError, ValueError, UnidentifiedImageError, RasterioError) as exc:
            raise SamCoreError(f"cannot read image {self.name(index)}: {first_line(exc)}") from exc


def open_patch_set(
    root: str | os.PathLike,
    bands=None,
    gsd_m: float | None = None,
    percentiles=DEFAULT_PERCENTILES,
) -> PatchSet:
    """Scan ``root`` (one sub-folder per class) and work out band choice, stretch, patch size and GSD."""
    root = Path(root)
    if not root.is_dir():
        raise SamCoreError(f"data folder not found: {root}")
    suffixes = RGB_SUFFIXES + TIF_SUFFIXES
    classes: list[str] = []
    paths: list[Path] = []
    labels: list[int] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(
            f
            for f in folder.iterdir()
            if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in suffixes
        )
        if not files:
            raise SamCoreError(f"class folder {folder.name!r} holds no images (.jpg, .png or .tif)")
        if len(files) < 2:
            raise SamCoreError(
                f"class {folder.name!r} has only one image: each class needs at least two "
                "(one to train on, one to check)"
            )
        labels.extend([len(classes)] * len(files))
        classes.append(folder.name)
        paths.extend(files)
    if len(classes) < 2:
        found = f": only {classes[0]!r}" if classes else ""
        raise SamCoreError(
            f"a classifier needs at least two classes (one sub-folder of images per class) in {root}{found}"
        )
    kinds = {"multiband" if p.suffix.lower() in TIF_SUFFIXES else "rgb" for p in paths}
    if len(kinds) > 1:
        raise SamCoreError(f"{root} mixes .tif and .jpg/.png images: use one kind of image per data set")
    kind = kinds.pop()
    if gsd_m is not None and not gsd_m > 0:
        raise SamCoreError(f"the ground resolution must be positive, not {gsd_m}")
    scan = _scan_rgb(root, paths) if kind == "rgb" else _scan_multiband(root, paths)
    side = Counter(scan["sizes"]).most_common(1)[0][0]
    patch_px = max(ENCODER_CELL_PX, round(side / ENCODER_CELL_PX) * ENCODER_CELL_PX)
    chosen, explicit, stretch = None, bands is not None, IDENTITY
    if kind == "multiband":
        chosen = resolve_bands(scan["count"], bands, scan["colorinterp"])
        stretch = _dataset_stretch(paths, chosen, percentiles)
    elif bands is not None:
        raise SamCoreError("--bands applies to multi-band .tif images; .jpg/.png images are read as RGB")
    native_gsd = gsd_m if gsd_m is not None else scan.get("gsd_m") or DEFAULT_GSD_M
    return PatchSet(
        root=root,
        class_names=tuple(classes),
        paths=tuple(paths),
        labels=np.asarray(labels, np.int64),
        kind=kind,
        band_count=scan["count"],
        bands=chosen,
        bands_explicit=explicit,
        dtype=scan["dtype"],
        stretch=stretch,
        patch_px=patch_px,
        gsd_m=float(native_gsd) * side / patch_px,
    )


def _scan_rgb(root: Path, paths: list[Path]) -> dict:
    sizes = []
    for path in paths:
        try:
            with Image.open(path) as image:
                sizes.append(max(image.size))
        except (OSError, UnidentifiedImageError) as exc:
            raise SamCoreError(f"cannot read image {path.relative_to(root)}: {first_line(exc)}") from exc
    return {"sizes": sizes, "count": 3, "dtype": "uint8", "colorinterp": ()}


def _scan_multiband(root: Path, paths: list[Path]) -> dict:
    sizes, counts, dtypes, first = [], set(), set(), None
    for path in paths:
        try:
            with rasterio.open(path) as ds:
                sizes.append(max(ds.width, ds.height))
                counts.add(ds.count)
                dtypes.add(ds.dtypes[0])
                if first is None:
                    first = (ds.colorinterp, ds.transform, ds.width, ds.height, ds.crs)
        except (RasterioError, OSError) as exc:
            raise SamCoreError(f"cannot read image {path.relative_to(root)}: {first_line(exc)}") from exc
    if len(counts) > 1:
        raise SamCoreError(f"the .tif images have different band counts ({sorted(counts)}): use one kind")
    colorinterp, transform, width, height, crs = first
    gsd = None
    if crs is not None and not transform.is_identity:
        try:
            gsd = ground_gsd_m(transform, width, height, parse_crs(crs.to_wkt()))
        except SamCoreError:
            gsd = None
    return {
        "sizes": sizes,
        "count": counts.pop(),
        "dtype": dtypes.pop() if len(dtypes) == 1 else "mixed",
        "colorinterp": colorinterp,
        "gsd_m": gsd,
    }


def _dataset_stretch(paths: list[Path], bands, percentiles) -> Stretch:
    """One percentile stretch from an evenly spaced sample of the data set's patches."""
    step = max(1, len(paths) // STRETCH_SAMPLE)
    unique = sorted(set(bands))
    values: list[list[np.ndarray]] = [[] for _ in unique]
    for path in paths[::step]:
        try:
            with rasterio.open(path) as ds:
                data = ds.read(unique)
                valid = np.any(ds.read_masks(unique) > 0, axis=0)
        except (RasterioError, OSError) as exc:
            raise SamCoreError(f"cannot read image {path.name}: {first_line(exc)}") from exc
        for i in range(len(unique)):
            values[i].append(data[i][valid])
    lows, highs = {}, {}
    for i, band in enumerate(unique):
        sample = np.concatenate(values[i])
        if sample.size == 0:
            raise SamCoreError("the .tif images hold no valid (non-nodata) pixels")
        lo, hi = np.percentile(sample, percentiles)
        lows[band], highs[band] = float(lo), float(hi) if hi > lo else float(lo) + 1.0
    return Stretch(tuple(lows[b] for b in bands), tuple(highs[b] for b in bands))


def _read_rgb(path: Path, size: int) -> tuple[np.ndarray, np.ndarray]:
    with Image.open(path) as image:
        image.load()
        alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
        rgb = image.convert("RGB")
        if rgb.size != (size, size):
            rgb = rgb.resize((size, size), Image.Resampling.BILINEAR)
            alpha = alpha.resize((size, size), Image.Resampling.NEAREST) if alpha else None
        pixels = np.asarray(rgb, np.uint8).copy()
    valid = np.ones((size, size), bool) if alpha is None else np.asarray(alpha) > 0
    pixels[~valid] = 0
    return pixels, valid


def _read_multiband(path: Path, bands, stretch: Stretch, size: int) -> tuple[np.ndarray, np.ndarray]:
    unique = sorted(set(bands))
    with rasterio.open(path) as ds:
        shape = (len(unique), size, size)
        raw = ds.read(unique, out_shape=shape, resampling=Resampling.bilinear)
        valid = np.any(ds.read_masks(unique, out_shape=shape) > 0, axis=0)
    rgb = stretch.apply(raw[[unique.index(b) for b in bands]])
    rgb[~valid] = 0
    return rgb, valid


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
