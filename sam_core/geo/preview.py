"""Preview image: the (stretched) raster with result polygons drawn on it, for a quick look without QGIS.

The format follows the extension (PNG, or JPEG for .jpg/.jpeg: a user who names a .jpg gets a JPEG any
viewer opens, not PNG bytes under the wrong name); any other extension is refused before work starts.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import shapely
from PIL import Image, ImageDraw, ImageFont
from shapely.geometry.base import BaseGeometry

from ..errors import SamCoreError
from ..io import atomic_output
from .raster import RasterSource
from .tiles import PixelWindow

MAX_SIDE = 1024
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
BANNER_PAD, BANNER_FONT_PX = 6, 16
COLOURS = [(255, 64, 64), (64, 200, 255), (255, 220, 0), (120, 255, 120), (255, 120, 255)]


def render_preview(
    source: RasterSource, geometries: list[BaseGeometry], path: str | os.PathLike, title: str | None = None
) -> Path:
    """Draw ``geometries`` (raster CRS) over the whole raster, decimated to at most MAX_SIDE pixels.
    ``title``: a banner across the top, drawn into the image (the demo marks random weights with it)."""
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
    if title:
        _banner(draw, title, image.size[0])
    with atomic_output(path) as tmp:
        Image.alpha_composite(image, overlay).convert("RGB").save(tmp, format=image_format)
    return path


def _banner(draw: ImageDraw.ImageDraw, text: str, width: int) -> None:
    """White text on a dark band across the top, wrapped to the image's width."""
    font = ImageFont.load_default(size=BANNER_FONT_PX)
    words, lines = text.replace("—", "-").split(), [""]  # Pillow's own font has no em dash
    for word in words:
        trial = f"{lines[-1]} {word}".strip()
        if lines[-1] and draw.textlength(trial, font=font) > width - 2 * BANNER_PAD:
            lines.append(word)
        else:
            lines[-1] = trial
    line_height = font.getbbox("Ag")[3] + 4
    draw.rectangle((0, 0, width, 2 * BANNER_PAD + line_height * len(lines)), fill=(0, 0, 0, 190))
    for k, line in enumerate(lines):
        draw.text((BANNER_PAD, BANNER_PAD + k * line_height), line, fill=(255, 255, 255, 255), font=font)


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
