"""What a person notices in the dock: it fits a laptop screen, the model text is never cut off, the first
status line fits what is chosen already, areas read "12.35 ha" rather than "123456.7 m²", and a click beside
the raster is reported in the canvas CRS the user clicked in, with the raster's name."""

from __future__ import annotations

import pytest
from qgis.core import QgsPointXY
from qgis.PyQt.QtWidgets import QScrollArea
from ui_helpers import Messages, add_raster, drag, load_model, open_dock, release


def test_the_dock_scrolls_and_fits_a_1366x768_laptop_beside_the_toolbox(opened):
    dock = opened.dock
    assert isinstance(dock.widget(), QScrollArea) and dock.widget().widgetResizable()
    content = dock.widget().widget().minimumSizeHint()
    assert content.height() > 600  # what it needs: it scrolls rather than squeezing the other docks
    hint = dock.minimumSizeHint()
    # 768 px less the title bar, menus, toolbars and the status bar leave ~600 px for a dock column
    assert hint.height() <= 600, hint
    assert hint.width() <= 400, hint  # beside the Processing toolbox on a 1366 px wide screen


def test_a_long_model_description_wraps_and_is_whole_in_the_tooltip(opened):
    label = opened.dock.model_label
    text = (
        "vit_h · 636.0 M parameters · image 1024 px · sam_vit_h_4b8939.pth (2.4 GiB) — cuda:0 (NVIDIA A100)"
    )
    label.setText(text)
    opened.dock.resize(260, 500)
    assert label.wordWrap() and label.text() == text and label.toolTip() == text
    assert label.minimumSizeHint().width() < 260  # never widens the dock to fit


def test_the_first_status_line_asks_only_for_what_is_missing(
    terrasam, qgis_iface, qgis_new_project, monkeypatch, tmp_path, rgb_tif
):
    layer = add_raster(rgb_tif, qgis_iface.mapCanvas())  # a raster in the project before the dock opens
    qgis_iface.setActiveLayer(layer)
    with open_dock(terrasam, qgis_iface, monkeypatch, tmp_path) as plugin:
        dock = plugin.dock
        assert dock.layer_combo.currentLayer() is layer
        status = dock.status_label.text()
        assert "checkpoint" in status.lower() and "raster layer and" not in status.lower(), status


def test_accept_states_the_area_in_a_readable_unit(opened, qgis_iface, rgb_tif, tiny_checkpoint):
    from terrasam.sam_core.units import format_area

    canvas = qgis_iface.mapCanvas()
    layer = add_raster(rgb_tif, canvas)
    opened.dock.layer_combo.setLayer(layer)
    load_model(opened, tiny_checkpoint)
    controller = opened.controller
    opened.dock.point_action.trigger()
    release(controller.point_tool, canvas, layer.extent().center())
    from ui_helpers import wait_for_tasks

    wait_for_tasks(controller)
    assert "score 0." in opened.dock.status_label.text() or "score 1.00" in opened.dock.status_label.text()
    opened.dock.accept_action.trigger()
    feature = next(controller.output_layer.getFeatures())
    status = opened.dock.status_label.text()
    assert status.endswith(format_area(feature["area_m2"])), status
    assert " ha" in status or " km²" in status  # 300 m pixels: an object is at least 9 ha
    assert f"{feature['area_m2']:.1f}" not in status  # no raw square metres
    assert feature["area_m2"] == pytest.approx(feature["area_m2"])  # the data keep the exact number


def test_a_click_beside_the_raster_is_told_in_the_canvas_crs_with_the_raster_name(
    opened, qgis_iface, rgb_tif, tiny_checkpoint
):
    canvas = qgis_iface.mapCanvas()
    layer = add_raster(rgb_tif, canvas, "EPSG:4326")  # the canvas in degrees, the raster in UTM metres
    opened.dock.layer_combo.setLayer(layer)
    load_model(opened, tiny_checkpoint)
    controller, messages = opened.controller, Messages(qgis_iface)
    opened.dock.point_action.trigger()
    release(controller.point_tool, canvas, QgsPointXY(10.5, 50.25))
    assert not controller.tasks and controller.state["points"] == []
    [message] = messages.new()
    assert "10.500000°, 50.250000°" in message and "EPSG:4326" in message and layer.name() in message, message
    assert "e+0" not in message  # no raw raster-CRS numbers

    opened.dock.box_action.trigger()
    drag(controller.box_tool, canvas, QgsPointXY(10.0, 50.0), QgsPointXY(11.0, 51.0))
    assert len(messages.new()) == 2
    box = messages.new()[1]
    assert "box" in box.lower() and "EPSG:4326" in box and layer.name() in box and "10.000000°" in box, box
    assert controller.state["box"] is None


def test_the_class_area_table_shows_readable_units(opened):
    opened.dock.show_areas(
        [
            {
                "class": "Forest",
                "area_m2": 13312356632.1,
                "area_ha": 1331235.66321,
                "percent": 99.9,
                "colour": "#0a0",
            },
            {"class": "River", "area_m2": 52000.0, "area_ha": 5.2, "percent": 0.1, "colour": "#00f"},
            {"class": "Road", "area_m2": 0.0, "area_ha": 0.0, "percent": 0.0, "colour": "#999"},
        ]
    )
    table = opened.dock.area_table
    assert table.rowCount() == 2
    assert [table.item(r, 1).text() for r in range(2)] == ["13,312.36 km²", "5.20 ha"]
    assert table.item(0, 1).data(256) == 13312356632.1  # Qt.UserRole: the exact value stays with the row
