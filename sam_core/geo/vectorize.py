"""Masks → polygons in the raster's CRS, and the usual clean-up of SAM masks in remote sensing (small
isolated parts and holes removed, edges simplified).

Polygons follow pixel edges exactly (rasterio's ``shapes``), holes kept. Post-processing, all judged by
geodesic area so thresholds mean the same in any CRS: parts smaller than ``min_area_m2`` are dropped,
holes smaller than ``min_hole_m2`` are filled, and an optional simplification tolerance is given in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np
import shapely
from affine import Affine
from pyproj import CRS
from rasterio import features
from shapely.geometry import MultiPolygon, Polygon

from .measures import measure, ring_area_m2


@dataclass(frozen=True)
class PostProcess:
    min_area_m2: float = 0.0
    min_hole_m2: float = 0.0
    simplify_px: float = 0.0


def mask_to_geometry(mask: np.ndarray, transform: Affine, offset: tuple[int, int] = (0, 0), step: int = 1):
    """Pixel-exact (multi)polygon of the True pixels.

    Mask cell (c, r) is raster pixel (offset + step·c, offset + step·r); ``transform`` maps raster pixels to
    the map. Rings are traced in integer pixel coordinates and mapped once, so a pixel corner gets the same
    coordinates whichever tile it comes from and polygons from neighbouring tiles union without slivers.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return MultiPolygon()
    cols = np.flatnonzero(mask.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = np.ascontiguousarray(mask[r0:r1, c0:c1], dtype=np.uint8)
    to_pixels = Affine(step, 0, offset[0] + step * c0, 0, step, offset[1] + step * r0)
    rings, ring_polygon = [], []
    for index, (geom, _) in enumerate(features.shapes(crop, mask=crop.astype(bool), transform=to_pixels)):
        rings.extend(geom["coordinates"])
        ring_polygon.extend([index] * len(geom["coordinates"]))
    # one vectorised construction instead of a Python object per ring (noisy masks have thousands)
    sizes = np.fromiter((len(r) for r in rings), int, len(rings))
    pixels = np.fromiter(
        chain.from_iterable(chain.from_iterable(rings)), float, 2 * int(sizes.sum())
    ).reshape(-1, 2)
    xy = np.column_stack(
        [
            transform.a * pixels[:, 0] + transform.b * pixels[:, 1] + transform.c,
            transform.d * pixels[:, 0] + transform.e * pixels[:, 1] + transform.f,
        ]
    )
    linear_rings = shapely.linearrings(xy, indices=np.repeat(np.arange(len(rings)), sizes))
    return MultiPolygon(list(shapely.polygons(linear_rings, indices=np.asarray(ring_polygon))))


def postprocess(geometry: MultiPolygon, crs: CRS, options: PostProcess, pixel_size: float) -> MultiPolygon:
    parts = []
    for part in shapely.get_parts(geometry):
        if options.min_hole_m2 > 0:
            holes = [h for h in part.interiors if ring_area_m2(h.coords, crs) >= options.min_hole_m2]
            part = Polygon(part.exterior, holes)
        if options.min_area_m2 > 0 and measure(part, crs).area_m2 < options.min_area_m2:
            continue
        if options.simplify_px > 0:
            part = part.simplify(options.simplify_px * pixel_size, preserve_topology=True)
        if not part.is_empty:
            parts.append(part)
    return MultiPolygon(parts)
