"""The Processing dialog opens on the raster the user is looking at: every TerraSAM algorithm that takes a
raster defaults to QGIS's active raster layer (none under ``qgis_process``, which has no ``iface``)."""

from __future__ import annotations

from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingUtils,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.gui import QgsGui, QgsProcessingGui

RASTER_ALGORITHMS = {
    "encoderaster",
    "segmentfromprompts",
    "segmenteverything",
    "classifylandcover",
    "finetunedecoder",
    "detectobjects",
    "trainsegmentationhead",
    "mapclasses",
    "labelobjects",
}


def dialog_value(algorithm_id: str):
    """What the Processing dialog's raster widget holds when it opens: a fresh algorithm (as the dialog
    makes one), its RASTER parameter's widget wrapper, the widget's value resolved to a project layer."""
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(f"terrasam:{algorithm_id}")
    parameter = algorithm.parameterDefinition("RASTER")
    wrapper = QgsGui.processingGuiRegistry().createParameterWidgetWrapper(
        parameter, QgsProcessingGui.Standard
    )
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    widget = wrapper.createWrappedWidget(context)  # kept referenced: the wrapper reads from it
    value = wrapper.parameterValue()
    widget.deleteLater()
    return parameter.defaultValue(), QgsProcessingUtils.mapLayerFromString(
        str(value), context
    ) if value else None


def test_the_raster_parameter_starts_on_the_active_raster(provider, qgis_iface, qgis_new_project, rgb_tif):
    takes_raster = {a.name() for a in provider.algorithms() if a.parameterDefinition("RASTER") is not None}
    assert takes_raster == RASTER_ALGORITHMS
    raster = QgsRasterLayer(str(rgb_tif), "RGB.byte")
    vector = QgsVectorLayer("Point?crs=EPSG:4326", "points", "memory")
    QgsProject.instance().addMapLayers([vector, raster])
    qgis_iface.setActiveLayer(raster)
    for name in sorted(takes_raster):
        default, shown = dialog_value(name)
        assert default == raster.source(), name
        assert shown is not None and shown.id() == raster.id(), (name, default, shown)

    qgis_iface.setActiveLayer(vector)  # not a raster: no default rather than a wrong one
    assert all(dialog_value(name)[0] is None for name in takes_raster)
