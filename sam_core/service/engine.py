"""What the QGIS dock asks of the core, with plain data in and out, so it can run in a process of its own.

Inside the ``qgis`` application, QGIS's own GEOS, GDAL and PROJ are in the global symbol scope and take
over the calls of the copies bundled in the shapely, rasterio and pyproj wheels; torch brings an LLVM that
clashes with the one QGIS's OpenGL loaded. QGIS then crashes. So the plugin never imports them: it starts
``python -m sam_core serve`` (``worker.py``) and calls this ``Engine`` through ``client.py``. Every argument
and result here is JSON-able (numbers, strings, lists, dicts; geometries as 2-D WKB bytes).

The engine holds what an interactive session needs between calls: the model, the embedding cache, the open
raster and the prompts so far. Long jobs (``encode``, ``everything``) open their own raster source, since
they run in threads beside the interactive calls and a rasterio dataset is not thread-safe.

torch is imported on first use, not with this module: the dock opens a raster before any model is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace

from .. import config
from ..errors import SamCoreError
from ..geo.crs import parse_crs
from ..geo.raster import RasterSource
from ..geo.tiles import Tile

DEFAULT_MEMORY_ITEMS = 8

Progress = Callable[[float], None]
IsCancelled = Callable[[], bool]


def tile_info(tile: Tile) -> dict:
    """What the dock needs of a tile: its grid position (the key of what is encoded) and map bounds."""
    return {"col": tile.col, "row": tile.row, "bounds": list(tile.bounds), "size": tile.size}


def to_wkb(geometry) -> bytes:
    """A geometry as 2-D MultiPolygon WKB, the form QGIS layers of TerraSAM objects take."""
    import shapely

    return shapely.to_wkb(shapely.MultiPolygon(shapely.get_parts(geometry)), output_dimension=2)


def _same_raster(a: RasterSource, b: RasterSource) -> bool:
    return (str(a.path), tuple(a.bands)) == (str(b.path), tuple(b.bands))


class Engine:
    #: methods the worker may call; the jobs among them get ``progress`` and ``is_cancelled``
    METHODS = frozenset(
        {
            "configure",
            "load_model",
            "open_raster",
            "set_prompt_crs",
            "tiles_for_extent",
            "encoded_tiles",
            "add_point",
            "set_box",
            "undo",
            "clear",
            "accept",
            "state",
            "prompt_pixels",
            "encode",
            "everything",
            "classify",
            "load_segmentation_head",
            "map_classes",
            "label",
        }
    )
    JOBS = frozenset({"encode", "everything", "classify", "map_classes", "label"})

    def __init__(self) -> None:
        self.cache_dir: str | None = None
        self._cache = None
        self.model = None
        self.segmentation_head = None  # what accepted objects are labelled with (``label``)
        self.source: RasterSource | None = None
        self.session = None
        self.prompt_crs = None
        #: per (raster path, bands): the grid positions known to be encoded with the loaded model
        self._encoded: dict[tuple[str, tuple[int, ...]], set[tuple[int, int]]] = {}

    # -- set-up -----------------------------------------------------------------------------------------
    def configure(self, cache_dir: str | None = None) -> None:
        """Where embeddings are kept on disk (None: memory only)."""
        if cache_dir != self.cache_dir:
            self.cache_dir, self._cache = cache_dir, None

    @property
    def cache(self):
        if self._cache is None:
            from ..sam.embeddings import EmbeddingCache

            self._cache = EmbeddingCache(self.cache_dir, max_items=DEFAULT_MEMORY_ITEMS)
        return self._cache

    def load_model(
        self, checkpoint: str, device: str = config.DEVICE, precision: str = config.PRECISION, threads=None
    ) -> dict:
        from ..sam.hardware import set_threads
        from ..sam.model import load_model

        set_threads(threads)  # the physical cores, unless the user set a number
        self.model = load_model(checkpoint, device, precision)
        self.segmentation_head = None  # trained beside another encoder, perhaps: loaded again for this one
        self._encoded.clear()  # another model: other embeddings
        self._new_session()
        info = self.model.info
        return {
            "name": info.name,
            "describe": info.describe(),  # "…, fine-tuned from ViT-B, threshold 0.65, …" for a tuned decoder
            "device": str(self.model.device),
            "precision": self.model.precision,
            "runs_on": self.model.describe_device(),  # "cpu: 2 threads, bf16 (AVX-512 BF16) — checked: …"
            "tile_size": self.model.tile_size,  # every grid of this model: its learned scale when tuned
        }

    def load_segmentation_head(self, path: str | None = None) -> dict | None:
        """The segmentation head file (``train-segmenter``) ``label`` gives accepted objects their class with,
        refused if it was trained beside another encoder than the loaded model's; None or "": none. Its
        classes and colours; None when none is loaded."""
        from ..semantic.head_file import load_segmentation_head

        self.segmentation_head = None  # a head that fails to load leaves none, not the previous one
        if not path:
            return None
        head = load_segmentation_head(path, self._model())
        self.segmentation_head = head
        return {
            "path": path,
            "kind": head.kind,
            "classes": list(head.class_names),
            "colours": list(head.colours),
        }

    def open_raster(self, path: str, bands: list[int] | None = None) -> dict:
        """Open the raster prompts go to (closing the previous one); its band choice and size."""
        if self.source is not None:
            self.source.close()
        self.source, self.session = None, None
        self.source = RasterSource(path, bands=tuple(bands) if bands else None)
        self._new_session()
        return {"bands": list(self.source.bands), "width": self.source.width, "height": self.source.height}

    def set_prompt_crs(self, crs: str | None) -> dict:
        """The CRS clicks and boxes arrive in (the canvas's, as WKT); None: the raster's. Clears the prompts."""
        self.prompt_crs = parse_crs(crs) if crs else None
        if self.session is not None:
            self.session.clear()
            self.session.crs = self.prompt_crs
        return self.state()

    def _new_session(self) -> None:
        if self.source is None or self.model is None:
            self.session = None
            return
        from ..prompting.segment import Segmenter
        from ..prompting.session import PromptSession

        segmenter = Segmenter(self.source, self.model, self.cache, encoded=self._known(self.source))
        self.session = PromptSession(segmenter, crs=self.prompt_crs)

    def _known(self, source: RasterSource) -> set[tuple[int, int]]:
        """The grid positions of ``source`` known to be encoded with the loaded model (kept across sessions)."""
        return self._encoded.setdefault((str(source.path), tuple(source.bands)), set())

    def _ready_session(self):
        if self.model is None:
            raise SamCoreError("no model loaded: choose a SAM checkpoint first")
        if self.session is None:
            raise SamCoreError("no raster open: choose a raster layer first")
        return self.session

    # -- prompts ----------------------------------------------------------------------------------------
    def tiles_for_extent(
        self, extent: list[float], crs: str | None = None, missing: bool = False
    ) -> list[dict]:
        """The session grid's tiles over ``extent`` (in ``crs``); ``missing``: only those not encoded yet."""
        segmenter = self._ready_session().segmenter
        tiles = segmenter.grid.tiles_for_extent(*extent, parse_crs(crs) if crs else None)
        return [tile_info(t) for t in tiles if not (missing and (t.col, t.row) in segmenter.encoded)]

    def encoded_tiles(self) -> list[dict]:
        """The tiles of the open raster known to be encoded with the loaded model (the dock keeps no copy)."""
        segmenter = self._ready_session().segmenter
        return [tile_info(segmenter.grid.tile(col, row)) for col, row in sorted(segmenter.encoded)]

    def add_point(self, x: float, y: float, label: int, step: int = 1) -> dict:
        """A click, in one request: the new state, or ``{"encode": tile}`` when the tile the prompts need is
        not encoded yet (nothing changed: encode it with ``encode``, then send the click again)."""
        return self._prompt(lambda session: session.add_point(x, y, label, encode=False), step)

    def set_box(self, box: list[float], step: int = 1) -> dict:
        """A box, in one request: as ``add_point``."""
        return self._prompt(lambda session: session.set_box(*box, encode=False), step)

    def _prompt(self, change: Callable, step: int) -> dict:
        from ..prompting.segment import TileNotEncoded

        try:
            change(self._ready_session())
        except TileNotEncoded as missing:
            return {"encode": tile_info(missing.tile)}
        return self.state(step)

    def undo(self, step: int = 1) -> dict:
        self._ready_session().undo()
        return self.state(step)

    def clear(self) -> dict:
        if self.session is not None:
            self.session.clear()
        return self.state()

    def accept(self, feature_id: int, raster_name: str) -> dict:
        """The current object as an output record (geometry as WKB); the prompts start afresh."""
        record = self._ready_session().accept(feature_id, raster_name)
        return {**record, "geometry": to_wkb(record["geometry"])}

    def state(self, step: int = 1) -> dict:
        """The prompts so far (in the prompt CRS) and the preview outline at ``step`` px cells (raster CRS)."""
        session = self.session
        if session is None:
            return {"points": [], "box": None, "preview": None}
        preview = session.preview
        shown = None
        if preview is not None and preview.mask.any():
            shown = {
                "wkb": to_wkb(preview.preview_geometry(max(1, int(step)))),
                "score": preview.score,
                "prompt_type": preview.prompt_type,
                "n_fg": preview.n_fg,
                "n_bg": preview.n_bg,
                "tile": tile_info(preview.tile),
            }
        points = [[p.x, p.y, p.label] for p in session.points]
        return {"points": points, "box": list(session.box) if session.box else None, "preview": shown}

    def prompt_pixels(self) -> list[list[float]]:
        """Where the points so far fall on the raster, as (column, row) pixel coordinates (a check that
        prompts from any CRS land where the user clicked)."""
        from ..prompting.prompts import locate

        session = self._ready_session()
        if not session.points:
            return []
        located = locate(session.prompts(), session.segmenter.grid)
        window = located.tile.window
        return [[float(u) + window.col_off, float(v) + window.row_off] for u, v in located.points[:, :2]]

    # -- jobs -------------------------------------------------------------------------------------------
    def encode(
        self,
        path: str,
        bands: list[int],
        tiles: list[list[int]],
        progress: Progress | None = None,
        is_cancelled: IsCancelled | None = None,
    ) -> dict:
        """Encode the tiles at positions ``tiles`` ([col, row]) of the session's own grid into the cache (of a
        prompt session's grid on that raster when the session has moved on: the same ``Segmenter`` builds it).
        Reads through a source of its own: it runs beside the interactive calls."""
        from ..prompting.segment import Segmenter

        model = self._model()
        session = self.session
        with RasterSource(path, bands=tuple(bands)) as source:
            ours = session is not None and _same_raster(session.segmenter.source, source)
            segmenter = (
                session.segmenter
                if ours
                else Segmenter(source, model, self.cache, encoded=self._known(source))
            )
            segmenter.encode_tiles([tuple(t) for t in tiles], source, progress, is_cancelled)
        return {"encoded": [list(t) for t in tiles]}

    def everything(
        self,
        path: str,
        bands: list[int],
        extent: list[float] | None = None,
        crs: str | None = None,
        options: dict | None = None,
        progress: Progress | None = None,
        is_cancelled: IsCancelled | None = None,
    ) -> dict:
        """Every object over ``extent`` (in ``crs``): records with WKB geometries, or nothing on a cancel."""
        from ..prompting.everything import EverythingOptions, segment_everything

        known = {f.name for f in fields(EverythingOptions)}
        unknown = set(options or {}) - known
        if unknown:
            raise SamCoreError(f"unknown segment-everything options: {', '.join(sorted(unknown))}")
        chosen = replace(EverythingOptions(), **(options or {}))
        model = self._model()
        with RasterSource(path, bands=tuple(bands)) as source:
            result = segment_everything(
                source,
                model,
                self.cache,
                tuple(extent) if extent else None,
                parse_crs(crs) if crs else None,
                chosen,
                progress=progress,
                is_cancelled=is_cancelled,
            )
        objects = [{**record, "geometry": to_wkb(record["geometry"])} for record in result.objects]
        return {
            "objects": objects,
            "tiles": result.tiles,
            "tile_size": result.tile_size,
            "model": model.info.name,
        }

    def classify(
        self,
        path: str,
        head: str,
        extent: list[float] | None = None,
        crs: str | None = None,
        cell_size_m: float | None = None,
        dissolve: bool = False,
        allow_upsample: float = 2.0,
        progress: Progress | None = None,
        is_cancelled: IsCancelled | None = None,
    ) -> dict:
        """Land cover over ``extent`` (in ``crs``) with the head file ``head``: cells (or one feature per class
        when ``dissolve``) with WKB geometries in the raster's CRS, and the area per class. A raster more
        than ``allow_upsample`` times coarser than the head is refused."""
        from ..landcover.classify import ClassifyOptions, classify_raster
        from ..landcover.head import load_head

        model = self._model()
        options = ClassifyOptions(cell_size_m=cell_size_m, allow_upsample=allow_upsample)
        options.validate()
        loaded = load_head(head, model)  # a head trained on another encoder's features is refused here
        result = classify_raster(
            path,
            model,
            loaded,
            tuple(extent) if extent else None,
            parse_crs(crs) if crs else None,
            options,
            self.cache,
            progress=progress,
            is_cancelled=is_cancelled,
        )
        features = result.dissolved() if dissolve else result.cells
        summary = {k: v for k, v in result.summary().items() if k != "classes"}
        return {
            "features": [{**f, "geometry": to_wkb(f["geometry"])} for f in features],
            "classes": result.class_areas(),
            "summary": summary,
        }

    def map_classes(
        self,
        path: str,
        head: str,
        out: str,
        extent: list[float] | None = None,
        crs: str | None = None,
        progress: Progress | None = None,
        is_cancelled: IsCancelled | None = None,
    ) -> dict:
        """A class map of ``extent`` (in ``crs``) with the segmentation head file ``head``: the class GeoTIFF
        ``out`` on the raster's grid with its ``.qml`` style beside it (nothing written on a cancel), and the
        area per class (with the length of linear classes such as roads)."""
        from ..semantic.head_file import load_segmentation_head
        from ..semantic.mapping import MapOptions, map_classes

        model = self._model()
        loaded = load_segmentation_head(head, model)  # a head trained beside another encoder is refused here
        result = map_classes(
            path,
            model,
            loaded,
            out,
            tuple(extent) if extent else None,
            parse_crs(crs) if crs else None,
            MapOptions(),
            self.cache,
            progress=progress,
            is_cancelled=is_cancelled,
        )
        summary = {k: v for k, v in result.summary().items() if k != "classes"}
        return {"out": result.out, "classes": result.class_areas(), "summary": summary}

    def label(
        self,
        path: str,
        geometries: list[bytes],
        progress: Progress | None = None,
        is_cancelled: IsCancelled | None = None,
    ) -> list[dict | None]:
        """The class of each geometry (WKB in the raster's CRS) from the loaded segmentation head: the
        ``LABEL_FIELDS`` (class, its probability, the runner-up and its probability), None for one that
        misses the raster. The embedding cache is shared with the prompts and the maps."""
        import shapely

        from ..semantic.label_objects import label_geometries

        head = self.segmentation_head
        if head is None:
            raise SamCoreError("no segmentation head loaded: choose a segmentation head file first")
        shapes = [shapely.from_wkb(g) for g in geometries]
        return label_geometries(
            path, shapes, self._model(), head, cache=self.cache, progress=progress, is_cancelled=is_cancelled
        )

    def _model(self):
        if self.model is None:
            raise SamCoreError("no model loaded: choose a SAM checkpoint first")
        return self.model
