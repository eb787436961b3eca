"""Class map → polygons per class with geodesic areas, and the length of linear classes (roads).

Final blocks of the class map come tile by tile; each class's pixels in a block are traced pixel-exact
(``vectorize.mask_to_geometry``: integer pixel corners mapped once, so pieces of neighbouring blocks share
their edges exactly) and the pieces of a class are unioned once at the end: one dissolved (multi)polygon per
class, or its connected regions (4-connected, as the pixels were traced), post-processed as objects are.
Areas are ``measure``'s, so a class's polygon area is the sum of its pixels' geodesic areas.

Analysts measure roads in km, not hectares: a class whose name says it is linear (``LINEAR_WORDS``) also
gets ``length_m``, the length of the skeleton of each region (scikit-image's ``skeletonize``), each step
between skeleton pixels counted with the region's geodesic pixel width, height or diagonal.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from affine import Affine
from pyproj import CRS, Geod
from rasterio import features
from skimage.morphology import skeletonize

from ..geo.crs import transform_xy
from ..geo.measures import measure
from ..geo.vectorize import PostProcess, mask_to_geometry, postprocess
from .blend import NODATA, FinalBlock

#: a region's skeleton is found in windows of this many pixels, each with this margin of the region around it
WINDOW_PX = 1024
HALO_PX = 64
#: words in a class name that make it linear (it gets a skeleton length)
LINEAR_WORDS = ("road", "street", "highway", "track", "path", "rail", "river", "canal")


def is_linear(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in LINEAR_WORDS)


class ClassPolygons:
    """Collect each class's pixels block by block (``add``); ``regions``/``dissolved`` give the records."""

    def __init__(self, transform: Affine, crs: CRS, class_names: tuple[str, ...], every_class: bool) -> None:
        self.transform, self.crs, self.class_names = transform, crs, class_names
        self.wanted = [every_class or is_linear(name) for name in class_names]
        self.pieces: list[list] = [[] for _ in class_names]

    def add(self, block: FinalBlock) -> None:
        for k in np.unique(block.classes):
            if k != NODATA and self.wanted[k]:
                geometry = mask_to_geometry(
                    block.classes == k, self.transform, (block.col_off, block.row_off)
                )
                self.pieces[k].append(geometry)

    def union(self, k: int):
        return shapely.union_all(self.pieces[k]) if self.pieces[k] else shapely.MultiPolygon()

    def regions(self, post: PostProcess, dissolve: bool) -> list[dict]:
        """One record per class (``dissolve``) or per connected region: class, area, perimeter, length."""
        records = []
        pixel = abs(self.transform.a) or 1.0
        for k, name in enumerate(self.class_names):
            if not self.pieces[k]:
                continue
            parts = [
                postprocess(shapely.MultiPolygon([p]), self.crs, post, pixel) for p in _parts(self.union(k))
            ]
            parts = [p for p in parts if not p.is_empty]
            lengths = [self.length_m(p) if is_linear(name) else None for p in parts]
            groups = (
                [(shapely.union_all(parts), sum(lengths) if is_linear(name) else None)]
                if dissolve
                else zip(parts, lengths)
            )
            for geometry, length in groups:
                if geometry.is_empty:
                    continue
                measures = measure(geometry, self.crs)
                records.append(
                    {
                        "geometry": geometry,
                        "id": len(records) + 1,
                        "class": name,
                        "class_id": k,
                        "area_m2": measures.area_m2,
                        "perimeter_m": measures.perimeter_m,
                        "length_m": length,
                    }
                )
        return records

    def length_m(self, geometry) -> float:
        """Skeleton length of one region in metres (its pixels rasterised back, pixel-centre rule), window by
        window: each ``WINDOW_PX`` square is skeletonised with a ``HALO_PX`` margin of the region around it
        and counts the links that start inside it, so a region as large as the raster needs no mask of its
        size (a road is far narrower than the halo, so its skeleton inside a window is the whole one's)."""
        xs, ys = shapely.get_coordinates(geometry).T
        us, vs = ~self.transform @ (xs, ys)
        c0, r0 = math.floor(us.min()), math.floor(vs.min())
        c1, r1 = math.ceil(us.max()), math.ceil(vs.max())
        total = 0.0
        for wr in range(r0, r1, WINDOW_PX):
            for wc in range(c0, c1, WINDOW_PX):
                w, h = min(WINDOW_PX, c1 - wc), min(WINDOW_PX, r1 - wr)
                steps = self._window_steps(geometry, wc, wr, w, h)
                if any(steps):
                    dx, dy = self.pixel_metres(wc + w / 2, wr + h / 2)
                    total += steps[0] * dx + steps[1] * dy + steps[2] * math.hypot(dx, dy)
        return float(total)

    def _window_steps(self, geometry, col: int, row: int, width: int, height: int) -> tuple[int, int, int]:
        halo = HALO_PX
        transform = self.transform @ Affine.translation(col - halo, row - halo)
        shape = (height + 2 * halo, width + 2 * halo)
        xs, ys = transform @ (np.array([0, shape[1]]), np.array([0, shape[0]]))
        part = shapely.clip_by_rect(geometry, xs.min(), ys.min(), xs.max(), ys.max())
        if part.is_empty:
            return 0, 0, 0
        mask = features.rasterize([part], shape, transform=transform).astype(bool)
        return skeleton_steps(skeletonize(mask), (slice(halo, halo + height), slice(halo, halo + width)))

    def pixel_metres(self, u: float, v: float) -> tuple[float, float]:
        """Geodesic width and height of the pixel at raster pixel (u, v)."""
        corners = np.array([(u, v), (u + 1, v), (u, v + 1)], float)
        xs, ys = self.transform @ (corners[:, 0], corners[:, 1])
        geographic = self.crs.geodetic_crs
        lon, lat = transform_xy(xs, ys, self.crs, geographic)
        ellipsoid = geographic.ellipsoid
        geod = Geod(a=ellipsoid.semi_major_metre, rf=ellipsoid.inverse_flattening or 0.0)
        _, _, distance = geod.inv(lon[[0, 0]], lat[[0, 0]], lon[1:], lat[1:])
        return float(distance[0]), float(distance[1])


def _parts(geometry) -> list:
    return list(shapely.get_parts(geometry))


def skeleton_steps(skeleton: np.ndarray, core=(slice(None), slice(None))) -> tuple[int, int, int]:
    """(horizontal, vertical, diagonal) links between 8-neighbouring skeleton pixels whose first pixel (top,
    or left) lies in ``core``; a diagonal link is counted only where no two orthogonal links already join the
    pair (an L corner is two steps, not three)."""
    s = np.pad(skeleton.astype(bool), ((0, 1), (1, 1)))  # every link's second pixel exists
    a = s[:-1, 1:-1]
    horizontal = a & s[:-1, 2:]
    vertical = a & s[1:, 1:-1]
    down_right = a & s[1:, 2:] & ~s[:-1, 2:] & ~s[1:, 1:-1]
    down_left = a & s[1:, :-2] & ~s[:-1, :-2] & ~s[1:, 1:-1]
    return (
        int(horizontal[core].sum()),
        int(vertical[core].sum()),
        int(down_right[core].sum() + down_left[core].sum()),
    )
