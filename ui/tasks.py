"""Long work off the UI thread: loading a checkpoint, encoding tiles, segmenting everything in view.

``run()`` executes in a worker thread and touches no layer, project or widget: it opens its own raster
source (rasterio datasets are not thread-safe) and shares only the model and the embedding cache. Results
and errors go back through ``finished()``, on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsTask

from ..sam_core.errors import Cancelled, SamCoreError

#: pyproj's per-thread PROJ contexts made in task threads, kept for the life of the process (see below)
_PYPROJ_CONTEXTS: list = []


def _keep_pyproj_context() -> None:
    """Keep the PROJ context pyproj made for this worker thread alive, so the thread can use pyproj again.

    pyproj 3.7 keeps one PROJ context per thread: the pointer in OS-thread storage, its owner (which frees it)
    in a ``threading.local``. QGIS runs each task's ``run()`` in a pooled thread under a Python thread state
    that is created for the call and deleted after it, which frees the context while the OS thread keeps the
    pointer; the next task on that thread that touches pyproj (segment everything parses the raster's CRS,
    transforms the extent) then crashes QGIS on the freed context (pyproj issues #1509 and #1622). Holding
    the owner here keeps each pool thread's context valid; it is one small context per pool thread, which is
    what pyproj itself intends (contexts live as long as their thread).
    """
    try:
        from pyproj._context import get_context_manager
    except ImportError:  # another pyproj: nothing to keep
        return
    manager = get_context_manager()
    if manager is not None and all(manager is not kept for kept in _PYPROJ_CONTEXTS):
        _PYPROJ_CONTEXTS.append(manager)


class CoreTask(QgsTask):
    """A cancellable task around one core call: ``work()`` runs in the worker thread; a ``SamCoreError``
    becomes ``self.error`` (shown by the controller), a cancel simply ends it; ``done(task)`` runs on the UI
    thread either way."""

    def __init__(self, description: str, done: Callable) -> None:
        super().__init__(description, QgsTask.CanCancel)
        self._done = done
        self.error: str | None = None

    def work(self) -> None:
        raise NotImplementedError

    def run(self) -> bool:
        try:
            self.work()
        except Cancelled:
            return False
        except SamCoreError as exc:
            self.error = str(exc)
            return False
        finally:
            _keep_pyproj_context()
        return True

    def finished(self, ok: bool) -> None:
        self._done(self)


class LoadModelTask(CoreTask):
    def __init__(self, checkpoint: str, device: str, done: Callable) -> None:
        super().__init__("TerraSAM: load model", done)
        self.checkpoint, self.device = checkpoint, device
        self.model = None

    def work(self) -> None:
        from ..sam_core.model import load_model

        self.model = load_model(self.checkpoint, self.device)


class EncodeTilesTask(CoreTask):
    """Encode ``tiles`` of a raster into the shared cache, with progress and cancel between tiles."""

    def __init__(self, raster: str, bands, model, cache, tiles, done: Callable) -> None:
        super().__init__(f"TerraSAM: encode {len(tiles)} tile(s)", done)
        self.raster, self.bands, self.model, self.cache = raster, bands, model, cache
        self.tiles = list(tiles)
        self.encoded: list = []

    def work(self) -> None:
        from ..sam_core.embeddings import TileEncoder
        from ..sam_core.raster import RasterSource

        with RasterSource(self.raster, bands=self.bands) as source:
            encoder = TileEncoder(self.model, source, self.cache)
            for index, tile in enumerate(self.tiles):
                if self.isCanceled():
                    raise Cancelled()
                encoder.encode(tile, self.isCanceled)
                self.encoded.append(tile)
                self.setProgress(100.0 * (index + 1) / len(self.tiles))


class EverythingTask(CoreTask):
    """Segment everything over ``extent`` (in ``extent_crs``, a pyproj CRS) of a raster: the core's
    ``segment_everything`` with the shared model and cache, progress per tile, cancel between tiles and masks.

    ``result`` is the core's ``EverythingResult`` once the whole extent is done; a cancel or an error leaves it
    None (the core returns nothing partial). ``layer_name`` and ``layer_crs`` describe the raster layer the
    task was started for, so its objects are written for that layer even if the dock has moved on.
    """

    def __init__(
        self,
        raster: str,
        bands,
        model,
        cache,
        extent: tuple[float, float, float, float],
        extent_crs,
        options,
        done: Callable,
        layer_name: str = "",
        layer_crs=None,
    ) -> None:
        super().__init__("TerraSAM: segment everything", done)
        self.raster, self.bands, self.model, self.cache = raster, bands, model, cache
        self.extent, self.extent_crs, self.options = extent, extent_crs, options
        self.layer_name, self.layer_crs = layer_name, layer_crs
        self.result = None

    def work(self) -> None:
        from ..sam_core.everything import segment_everything
        from ..sam_core.raster import RasterSource

        with RasterSource(self.raster, bands=self.bands) as source:
            self.result = segment_everything(
                source,
                self.model,
                self.cache,
                self.extent,
                self.extent_crs,
                self.options,
                progress=lambda fraction: self.setProgress(100.0 * fraction),
                is_cancelled=self.isCanceled,
            )
