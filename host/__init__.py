"""QGIS-side parts shared by the dock (``ui/``) and the Processing provider (``terrasam_processing/``): the
user's settings, the engine's Python and its packages, and the styles of output layers."""
