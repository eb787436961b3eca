"""TerraSAM core: Segment Anything on georeferenced rasters, with no QGIS and no Qt.

Light on import (no torch): the plugin imports pieces of it at QGIS start-up. Modules, in data-flow order:

- ``raster``      rasterio windows, band choice, nodata, one global stretch per raster
- ``tiles``       the tile grid anchored to the raster, exact map↔pixel maths
- ``crs``         CRS parsing and transforms (pyproj)
- ``model``       checkpoint loading; architecture read from tensor shapes
- ``embeddings``  tile encoding with a memory + disk cache
- ``prompts``     points/boxes in any CRS → one tile's pixels
- ``decoder``     prompt → mask with SAM's prompt encoder and mask decoder
- ``vectorize``   mask → polygons, post-processing
- ``measures``    geodesic area and perimeter
- ``segment``     the above together: prompts in, measured object out
- ``output`` / ``preview``  GeoPackage/GeoJSON and PNG
- ``cli``         ``python -m sam_core``
"""

__version__ = "0.1.0"

from .errors import Cancelled, SamCoreError

__all__ = ["Cancelled", "SamCoreError", "__version__"]
