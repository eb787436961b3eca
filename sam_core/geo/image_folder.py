"""Image folders of training data: ``images/`` and ``masks/`` with the same file stems (+ ``split.csv``).

Both the decoder fine-tuning data and the segmentation-head data come in this form (the recipes' data set
layout). Images are PNG, JPEG or TIFF of any size: grayscale is repeated to RGB, an alpha band is dropped;
images that are not 8-bit (16-bit PNG/TIFF, float TIFF) get a 2–98 % stretch to uint8 of their own, band by
band, as rasters do (multi-band TIFFs: the bands are chosen as for rasters, ``resolve_bands``); a TIFF's
nodata pixels are not valid. Masks are PNG or TIFF of integer values (a JPEG mask is refused: its compression
invents values); a colour mask's colours become labels 1..n (black is 0). What the values mean — object ids
or class codes — is the caller's.

``split.csv`` (columns image, split; header optional; the image named with or without its suffix) fixes the
split; without it the images are split 70/15/15 by a shuffle seeded with ``seed`` over the sorted stems, so
the split is the same for the same seed and file list. Every problem is one ``SamCoreError`` naming the file.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image, UnidentifiedImageError
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from ..errors import SamCoreError, first_line
from .raster import DEFAULT_PERCENTILES, Stretch, read_valid, resolve_bands

SPLITS = ("train", "val", "test")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
TIF_SUFFIXES = (".tif", ".tiff")
#: the seeded split's shares of train, val, test
SHARES = (0.70, 0.15, 0.15)


def folder_pairs(root: Path) -> tuple[list[str], dict[str, Path], dict[str, Path]]:
    """The sorted stems of ``root``'s images, and each stem's image and mask file; every image needs a mask
    and every mask an image."""
    if not root.is_dir():
        raise SamCoreError(f"training data folder not found: {root}")
    images, masks = _listing(root, "images"), _listing(root, "masks")
    if not images:
        raise SamCoreError(f"{root / 'images'} holds no images (.png, .jpg or .tif)")
    unmasked = sorted(set(images) - set(masks))
    if unmasked:
        raise SamCoreError(f"image images/{images[unmasked[0]].name} has no mask in masks/{_more(unmasked)}")
    orphans = sorted(set(masks) - set(images))
    if orphans:
        raise SamCoreError(f"mask masks/{masks[orphans[0]].name} has no image in images/{_more(orphans)}")
    return sorted(images), images, masks


def folder_splits(root: Path, stems: list[str], seed: int) -> dict[str, str]:
    """stem → split: ``split.csv`` when there is one, else the seeded 70/15/15."""
    if (root / "split.csv").is_file():
        return _csv_splits(root / "split.csv", stems)
    if len(stems) < 3:
        raise SamCoreError(
            f"{root} holds {len(stems)} image(s): a train/val/test split needs at least 3 (or a split.csv)"
        )
    return dict(zip(stems, seeded_parts(len(stems), seed)))


def image_size_error(mask_path: Path, image_path: Path, mask_shape, image_shape) -> SamCoreError:
    return SamCoreError(
        f"mask masks/{mask_path.name} is {_size(mask_shape)} but its image images/{image_path.name} is "
        f"{_size(image_shape)}: a mask must have its image's size"
    )


def seeded_parts(n: int, seed: int) -> list[str]:
    """The split of each of ``n`` units: 70/15/15 by a seeded shuffle, each part non-empty when n ≥ 3 (fewer
    units fill train, val, test in that order)."""
    if n < 3:
        return list(SPLITS[:n])
    n_val = max(1, int(SHARES[1] * n + 0.5))
    n_test = max(1, int(SHARES[2] * n + 0.5))
    n_train = n - n_val - n_test
    ordered = ["train"] * n_train + ["val"] * n_val + ["test"] * n_test
    parts = [""] * n
    for rank, unit in enumerate(np.random.default_rng(seed).permutation(n)):
        parts[int(unit)] = ordered[rank]
    return parts


def _listing(root: Path, name: str) -> dict[str, Path]:
    folder = root / name
    if not folder.is_dir():
        raise SamCoreError(f"{root} has no {name}/ folder: the folder form needs images/ and masks/")
    found: dict[str, Path] = {}
    for file in sorted(folder.iterdir()):
        if not file.is_file() or file.name.startswith(".") or file.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if file.stem in found:
            raise SamCoreError(
                f"{name}/ holds both {found[file.stem].name} and {file.name}: one file per stem"
            )
        found[file.stem] = file
    return found


def _more(names: list[str]) -> str:
    return f" (and {len(names) - 1} more)" if len(names) > 1 else ""


def _csv_splits(path: Path, stems: list[str]) -> dict[str, str]:
    """image → split from ``split.csv``; every image needs exactly one row."""
    known, splits = set(stems), {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SamCoreError(f"cannot read {path.name}: {first_line(exc)}") from exc
    delimiter = ";" if ";" in text and "," not in text else "\t" if "\t" in text and "," not in text else ","
    for number, row in enumerate(csv.reader(text.splitlines(), delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) < 2:
            raise SamCoreError(f"{path.name} row {number}: give an image and its split, not {row!r}")
        name, split = cells[0], cells[1].lower()
        if number == 1 and split == "split":
            continue  # the header
        stem = name if name in known else Path(name).stem
        if stem not in known:
            raise SamCoreError(f"{path.name} row {number}: no image {name!r} in images/")
        if split not in SPLITS:
            raise SamCoreError(f"{path.name} row {number}: split {cells[1]!r} is not train, val or test")
        if splits.setdefault(stem, split) != split:
            raise SamCoreError(f"{path.name} row {number}: {name!r} is given two splits")
    missing = [stem for stem in stems if stem not in splits]
    if missing:
        raise SamCoreError(f"{path.name} gives no split for image {missing[0]}{_more(missing)}")
    return splits


def read_rgb(path: Path, root: Path) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 3) uint8 and (H, W) validity of an image file (see the module docstring)."""
    try:
        if path.suffix.lower() in TIF_SUFFIXES:
            return _read_tif(path)
        with Image.open(path) as image:
            image.load()
            if image.mode in ("1", "L", "RGB"):
                return np.asarray(image.convert("RGB")), np.ones(image.size[::-1], bool)
            if image.mode in ("P", "PA", "LA", "RGBA", "CMYK", "YCbCr"):
                return np.asarray(image.convert("RGB")), np.ones(image.size[::-1], bool)
            data = np.asarray(image).astype(np.float64)  # 16-bit and 32-bit images: I;16, I, F
    except (OSError, ValueError, UnidentifiedImageError, RasterioError, SyntaxError) as exc:
        raise SamCoreError(f"cannot read image {path.relative_to(root)}: {first_line(exc)}") from exc
    planes = data[None] if data.ndim == 2 else data.transpose(2, 0, 1)[:3]
    valid = np.ones(planes.shape[1:], bool)
    return _stretched(planes, valid), valid


