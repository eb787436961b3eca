"""A land-cover class for an object: the classifier's own pooling, over the object instead of a square cell.

``classify`` gives a cell the area-weighted mean of the encoder cells under it; an object gets the same, with
the object's polygon as the area: each encoder cell of a tile weighs the area of the object inside it (and
inside the part of the tile that owns it, up to the middle of each overlap, as for cells), times its valid
fraction. The raster is seen at the head's resolution, with its bands and stretch (``classify``'s working
view), and tiles come through the embedding cache, so objects on encoded tiles cost no encoder pass. The
class is the head's most probable one for that mean feature; the runner-up is the second.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import shapely
from shapely import affinity

from ..errors import Cancelled
from ..sam.embeddings import EmbeddingCache, TileEncoder
from ..sam.model import LoadedModel
from .cells import CellLayout, affine_params
from .classify import ClassifyOptions, _open_working
from .features import cell_valid_fraction
from .head import ClassifierHead

#: tiles whose encoder cells are kept for the next objects (4 MB each for vit_b)
KEPT_TILES = 4


class ObjectClassifier:
    """Open on a raster with a head; ``label(geometry in the raster's CRS)`` → LABEL_FIELDS or None."""

    def __init__(
        self,
        raster,
        model: LoadedModel,
        head: ClassifierHead,
        cache: EmbeddingCache | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> None:
        head.check_encoder(model.info)
        options = ClassifyOptions()
        self.head, self.is_cancelled = head, is_cancelled
        self.source, gsd = _open_working(raster, head, options)
        self.layout = CellLayout(self.source, model.img_size, options.overlap, gsd, head.patch_px)
        self.encoder = TileEncoder(model, self.source, cache)
        self.to_working = affine_params(~self.source.transform)
        self._kept: OrderedDict = OrderedDict()

    @property
    def crs(self):
        return self.source.crs

    def close(self) -> None:
        self.source.close()

    def label(self, geometry) -> dict | None:
        if geometry is None or geometry.is_empty:
            return None
        shape = affinity.affine_transform(geometry, self.to_working)
        shape = shapely.intersection(shape, shapely.box(0, 0, self.layout.width, self.layout.height))
        if shape.is_empty or shape.area <= 0:
            return None
        total, weight = None, 0.0
        grid = self.layout.grid
        for tile in grid.tiles_for_pixel_box(*shape.bounds):
            if self.is_cancelled and self.is_cancelled():
                raise Cancelled()
            sums, area = self._pool(tile, shape)
            if area > 0:
                total, weight = (sums if total is None else total + sums), weight + area
        if total is None or weight <= 0:
            return None
        p = self.head.predict_proba((total / weight)[None].astype(np.float32))[0]
        first, second = np.argsort(-p, kind="stable")[:2]
        names = self.head.class_names
        return {
            "class": names[first],
            "class_probability": float(p[first]),
            "runner_up": names[second],
            "runner_up_probability": float(p[second]),
        }

    def _cells(self, tile) -> tuple[np.ndarray, np.ndarray]:
        """The tile's encoder cells (C, G, G) and their valid fractions (G, G), kept for the next objects
        (neighbouring objects share tiles: one copy off the device per tile, not per object)."""
        key = (tile.col, tile.row)
        if key not in self._kept:
            encoded = self.encoder.encode(tile, self.is_cancelled)
            embedding = encoded.embedding[0].float().cpu().numpy()
            valid = cell_valid_fraction(encoded.valid, embedding.shape[-1]).numpy()
            self._kept[key] = (embedding, valid)
            while len(self._kept) > KEPT_TILES:
                self._kept.popitem(last=False)
        self._kept.move_to_end(key)
        return self._kept[key]

    def _pool(self, tile, shape) -> tuple[np.ndarray, float]:
        """Sum of the encoder cells weighted by the object's area in each (owned part of the tile only)."""
        layout = self.layout
        xlo, xhi = layout.owned(tile.col, layout.grid.n_cols)
        ylo, yhi = layout.owned(tile.row, layout.grid.n_rows)
        owned = shapely.intersection(shape, shapely.box(xlo, ylo, xhi, yhi))
        if owned.is_empty or owned.area <= 0:
            return np.zeros(0), 0.0
        embedding, valid_fraction = self._cells(tile)
        g = embedding.shape[-1]
        step = tile.size / g
        u0, v0, u1, v1 = owned.bounds
        cols = range(
            max(0, math.floor((u0 - tile.window.col_off) / step)),
            min(g, math.ceil((u1 - tile.window.col_off) / step)),
        )
        rows = range(
            max(0, math.floor((v0 - tile.window.row_off) / step)),
            min(g, math.ceil((v1 - tile.window.row_off) / step)),
        )
        jj, ii = np.meshgrid(np.asarray(rows), np.asarray(cols), indexing="ij")
        x0, y0 = tile.window.col_off + ii * step, tile.window.row_off + jj * step
        areas = shapely.area(shapely.intersection(shapely.box(x0, y0, x0 + step, y0 + step), owned))
        weights = areas * valid_fraction[jj, ii]
        cells = embedding[:, jj, ii]  # (C, rows, cols)
        return (cells * weights[None]).sum(axis=(1, 2)), float(weights.sum())
