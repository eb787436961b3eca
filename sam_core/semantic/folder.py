"""The folder form of segmentation-head data: ``images/`` + ``masks/`` of class codes (+ ``split.csv``,
+ ``classes.json``), the road data set's layout.

Files, splits and pixels are read as ``geo.image_folder`` reads them. A mask holds one class code per pixel
(0 = background unless ``classes.json`` says otherwise). ``classes.json`` names the codes and may give them
colours and an ``ignore`` code (pixels with it are unlabelled: no loss, no metric)::

    {"classes": [{"code": 0, "name": "background"}, {"code": 1, "name": "road", "colour": "#d62728"}],
     "ignore": 255}

or simply ``{"0": "background", "1": "road"}``. Without it every code found in the masks is a class, named
``background`` (0) or ``class <code>``. Classes are indexed in code order; a code in a mask that
``classes.json`` does not name is an error naming the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SamCoreError, first_line
from ..geo.image_folder import folder_pairs, folder_splits, image_size_error, read_mask, read_rgb
from ..landcover.head import class_colours
from .dataset import ClassImage, ClassSet

CLASSES_FILE = "classes.json"


@dataclass(frozen=True)
class ClassCodes:
    """What the masks' values mean: code → name (and colour), in code order, and the unlabelled code."""

    codes: tuple[int, ...]
    names: tuple[str, ...]
    colours: tuple[str, ...]
    ignore: int | None = None

    def indexes(self, mask: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
        """(class indexes, labelled) of a mask of codes."""
        labelled = np.ones(mask.shape, bool) if self.ignore is None else mask != self.ignore
        found = np.unique(mask[labelled])
        unknown = sorted(set(found.tolist()) - set(self.codes))
        if unknown:
            raise SamCoreError(f"{where} holds class code {unknown[0]}, which {CLASSES_FILE} does not name")
        lookup = np.searchsorted(np.asarray(self.codes), np.where(labelled, mask, self.codes[0]))
        return lookup.astype(np.int64), labelled


def read_classes(path: Path) -> ClassCodes | None:
    """``classes.json`` (see the module), or None when there is none."""
    if not path.is_file():
        return None
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SamCoreError(f"cannot read {path.name}: {first_line(exc)}") from exc
    ignore = spec.get("ignore") if isinstance(spec, dict) else None
    if isinstance(spec, dict) and isinstance(spec.get("classes"), list):
        rows = spec["classes"]
    elif isinstance(spec, dict):
        rows = [{"code": code, "name": name} for code, name in spec.items() if code != "ignore"]
    else:
        raise SamCoreError(f'{path.name} must be an object: {{"classes": [{{"code": 0, "name": ...}}]}}')
    try:
        table = sorted((int(row["code"]), str(row["name"]), row.get("colour")) for row in rows)
    except (KeyError, TypeError, ValueError) as exc:
        raise SamCoreError(f"{path.name}: every class needs an integer code and a name") from exc
    codes = [code for code, _, _ in table]
    if len(set(codes)) != len(codes):
        raise SamCoreError(f"{path.name} names a class code twice")
    names = tuple(name for _, name, _ in table)
    defaults = class_colours(names)
    colours = tuple(str(colour or default) for (_, _, colour), default in zip(table, defaults))
    return ClassCodes(tuple(codes), names, colours, None if ignore is None else int(ignore))


def default_classes(codes: set[int], ignore: int | None = None) -> ClassCodes:
    ordered = tuple(sorted(codes))
    names = tuple("background" if code == 0 else f"class {code}" for code in ordered)
    return ClassCodes(ordered, names, class_colours(names), ignore)


def open_class_folder(path: str | os.PathLike, seed: int = 0) -> ClassSet:
    """The images of ``path``/images with their class masks of ``path``/masks, split by ``split.csv`` or by
    seed, classes from ``classes.json`` or from the codes found."""
    root = Path(path)
    stems, images, masks = folder_pairs(root)
    splits = folder_splits(root, stems, seed)
    read = {stem: (read_rgb(images[stem], root), read_mask(masks[stem], root)) for stem in stems}
    for stem, ((rgb, _), mask) in read.items():
        if mask.shape != rgb.shape[:2]:
            raise image_size_error(masks[stem], images[stem], mask.shape, rgb.shape)
    classes = read_classes(root / CLASSES_FILE)
    if classes is None:
        classes = default_classes({int(v) for _, mask in read.values() for v in np.unique(mask)})
    items = []
    for stem in stems:
        (rgb, valid), mask = read[stem]
        indexes, labelled = classes.indexes(mask, f"mask masks/{masks[stem].name}")
        known = labelled & valid
        items.append(ClassImage(stem, rgb, indexes, splits[stem], None if known.all() else known))
    data = ClassSet(str(root), "folder", classes.names, tuple(items), classes.colours)
    data.check()
    return data
