"""TerraSAM core: Segment Anything on georeferenced rasters, with no QGIS and no Qt.

Light on import (no torch). Inside QGIS the plugin imports only ``errors``, ``protocol``, ``client``,
``worker``, ``fields`` and ``units`` (standard library); everything else runs in the engine process (``engine``). Modules, in data-flow
order:

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
- ``prompt_files``  prompts from vector files (groups, labels, boxes): many objects in one run
- ``output`` / ``preview``  GeoPackage/GeoJSON and PNG/JPEG
- ``atomic`` / ``output_paths``  every file written atomically (all-or-nothing for several); outputs checked first
- ``patches``     labelled patch folders (EuroSAT layout) for training a classifier
- ``features``    pooled encoder features: packed (many patches per encoder pass) or per patch
- ``head`` / ``train`` / ``confusion`` / ``plots``  classifier heads, head files, training, scores, PNG charts
- ``gsd`` / ``classify``  ground resolution and resampling; land-cover cells over a raster from tile embeddings
- ``metrics`` / ``evaluate``  IoU, Dice, accuracy, precision, recall, FPR, object hit rate; files on a grid
- ``fields`` / ``units``  each product layer's fields; areas and scores as people read them
- ``cli`` / ``cli_options``  ``python -m sam_core`` and its one validation layer for options
- ``engine`` / ``worker`` / ``client`` / ``protocol``  the core as a process of its own for the QGIS plugin
  (``python -m sam_core serve``), its pipe protocol and the plugin's side of it
"""

__version__ = "0.1.0"

from .errors import Cancelled, SamCoreError

__all__ = ["Cancelled", "SamCoreError", "__version__"]
