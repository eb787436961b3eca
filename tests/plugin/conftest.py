"""QGIS fixtures for the plugin's tests in QGIS (pytest-qgis: ``qgis_iface``, ``qgis_new_project``)."""

from ui_helpers import opened

__all__ = ["opened"]
