"""Defaults shared by the CLI, the engine, Processing and the dock: one place for each.

Standard library only and light: Processing and the dock import it inside QGIS to fill in their fields.

Overlap: tiles for prompting and for segment everything overlap by ``OVERLAP`` = 256 px, the value the
core's options (``EverythingOptions``, ``Segmenter``) use, because an object up to a quarter tile wide then
fits whole in some tile; the engine and the dock rely on that grid for their embedding cache, so Processing's
"prepare tiles" uses it too. A bare ``TileGrid``/``RasterSource.grid()`` keeps its historical 128 px
(``GRID_OVERLAP``): only the preview (which just maps coordinates) and tests use that default.
"""

from __future__ import annotations

#: SAM's input size: one encoder pass covers a tile of this many pixels per side
TILE_SIZE = 1024
#: Processing's tile-size parameter value for "the model's": a fine-tuned decoder's learned scale (its
#: sidecar's ``tile_px``), else ``TILE_SIZE`` (``LoadedModel.tile_size``); the CLI's ``--tile-size`` left out
MODEL_TILE_SIZE = 0
#: tile overlap for prompting and segment everything (see the module docstring)
OVERLAP = 256
#: the overlap of a bare tile grid (coordinate mapping only; no cache depends on it)
GRID_OVERLAP = 128
#: land-cover classification tiles do not overlap by default (each cell takes its nearest tile)
CLASSIFY_OVERLAP = 0

#: where the model runs; "auto" takes a GPU (CUDA, else Apple MPS) when there is one
DEVICES = ("auto", "cpu", "cuda", "mps")
DEVICE = "auto"
#: the encoder's path: "auto" takes the fastest one that passes the fidelity check on this machine
#: (``sam_core.sam.precision``); fp32 is exact, bf16 and int8 are the fast ones
PRECISIONS = ("auto", "fp32", "bf16", "int8")
PRECISION = "auto"

#: segment everything: SAM's prompt grid and quality thresholds (a little below SAM's 0.88/0.95 for
#: small, low-contrast aerial objects)
POINTS_PER_SIDE = 32
MAX_POINTS_PER_SIDE = 64
PRED_IOU_THRESH = 0.86
STABILITY_THRESH = 0.92
MIN_REGION_PX = 16

#: land-cover classification: how the raster's pixels are stretched before the encoder
STRETCHES = ("auto", "head", "raster")
STRETCH = "auto"
