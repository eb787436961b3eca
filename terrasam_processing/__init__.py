"""TerraSAM's Processing provider (id ``terrasam``): every capability as a toolbox and ``qgis_process`` algorithm.

Each algorithm is a thin adapter: QGIS parameters become arguments of ``python -m sam_core <command>``, which
runs in the engine's Python (``ui/dependencies.engine_python()``), never inside QGIS, whose own GEOS, GDAL
and PROJ clash with the copies in torch's, shapely's, rasterio's and pyproj's wheels. ``runner`` is the one
place that starts that process, turns its ``progress: N%`` lines into feedback, kills it on cancel and turns
its ``error:`` line into a ``QgsProcessingException``; the algorithms then load what it wrote.

Nothing here imports torch, shapely, rasterio, pyproj or a ``sam_core`` module that does.
"""

from .provider import TerraSAMProvider

__all__ = ["TerraSAMProvider"]
