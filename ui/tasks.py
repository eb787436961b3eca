"""Long work off the UI thread: loading a checkpoint, encoding tiles.

``run()`` executes in a worker thread and touches no layer, project or widget: it opens its own raster
source (rasterio datasets are not thread-safe) and shares only the model and the embedding cache. Results
and errors go back through ``finished()``, on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsTask

from ..sam_core.errors import Cancelled, SamCoreError


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
