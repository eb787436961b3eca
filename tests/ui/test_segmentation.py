"""The dock in real QGIS: model loading task, map-tool events, background encoding, Accept into layers."""

from __future__ import annotations

import pytest
from qgis.core import QgsCoordinateTransform, QgsDistanceArea, QgsPointXY, QgsProject
from qgis.PyQt.QtCore import Qt
from ui_helpers import add_raster, is_empty, load_model, raster_centre, release, wait_for_tasks

FIELDS = [
    "id",
    "prompt_type",
    "n_fg",
    "n_bg",
    "score",
    "area_m2",
    "perimeter_m",
    "model",
    "raster",
    "created",
]  # no stability/tiles: those are segment everything's (its own layer, tests/test_ui_everything.py)


def test_click_encode_accept_writes_a_measured_feature(opened, qgis_iface, rgb_tif, tiny_checkpoint):
    canvas = qgis_iface.mapCanvas()
    layer = add_raster(rgb_tif, canvas)
    opened.dock.layer_combo.setLayer(layer)
    load_model(opened, tiny_checkpoint)
    assert "M parameters" in opened.dock.model_label.text()
    controller = opened.controller

    opened.dock.point_action.trigger()
    assert canvas.mapTool() is controller.point_tool
    release(controller.point_tool, canvas, raster_centre(layer))
    wait_for_tasks(controller)
    assert controller.state["preview"], opened.dock.status_label.text()
    assert controller.preview_band.numberOfVertices() > 0

    release(
        controller.point_tool,
        canvas,
        QgsPointXY(layer.extent().center().x() + 6000, layer.extent().center().y()),
        Qt.RightButton,
    )
    assert [label for _, _, label in controller.state["points"]] == [1, 0]

    opened.dock.accept_action.trigger()
    out = controller.output_layer
    assert out is not None and out.featureCount() == 1
    assert out.crs() == layer.crs()
    assert [f.name() for f in out.fields()] == FIELDS
    feature = next(out.getFeatures())
    assert (feature["n_fg"], feature["n_bg"], feature["prompt_type"]) == (1, 1, "point")
    assert feature["raster"] == layer.name()

    area = QgsDistanceArea()
    area.setSourceCrs(out.crs(), QgsProject.instance().transformContext())
    area.setEllipsoid(out.crs().ellipsoidAcronym() or "EPSG:7030")
    assert area.willUseEllipsoid()
    assert feature["area_m2"] == pytest.approx(area.measureArea(feature.geometry()), rel=1e-3)
    assert is_empty(controller) and controller.preview_band.numberOfVertices() == 0


def test_canvas_in_web_mercator_prompts_land_on_the_right_pixels(
    opened, qgis_iface, rgb_tif, tiny_checkpoint
):
    canvas = qgis_iface.mapCanvas()
    layer = add_raster(rgb_tif, canvas, "EPSG:3857")
    opened.dock.layer_combo.setLayer(layer)
    load_model(opened, tiny_checkpoint)
    controller = opened.controller
    utm = QgsPointXY(layer.extent().xMinimum() + 300 * 400.5, layer.extent().yMaximum() - 300 * 300.5)
    to_canvas = QgsCoordinateTransform(
        layer.crs(), canvas.mapSettings().destinationCrs(), QgsProject.instance()
    )
    opened.dock.point_action.trigger()
    release(controller.point_tool, canvas, to_canvas.transform(utm))
    wait_for_tasks(controller)
    [(u, v)] = controller.engine.call("prompt_pixels")
    res = layer.rasterUnitsPerPixelX(), layer.rasterUnitsPerPixelY()
    assert u == pytest.approx((utm.x() - layer.extent().xMinimum()) / res[0], abs=1e-6)
    assert v == pytest.approx((layer.extent().yMaximum() - utm.y()) / res[1], abs=1e-6)


def test_the_dock_follows_the_active_raster_layer_only(opened, qgis_iface, rgb_tif, shade_tif):
    # pytest-qgis's stand-in iface never emits currentLayerChanged (and declares it with the wrong type), so
    # the controller's slot for that signal is called the way QGIS calls it.
    from qgis.core import QgsVectorLayer

    canvas = qgis_iface.mapCanvas()
    rgb, shade = add_raster(rgb_tif, canvas), add_raster(shade_tif, canvas)
    vector = QgsVectorLayer("Polygon?crs=EPSG:4326", "polygons", "memory")
    QgsProject.instance().addMapLayer(vector)
    controller = opened.controller
    controller.follow_active_layer(shade)
    assert opened.dock.layer_combo.currentLayer() is shade and controller.layer is shade
    controller.follow_active_layer(vector)  # not a raster: the dock keeps its raster
    assert controller.layer is shade
    controller.follow_active_layer(rgb)
    assert controller.layer is rgb and opened.dock.bands() == (1, 2, 3)
    assert [opened.dock.band_combos[0].itemText(i) for i in range(3)] == [rgb.bandName(i) for i in (1, 2, 3)]
