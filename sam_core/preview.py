"""Preview image: the (stretched) raster with result polygons drawn on it, for a quick look without QGIS.

The format follows the extension (PNG, or JPEG for .jpg/.jpeg: a user who names a .jpg gets a JPEG any
viewer opens, not PNG bytes under the wrong name); any other extension is refused before work starts.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import shapely
from PIL import Image, ImageDraw
from shapely.geometry.base import BaseGeometry

from .atomic import atomic_output
from .errors import SamCoreError
from .raster import RasterSource
from .tiles import PixelWindow

MAX_SIDE = 1024
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
COLOURS = [(255, 64, 64), (64, 200, 255), (255, 220, 0), (120, 255, 120), (255, 120, 255)]


def render_preview(source: RasterSource, geometries: list[BaseGeometry], path: str | os.PathLike) -> Path:
    """Draw ``geometries`` (raster CRS) over the whole raster, decimated to at most MAX_SIDE pixels."""
    path = Path(path)
    image_format = FORMATS.get(path.suffix.lower())
    if image_format is None:
        raise SamCoreError(f"the preview must end in .png, .jpg or .jpeg, not {path.name!r}")
    scale = min(1.0, MAX_SIDE / max(source.width, source.height))
    size = (max(1, round(source.width * scale)), max(1, round(source.height * scale)))
    image = Image.fromarray(_decimated_rgb(source, size)).convert("RGBA")
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    grid = source.grid()
    for index, geometry in enumerate(geometries):
        colour = COLOURS[index % len(COLOURS)]
        for polygon in shapely.get_parts(geometry):
            for k, ring in enumerate([polygon.exterior, *polygon.interiors]):
                u, v = grid.map_to_pixel(*np.asarray(ring.coords).T)
                xy = list(zip((u * scale).tolist(), (v * scale).tolist()))
                if len(xy) >= 3:
                    draw.polygon(xy, fill=(*colour, 70) if k == 0 else (0, 0, 0, 0), outline=(*colour, 255))
    with atomic_output(path) as tmp:
        Image.alpha_composite(image, overlay).convert("RGB").save(tmp, format=image_format)
    return path


def _decimated_rgb(source: RasterSource, size: tuple[int, int]) -> np.ndarray:
    """Whole-raster RGB at preview size, read window by window so memory stays bounded."""
    width, height = size
    out = np.zeros((height, width, 3), np.uint8)
    step = max(1, round(source.width / width))
    band_rows = max(1, 1024 // step) * step
    for row in range(0, source.height, band_rows):
        rows = min(band_rows, source.height - row)
        image = source.read_window(PixelWindow(0, row, source.width, rows))
        block = image.rgb[::step, ::step]
        r0 = row // step
        r1 = min(height, r0 + block.shape[0])
        c1 = min(width, block.shape[1])
        out[r0:r1, :c1] = block[: r1 - r0, :c1]
    return out
