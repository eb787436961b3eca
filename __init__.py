"""TerraSAM: Segment Anything for remote-sensing rasters in QGIS.

QGIS imports this package when it scans its plugin folders, so it stays light: nothing heavy (torch, the
segmentation core, Qt widgets) is imported here; :func:`classFactory` imports the plugin class lazily.
"""


def classFactory(iface):
    """Entry point QGIS calls with its ``QgisInterface``; ``qgis_process`` calls it with ``None``."""
    from .plugin import TerraSAMPlugin

    return TerraSAMPlugin(iface)
