"""Mapping a raster with a segmentation head: tiles → blended class probabilities → a class GeoTIFF, areas.

How a raster is mapped with a head trained on ``patch_px`` patches (the model's input):

- **Scale.** A head trained on a georeferenced raster knows the ground size of its pixels (``gsd_m``): tiles
  are cut to cover what a training patch covered (``patch_px × gsd_m / raster GSD`` raster pixels) and
  every tile is seen at the patch size, so a raster at another resolution is seen at the training one.
  A head from an image folder has no ground size: tiles are one patch of raster pixels.
- **Pixels as at training.** The head's bands and stretch when it recorded them (GIS form); a head trained
  on 8-bit images sees an 8-bit raster as stored; anything else the raster's own 2–98 % stretch.
- **Tiles** anchored to the raster's grid with a quarter tile of overlap, each encoded through the embedding
  cache (a second map of the same area costs no encoder pass), the head's softmax resized to the tile and
  blended across overlaps (``blend``), so the class map has no seam and does not depend on the extent.
- **Output** block by block: the class GeoTIFF (``class_raster``), the area per class as the sum of its
  pixels' geodesic areas (``measures.pixel_areas_m2``), and, when asked, polygons (``class_polygons``).
  Memory is flat in the raster's height and a quarter of a strip of tiles in its width (``blend``).
- **Where.** A tile's probabilities are one task (``map_tiles``): here, or on a Dask cluster's workers
  (``runner``); they come back in grid order and are blended, written and counted here alike, so the map,
  its areas and polygons are the same wherever the tiles ran.

The GeoTIFF is written under a temporary name and renamed once every tile is done; a cancel raises
``Cancelled`` and leaves no file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from pyproj import CRS

from ..errors import Cancelled, SamCoreError
from ..geo.gsd import ground_gsd_m
from ..geo.measures import pixel_areas_m2
from ..geo.overlap import DEFAULT_OVERLAP, extent_window, overlap_px
from ..geo.raster import RasterSource, Stretch
from ..geo.tiles import Tile
from ..geo.vectorize import PostProcess
from ..io import all_or_nothing
from ..progress import TileProgress
from ..sam.embeddings import EmbeddingCache, TileEncoder
from ..sam.estimate import seconds_per_tile
from ..sam.model import LoadedModel
from ..tasks import Runner
from .blend import NODATA, FinalBlock, blended_blocks
from .class_polygons import ClassPolygons, is_linear
from .class_raster import ClassRasterWriter
from .head_file import SegmentationHead
from .map_tiles import TileRun, close_results

#: an 8-bit raster seen as stored (the stretch of a head trained on 8-bit images)
AS_STORED = Stretch((0.0, 0.0, 0.0), (255.0, 255.0, 255.0))


@dataclass(frozen=True)
class MapOptions:
    """``tile_size`` (raster pixels) overrides the head's scale; ``overlap`` below 1 is a fraction of the
    tile, else pixels. ``polygons``: None writes none, "regions" one per connected region, "dissolved" one
    per class. ``bands``: None takes the head's (GIS form), else the raster's RGB."""

    tile_size: int | None = None
    overlap: float = DEFAULT_OVERLAP
    bands: tuple[int, ...] | None = None
    polygons: str | None = None
    min_area_m2: float = 0.0
    min_hole_m2: float = 0.0
    simplify_px: float = 0.0

    def validate(self) -> None:
        if self.polygons not in (None, "regions", "dissolved"):
            raise SamCoreError(f"polygons are 'regions' or 'dissolved', not {self.polygons!r}")
        if self.tile_size is not None and self.tile_size < 16:
            raise SamCoreError(f"the tile size must be at least 16 pixels, not {self.tile_size}")


@dataclass
class MapResult:
    out: str
    crs: CRS
    class_names: tuple[str, ...]
    colours: tuple[str, ...]
    pixels: np.ndarray  # (K,) pixels per class
    area_m2: np.ndarray  # (K,) geodesic area per class
    probability_sum: np.ndarray  # (K,) blended probability summed over each class's pixels
    tiles: int
    tile_px: int
    overlap_px: int
    encoder_calls: int
    width: int
    height: int
    polygons: list[dict] = field(default_factory=list)
    length_m: dict[str, float] = field(default_factory=dict)  # linear classes: skeleton length

    def summary(self) -> dict:
        total = float(self.area_m2.sum())
        return {
            "out": self.out,
            "width": self.width,
            "height": self.height,
            "tiles": self.tiles,
            "tile_px": self.tile_px,
            "overlap_px": self.overlap_px,
            "encoder_calls": self.encoder_calls,
            "area_m2": total,
            "area_ha": total / 1e4,
            "polygons": len(self.polygons),
            "classes": self.class_areas(),
        }

    def class_areas(self) -> list[dict]:
        """Per class: pixels, area (m², ha), % of the mapped area, mean probability, road length."""
        total = float(self.area_m2.sum())
        return [
            {
                "class": name,
                "class_id": k,
                "pixels": int(self.pixels[k]),
                "area_m2": float(self.area_m2[k]),
                "area_ha": float(self.area_m2[k] / 1e4),
                "percent": float(100 * self.area_m2[k] / total) if total > 0 else 0.0,
                "probability": float(self.probability_sum[k] / self.pixels[k]) if self.pixels[k] else 0.0,
                "length_m": self.length_m.get(name),
                "colour": self.colours[k],
            }
            for k, name in enumerate(self.class_names)
        ]


def map_tile_px(head: SegmentationHead, source: RasterSource, options: MapOptions) -> int:
    """Raster pixels per tile: the option's, else what a training patch covered on the ground."""
    if options.tile_size is not None:
        return int(options.tile_size)
    if head.gsd_m is None:
        return head.patch_px
    gsd = ground_gsd_m(source.transform, source.width, source.height, source.crs)
    return max(16, round(head.patch_px * head.gsd_m / gsd))


