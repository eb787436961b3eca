"""The class GeoTIFF: one byte per pixel on the input raster's grid, written block by block, styled for QGIS.

The file covers the mapped extent in whole raster pixels (its transform is the raster's, moved to the
extent's first pixel: the same grid, CRS and resolution), tiled 256 × 256 and DEFLATE-compressed, with
internal overviews built by the mode of the classes (a class map must not invent classes by averaging),
nodata 255 where the input had no valid pixel, and a colour table with the head's colours. Beside it a
``.qml`` style (the paletted renderer with the class names) that QGIS loads as the layer's default style, so
the map opens with its legend. Both are written to temporary names and renamed only when the whole map is
done (``io.atomic_output``): a cancelled or failed run leaves nothing.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from xml.sax.saxutils import quoteattr

import rasterio
from affine import Affine
from rasterio.enums import ColorInterp, Resampling
from rasterio.errors import RasterioError
from rasterio.windows import Window

from ..errors import SamCoreError
from ..geo.tiles import PixelWindow
from ..io import atomic_output, write_text
from .blend import NODATA, FinalBlock

BLOCK_PX = 256


def overview_factors(width: int, height: int) -> list[int]:
    """2, 4, 8, ... until the smallest overview fits in one block."""
    factors, factor = [], 2
    while max(width, height) / factor >= BLOCK_PX // 2:
        factors.append(factor)
        factor *= 2
    return factors


def hex_rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


class ClassRasterWriter:
    """Open with the extent's grid; ``write`` final blocks; ``close`` builds overviews and the style."""

    def __init__(
        self,
        path: str | os.PathLike,
        crs_wkt: str,
        transform: Affine,
        width: int,
        height: int,
        class_names: tuple[str, ...],
        colours: tuple[str, ...],
    ) -> None:
        self.path, self.row_off = Path(path), None
        self.class_names, self.colours = class_names, colours
        self._stack = ExitStack()
        self._tmp = self._stack.enter_context(atomic_output(self.path))
        profile = {
            "driver": "GTiff",
            "dtype": "uint8",
            "count": 1,
            "width": width,
            "height": height,
            "crs": crs_wkt,
            "transform": transform,
            "nodata": NODATA,
            "tiled": True,
            "blockxsize": BLOCK_PX,
            "blockysize": BLOCK_PX,
            "compress": "deflate",
            "predictor": 2,
        }
        try:
            self._ds = rasterio.open(self._tmp, "w", **profile)
        except (RasterioError, OSError) as exc:
            self._stack.close()
            raise SamCoreError(f"cannot write {self.path.name}: {exc}") from exc
        self._ds.colorinterp = [ColorInterp.palette]
        self._ds.write_colormap(1, self.colour_table())
        self._ds.set_band_description(1, "class")
        self._ds.update_tags(1, **{f"CLASS_{k}": name for k, name in enumerate(class_names)})

    def colour_table(self) -> dict[int, tuple[int, int, int, int]]:
        table = {k: (*hex_rgb(colour), 255) for k, colour in enumerate(self.colours)}
        table[NODATA] = (0, 0, 0, 0)
        return table

    def write(self, block: FinalBlock, region: PixelWindow) -> None:
        """A final block (raster pixels) into the file, which covers ``region``."""
        window = Window(
            block.col_off - region.col_off, block.row_off - region.row_off, block.width, block.height
        )
        self._ds.write(block.classes, 1, window=window)

    def close(self) -> Path:
        """Overviews, then the file and its style are committed (inside ``all_or_nothing``: with the rest)."""
        try:
            factors = overview_factors(self._ds.width, self._ds.height)
            if factors:
                self._ds.build_overviews(factors, Resampling.mode)
                self._ds.update_tags(ns="rio_overview", resampling="mode")
            self._ds.close()
            write_text(self.path.with_suffix(".qml"), self.style())
        except BaseException:
            self.abort()
            raise
        self._stack.close()
        return self.path

    def abort(self) -> None:
        """Drop the temporary file (cancel, error)."""
        if not self._ds.closed:
            self._ds.close()
        self._stack.__exit__(SamCoreError, SamCoreError("aborted"), None)

    def style(self) -> str:
        """A QGIS layer style: the paletted renderer with one entry per class (name, colour)."""
        entries = "\n".join(
            f'        <paletteEntry value="{k}" color="{colour.lower()}" alpha="255" label={quoteattr(name)}/>'
            for k, (name, colour) in enumerate(zip(self.class_names, self.colours))
        )
        return (
            "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            '<qgis version="3.22" styleCategories="Symbology">\n'
            "  <pipe>\n"
            '    <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1" nodataColor="">\n'
            "      <colorPalette>\n"
            f"{entries}\n"
            "      </colorPalette>\n"
            "    </rasterrenderer>\n"
            "  </pipe>\n"
            "</qgis>\n"
        )
