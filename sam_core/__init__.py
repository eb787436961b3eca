"""TerraSAM core: Segment Anything on georeferenced rasters, with no QGIS and no Qt.

Light on import (no torch). Inside QGIS the plugin imports only the standard-library modules: ``errors``,
``config``, ``io``, ``schema``, ``units``, ``progress``, ``service.protocol``, ``service.client`` and
``service.server``'s package list; everything else runs in the engine process (``service.engine``). Subpackages, in data-flow
order (each imports only those above it and the shared modules):

- ``geo``         rasters window by window, the tile grid, CRS, ground resolution, measures, vectors, files
- ``sam``         checkpoint loading and download, the image encoder and its embedding cache
- ``prompting``   points/boxes/prompt files (one or many objects) → SAM's decoder → measured objects; segment everything
- ``landcover``   patches, frozen-encoder features, heads, training, scores, land-cover cells
- ``evaluation``  IoU, Dice, accuracy, precision, recall, FPR, object hit rate; files on one grid
- ``finetune``    the mask decoder fine-tuned on the user's labels (folder or raster + polygons); detection
- ``semantic``    pixel-level class maps: SAM-CONV and SAM-ViT heads on the frozen encoder, a UNet baseline
- ``service``     the core as a process for the QGIS plugin: protocol, client, server, engine
- ``distributed`` batch runs on Dask: a cluster joined or started for the run, tasks shipped in order
- ``cli``         ``python -m sam_core``: the parser, its options check, one module per command group

Shared modules: ``errors`` (the one exception type, ``first_line``), ``io`` (atomic writes, the output guard, strict
JSON), ``config`` (defaults: tile size, overlap, devices, points per side), ``schema`` (every product's
fields), ``units`` (areas and scores as people read them), ``progress`` (fractions with tile and time left),
``tasks`` (work as tasks: the job protocol and the serial runner; ``distributed`` has the Dask one).
"""

__version__ = "0.1.0"

from .errors import Cancelled, SamCoreError

__all__ = ["Cancelled", "SamCoreError", "__version__"]