def _read_tif(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as ds:
            bands = resolve_bands(ds.count, None, ds.colorinterp)
            unique = sorted(set(bands))
            raw, valid = read_valid(ds, unique, None, None, path.name)
            planes = raw[[unique.index(b) for b in bands]]
    if planes.dtype == np.uint8:
        rgb = np.ascontiguousarray(planes.transpose(1, 2, 0))
        rgb[~valid] = 0
        return rgb, valid
    return _stretched(planes, valid), valid


def _stretched(planes: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(b, H, W) values → (H, W, 3) uint8 with a 2–98 % stretch of each band over the valid pixels."""
    if planes.shape[0] == 1:
        planes = np.repeat(planes, 3, axis=0)
    low, high = [], []
    for band in planes:
        values = band[valid] if valid.any() else band.reshape(-1)
        lo, hi = np.percentile(values, DEFAULT_PERCENTILES)
        low.append(float(lo))
        high.append(float(hi) if hi > lo else float(lo) + 1.0)
    rgb = Stretch(tuple(low), tuple(high)).apply(planes)
    rgb[~valid] = 0
    return rgb


def read_mask(path: Path, root: Path) -> np.ndarray:
    """(H, W) integer labels of a mask file; a colour mask's colours become labels."""
    if path.suffix.lower() in (".jpg", ".jpeg"):
        raise SamCoreError(
            f"mask masks/{path.name} is a JPEG: its lossy compression changes the values; "
            "save masks as PNG or TIFF"
        )
    try:
        if path.suffix.lower() in TIF_SUFFIXES:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                with rasterio.open(path) as ds:
                    data = ds.read(list(range(1, min(ds.count, 3) + 1)))
        else:
            with Image.open(path) as image:
                image.load()
                if image.mode in ("RGBA", "LA", "PA"):
                    image = image.convert(image.mode[:-1])
                data = np.asarray(image)
                data = data[None] if data.ndim == 2 else data.transpose(2, 0, 1)
    except (OSError, ValueError, UnidentifiedImageError, RasterioError, SyntaxError) as exc:
        raise SamCoreError(f"cannot read mask {path.relative_to(root)}: {first_line(exc)}") from exc
    if data.dtype.kind == "f":
        data = np.where(np.isfinite(data), data, 0)
    if data.shape[0] == 1 or all(np.array_equal(data[0], band) for band in data[1:]):
        return data[0]
    colours, labels = np.unique(data.reshape(data.shape[0], -1), axis=1, return_inverse=True)
    background = np.nonzero(~colours.any(axis=0))[0]
    labels = labels.reshape(data.shape[1:]) + 1
    if background.size:
        labels[labels == background[0] + 1] = 0
    return labels


def _size(shape) -> str:
    return f"{shape[1]}×{shape[0]} px"
