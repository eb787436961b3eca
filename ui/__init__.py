"""Qt/QGIS adapters of the TerraSAM plugin.

Everything here may import ``qgis`` and ``qgis.PyQt``; the geospatial and model work lives in the Qt-free
``sam_core`` package. The segmentation dock widget arrives in the next release; for now this package holds the
dependency check (:mod:`.dependencies`).
"""
