"""A class for every object: polygons from prompts, segment everything, ``detect`` or any layer get the class
a segmentation head gives their pixels.

Each object (reprojected onto the raster's grid) is labelled from the blended class probabilities over its
bounding box: the same tiles, overlap and blending as ``mapping`` (so an object's class agrees with the class
map under it), its pixels burnt with GDAL's pixel-centre rule (all touched pixels for an object smaller than
a pixel). ``class`` is the majority of its pixels' classes, ``class_probability`` that class's mean
probability over them; the runner-up is the next class by pixels. Tile probabilities are kept for the tiles
of the last objects (bounded), and embeddings come through the cache: labelling objects on an encoded tile
costs no encoder pass, and neighbouring objects share their tiles' head passes too.

The tiles' probabilities are tasks (``map_tiles``), here or on a Dask cluster (``runner``). Which tiles are
computed, and in what order, depends only on the objects: the kept tiles are a least-recently-used set of
``KEPT_TILES``, so the requests are planned first by the same rule (``tile_requests``), computed in that
order (ahead, on a cluster), and taken as the objects need them, one object after another as serially. The
client holds ``KEPT_TILES`` tiles' probabilities whatever the layer's size, and every object's label is the
serial one. A land-cover head (``ObjectClassifier``) pools encoder cells here: it labels serially.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rasterio import features

from ..errors import Cancelled, SamCoreError
from ..geo.crs import transform_geometry
from ..geo.overlap import DEFAULT_OVERLAP, overlap_px
from ..geo.raster import RasterSource
from ..geo.tiles import PixelWindow
from ..landcover.head import ClassifierHead, load_head
from ..landcover.objects import ObjectClassifier
from ..progress import TileProgress
from ..prompting.prompt_files import PromptFile, read_prompt_file
from ..sam.embeddings import EmbeddingCache, TileEncoder
from ..sam.model import LoadedModel
from ..tasks import Runner
from .blend import assemble, blended_blocks
from .head_file import SegmentationHead, load_segmentation_head
from .map_tiles import TileRun, close_results
from .mapping import MapOptions, head_stretch, map_tile_px

#: tiles whose class probabilities are kept for the next objects
KEPT_TILES = 16


@dataclass
class LabelledObjects:
    layer: PromptFile  # the objects as read (geometries in their own CRS, every attribute)
    geometries: list  # in the raster's CRS
    labels: list[dict | None]  # LABEL_FIELDS per object; None where the object misses the raster
    crs: object
    encoder_calls: int  # real encoder passes (0 when every tile came from the cache)


ObjectHead = SegmentationHead | ClassifierHead


def load_object_head(path: str | os.PathLike, model: LoadedModel | None = None) -> ObjectHead:
    """A segmentation head (train-segmenter) or a land-cover head (train-classifier), whichever ``path`` is."""
    try:
        return load_segmentation_head(path, model)
    except SamCoreError as exc:
        if "is not a TerraSAM segmentation head" not in str(exc):
            raise
    try:
        return load_head(path, model)
    except SamCoreError as exc:
        if "is not a TerraSAM classifier head" in str(exc):
            raise SamCoreError(
                f"{Path(path).name} is neither a segmentation head (train-segmenter) nor a land-cover head "
                "(train-classifier)"
            ) from exc
        raise


def label_objects(
    raster: str | os.PathLike,
    objects: str | os.PathLike,
    model: LoadedModel,
    head: ObjectHead,
    overlap: float = DEFAULT_OVERLAP,
    cache: EmbeddingCache | None = None,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    runner: Runner | None = None,
    head_file: str | os.PathLike | None = None,
) -> LabelledObjects:
    """Label every polygon of the layer ``objects`` (any CRS) on ``raster``; ``overlap``: segmentation heads'
    tiles, as for ``map``; ``runner`` and ``head_file``: where their tiles are computed, as for ``map`` (a
    land-cover head's objects are labelled here)."""
    layer = read_prompt_file(objects)
    labeller = _open_labeller(raster, model, head, overlap, cache, is_cancelled, runner, head_file)
    try:
        geometries = _on_raster(layer, labeller.crs)
        labels = _label_all(labeller, geometries, progress, is_cancelled)
        if not any(labels):
            raise SamCoreError(f"no object of {layer.name} overlaps the raster {Path(raster).name}")
        return LabelledObjects(layer, geometries, labels, labeller.crs, _encoder_calls(labeller))
    finally:
        labeller.close()


def label_geometries(
    raster: str | os.PathLike,
    geometries,
    model: LoadedModel,
    head: ObjectHead,
    overlap: float = DEFAULT_OVERLAP,
    cache: EmbeddingCache | None = None,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    runner: Runner | None = None,
) -> list[dict | None]:
    """LABEL_FIELDS for each shapely geometry, already in the raster's CRS (the dock's accepted objects), as
    ``label_objects`` gives a layer's polygons; None for a geometry that is None, empty or off the raster."""
    labeller = _open_labeller(raster, model, head, overlap, cache, is_cancelled, runner)
    try:
        return _label_all(labeller, list(geometries), progress, is_cancelled)
    finally:
        labeller.close()


def _open_labeller(
    raster, model, head: ObjectHead, overlap, cache, is_cancelled, runner=None, head_file=None
):
    """The labeller of the head's kind (both have ``crs``, ``encoder``, ``label(geometry)``, ``close()``);
    a land-cover head's labels are computed here whatever ``runner`` says."""
    if isinstance(head, ClassifierHead):
        return ObjectClassifier(raster, model, head, cache, is_cancelled)
    return _Labeller(raster, model, head, overlap, cache, is_cancelled, runner, head_file)


def _encoder_calls(labeller) -> int:
    calls = getattr(labeller, "encoder_calls", None)
    return labeller.encoder.encoder_calls if calls is None else calls


def _label_all(labeller, geometries: list, progress, is_cancelled) -> list[dict | None]:
    if isinstance(labeller, _Labeller):
        labeller.plan(geometries)
    tracker = TileProgress(len(geometries), progress)
    labels = []
    for index, geometry in enumerate(geometries):
        if is_cancelled and is_cancelled():
            raise Cancelled()
        labels.append(labeller.label(geometry))
        tracker.step(index + 1)
    return labels


def _on_raster(layer: PromptFile, crs) -> list:
    if layer.crs is None or layer.crs == crs:
        return list(layer.geometries)
    return [None if g is None else transform_geometry(g, layer.crs, crs) for g in layer.geometries]


class _Labeller:
    """A segmentation head's labels: blended probabilities over each object's box, as ``map`` blends them."""

    def __init__(
        self, raster, model, head: SegmentationHead, overlap, cache, is_cancelled, runner=None, head_file=None
    ) -> None:
        head.check_encoder(model.info)
        self.source = RasterSource(raster, bands=head.bands)
        try:
            if self.source.crs is None:
                raise SamCoreError(
                    f"raster {self.source.path.name} has no CRS: objects cannot be placed on it"
                )
            self.source.stretch = head_stretch(head, self.source)
        except BaseException:
            self.source.close()
            raise
        self.model, self.head, self.is_cancelled = model, head, is_cancelled
        source = self.source
        self.tile_px = map_tile_px(head, source, MapOptions())
        self.overlap = overlap_px(overlap, self.tile_px)
        self.grid = source.grid(self.tile_px, self.overlap)
        self.encoder = TileEncoder(model, source, cache)
        self.kept: OrderedDict = OrderedDict()
        self.run = TileRun.of(source, model, head, cache, runner, is_cancelled, head_file)
        self.outputs = None  # the planned tiles' outputs, in the order they are first needed
        self.encoder_calls = 0

    @property
    def crs(self):
        return self.source.crs

    def close(self) -> None:
        if self.outputs is not None:
            close_results(self.outputs)
            self.outputs = None
        self.source.close()

    def plan(self, geometries: list) -> None:
        """Start computing the tiles that labelling ``geometries`` in this order takes (``tile_requests``)."""
        needs = (self._tiles(window) for window in map(self._window, geometries) if window is not None)
        self.outputs = self.run.outputs(tile_requests(needs, KEPT_TILES), self.encoder, self.head)

    def label(self, geometry) -> dict | None:
        window = self._window(geometry)
        if window is None:
            return None
        probabilities = self._probabilities(window)
        inside = self._burn(geometry, window)
        if not inside.any():
            return None
        classes = probabilities.argmax(axis=0)[inside]
        counts = np.bincount(classes, minlength=len(probabilities))
        means = probabilities[:, inside].mean(axis=1)
        order = sorted(range(len(counts)), key=lambda k: (-counts[k], -means[k]))
        first, second = order[0], order[1]
        names = self.head.class_names
        return {
            "class": names[first],
            "class_probability": float(means[first]),
            "runner_up": names[second],
            "runner_up_probability": float(means[second]),
        }

    def _window(self, geometry) -> PixelWindow | None:
        if geometry is None or geometry.is_empty:
            return None
        xmin, ymin, xmax, ymax = geometry.bounds
        u0, v0, u1, v1 = self.grid.extent_to_pixel_box(xmin, ymin, xmax, ymax)
        c0, r0 = max(0, math.floor(u0)), max(0, math.floor(v0))
        c1, r1 = min(self.source.width, math.ceil(u1)), min(self.source.height, math.ceil(v1))
        c1, r1 = max(c1, c0 + 1), max(r1, r0 + 1)
        if c0 >= self.source.width or r0 >= self.source.height or u1 <= 0 or v1 <= 0:
            return None
        return PixelWindow(c0, r0, c1 - c0, r1 - r0)

    def _tiles(self, window: PixelWindow) -> list:
        return self.grid.tiles_for_pixel_box(window.col_off, window.row_off, window.col_end, window.row_end)

    def _probabilities(self, window: PixelWindow) -> np.ndarray:
        """(K, h, w) blended class probabilities over ``window``, as the class map has them."""
        n = len(self.head.class_names)
        blocks = list(
            blended_blocks(window, self._tiles(window), self.overlap, n, self._tile, every_class=True)
        )
        return assemble(blocks, window)

    def _tile(self, tile):
        """The tile's output: kept, else the next planned one (``tile_requests`` made the same choice)."""
        key = (tile.col, tile.row)
        if key not in self.kept:
            if self.is_cancelled and self.is_cancelled():
                raise Cancelled()
            if self.outputs is None:
                raise SamCoreError("objects are labelled after plan(): their tiles are computed in its order")
            computed = next(self.outputs)
            self.encoder_calls += computed.encoded
            self.kept[key] = computed.of(tile)
            while len(self.kept) > KEPT_TILES:
                self.kept.popitem(last=False)
        self.kept.move_to_end(key)
        return self.kept[key]

    def _burn(self, geometry, window: PixelWindow) -> np.ndarray:
        transform = self.source.transform @ self.source.transform.translation(window.col_off, window.row_off)
        shape = (window.height, window.width)
        inside = features.rasterize([geometry], shape, transform=transform).astype(bool)
        if not inside.any():
            inside = features.rasterize([geometry], shape, transform=transform, all_touched=True).astype(bool)
        return inside


def tile_requests(needs, kept: int) -> list:
    """The tiles to compute, in order, for objects needing the tiles ``needs`` (one list per object, in
    order) when the last ``kept`` tiles used are kept (least recently used out): a tile is requested where
    it is not kept, again if it was let go, so the outputs are taken exactly as they come."""
    held: OrderedDict = OrderedDict()
    requests = []
    for tiles in needs:
        for tile in tiles:
            key = (tile.col, tile.row)
            if key not in held:
                requests.append(tile)
                held[key] = None
                while len(held) > kept:
                    held.popitem(last=False)
            held.move_to_end(key)
    return requests