def head_stretch(head: SegmentationHead, source: RasterSource) -> Stretch:
    """The stretch the head's training pixels were read with (see the module docstring)."""
    if head.stretch is not None:
        return Stretch(*head.stretch)
    if source.info()["dtype"] == "uint8":
        return AS_STORED
    return source.stretch


def map_classes(
    raster: str | os.PathLike,
    model: LoadedModel,
    head: SegmentationHead,
    out: str | os.PathLike,
    extent: tuple[float, float, float, float] | None = None,
    extent_crs: CRS | None = None,
    options: MapOptions | None = None,
    cache: EmbeddingCache | None = None,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    runner: Runner | None = None,
    head_file: str | os.PathLike | None = None,
) -> MapResult:
    """Map ``extent`` (default the whole raster) into the class GeoTIFF ``out`` (+ its ``.qml`` style).
    ``runner``: where the tiles' probabilities are computed (default here, one after another;
    ``distributed.DaskRunner``); they are blended here in grid order either way, so the map is the same.
    ``head_file``: the file ``head`` was read from, which a cluster's workers then read (else every task
    carries the head)."""
    options = options or MapOptions()
    options.validate()
    head.check_encoder(model.info)
    bands = options.bands or head.bands
    with RasterSource(raster, bands=bands) as source:
        if source.crs is None:
            raise SamCoreError(f"raster {source.path.name} has no CRS: class areas cannot be measured")
        source.stretch = head_stretch(head, source)  # a worker's source gets it too (``RasterSpec``)
        run = TileRun.of(source, model, head, cache, runner, is_cancelled, head_file)
        with all_or_nothing():
            return _map(
                source, model, head, out, extent, extent_crs, options, cache, progress, is_cancelled, run
            )


def _map(
    source, model, head, out, extent, extent_crs, options, cache, progress, is_cancelled, run: TileRun
) -> MapResult:
    region = extent_window(source.grid(), extent, extent_crs)
    tile_px = map_tile_px(head, source, options)
    overlap = overlap_px(options.overlap, tile_px)
    grid = source.grid(tile_px, overlap)
    if 2 * overlap > tile_px:
        raise SamCoreError(f"the overlap ({overlap} px) may be at most half the tile ({tile_px} px)")
    n = len(head.class_names)
    tiles = grid.tiles_for_pixel_box(region.col_off, region.row_off, region.col_end, region.row_end)
    count = len(tiles)
    encoder = TileEncoder(model, source, cache)
    transform = source.transform
    window_transform = transform @ transform.translation(region.col_off, region.row_off)
    writer = ClassRasterWriter(
        out,
        source.crs.to_wkt(),
        window_transform,
        region.width,
        region.height,
        head.class_names,
        head.colours,
    )
    result = MapResult(
        out=str(out),
        crs=source.crs,
        class_names=head.class_names,
        colours=head.colours,
        pixels=np.zeros(n, np.int64),
        area_m2=np.zeros(n),
        probability_sum=np.zeros(n),
        tiles=count,
        tile_px=tile_px,
        overlap_px=overlap,
        encoder_calls=0,
        width=region.width,
        height=region.height,
    )
    polygons = ClassPolygons(transform, source.crs, head.class_names, options.polygons is not None)
    tracker = TileProgress(count, progress, count * seconds_per_tile(model) if progress else None)
    tracker.step(0)
    done = [0]
    outputs = run.outputs(tiles, encoder, head)  # in the order of ``tiles``, as the blend takes them

    def output(tile: Tile) -> tuple[np.ndarray, np.ndarray]:
        if is_cancelled and is_cancelled():
            raise Cancelled()
        computed = next(outputs)
        result.encoder_calls += computed.encoded
        return computed.of(tile)

    def step() -> None:
        done[0] += 1
        if done[0] < count:
            tracker.step(done[0])

    try:
        for block in blended_blocks(region, tiles, overlap, n, output, on_tile=step):
            writer.write(block, region)
            _count(result, block, transform, source.crs)
            polygons.add(block)
        if is_cancelled and is_cancelled():
            raise Cancelled()
        _vectors(result, polygons, options)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        close_results(outputs)
    tracker.done()
    return result


def _count(result: MapResult, block: FinalBlock, transform, crs: CRS) -> None:
    """Add a block's pixels, geodesic areas and probabilities to the per-class totals."""
    rows = np.arange(block.row_off, block.row_off + block.height)
    areas = pixel_areas_m2(transform, crs, rows, block.col_off, block.width)
    codes = block.classes.ravel()
    valid = codes != NODATA
    n = len(result.class_names)
    result.pixels += np.bincount(codes[valid], minlength=n)
    result.area_m2 += np.bincount(codes[valid], weights=areas.ravel()[valid], minlength=n)
    result.probability_sum += np.bincount(codes[valid], weights=block.probability.ravel()[valid], minlength=n)


def _vectors(result: MapResult, polygons: ClassPolygons, options: MapOptions) -> None:
    post = PostProcess(options.min_area_m2, options.min_hole_m2, options.simplify_px)
    regions = polygons.regions(post, dissolve=options.polygons == "dissolved")
    for name in result.class_names:
        if is_linear(name):
            result.length_m[name] = float(sum(r["length_m"] or 0.0 for r in regions if r["class"] == name))
    if options.polygons is not None:
        result.polygons = regions
