"""Is a click (or a drawn box) on the raster? Said in the terms the user clicked in: the canvas CRS, readable
coordinates and the raster layer's name, instead of the engine's raster-CRS numbers ("point (27928.3,
2.80921e+06) is outside the raster"). The engine still checks every prompt; this only words the common case
where the CRS of the click is known: here, in the dock.
"""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsUnitTypes,
)
from qgis.PyQt.QtCore import QCoreApplication


class PromptPlace:
    """The translation context of this module's messages (pylupdate5 files ``PromptPlace.tr`` under it)."""

    @staticmethod
    def tr(text: str) -> str:
        return QCoreApplication.translate("PromptPlace", text)


def readable_xy(x: float, y: float, crs: QgsCoordinateReferenceSystem) -> str:
    """ "12.345678°, 48.123456°" in a geographic CRS, "3,020,418.5 m, 2,809,210.0 m" in a projected one."""
    if crs.isGeographic():
        return f"{x:.6f}°, {y:.6f}°"
    unit = QgsUnitTypes.toAbbreviatedString(crs.mapUnits())
    return f"{x:,.1f} {unit}, {y:,.1f} {unit}".replace(" ,", ",")


def _to_raster(layer: QgsRasterLayer, crs: QgsCoordinateReferenceSystem) -> QgsCoordinateTransform:
    return QgsCoordinateTransform(crs, layer.crs(), QgsProject.instance())


def point_outside(point: QgsPointXY, crs: QgsCoordinateReferenceSystem, layer: QgsRasterLayer) -> str | None:
    """A message when ``point`` (in ``crs``, the canvas's) misses ``layer``; None when it is on it (or the
    transform fails: the engine then decides)."""
    try:
        on_raster = _to_raster(layer, crs).transform(point)
    except QgsCsException:
        return None
    if layer.extent().contains(on_raster):
        return None
    return PromptPlace.tr("The point {xy} ({crs}) is outside the raster {name}.").format(
        xy=readable_xy(point.x(), point.y(), crs), crs=crs.userFriendlyIdentifier(), name=layer.name()
    )


def box_outside(box: QgsRectangle, crs: QgsCoordinateReferenceSystem, layer: QgsRasterLayer) -> str | None:
    """A message when the box (in ``crs``) does not touch ``layer`` at all; None otherwise."""
    try:
        on_raster = _to_raster(layer, crs).transformBoundingBox(box)
    except QgsCsException:
        return None
    if layer.extent().intersects(on_raster):
        return None
    corners = f"{readable_xy(box.xMinimum(), box.yMinimum(), crs)} – {readable_xy(box.xMaximum(), box.yMaximum(), crs)}"
    return PromptPlace.tr("The box {corners} ({crs}) is outside the raster {name}.").format(
        corners=corners, crs=crs.userFriendlyIdentifier(), name=layer.name()
    )
