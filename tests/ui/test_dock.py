"""The dock's tools and outputs in real QGIS: box, undo/clear, cancel, output targets, errors, encode view,
settings, shortcuts and unload.

Events are sent to the real map tools; models load and tiles encode in real ``QgsTask``s.
"""

from __future__ import annotations

import os

import pytest
from qgis.core import (
    NULL,
    QgsApplication,
    QgsCoordinateTransform,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsSettings,
    QgsTask,
    QgsVectorLayer,
)
from qgis.gui import QgsRubberBand
from qgis.PyQt import sip
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QAction
from ui_helpers import (
    Messages,
    add_raster,
    assert_object_style,
    drag,
    engine_held_at,
    exact_geometry,
    flush_deletes,
    is_empty,
    isolated_settings,
    load_model,
    open_dock,
    raster_centre,
    release,
    stored_styles,
    wait_for_tasks,
    wait_until,
)

from bench.rasters import write_test_raster

OUTPUT_MEMORY, OUTPUT_LAYER, OUTPUT_GPKG = 0, 1, 2  # the dock's "Write to" choices, in order


@pytest.fixture(scope="module")
def big_tif(tmp_path_factory):
    """2500×2500 pixels: a 3×3 grid of 1024-pixel tiles (overlap 256) in the controller's Segmenter."""
    return write_test_raster(tmp_path_factory.mktemp("big") / "big.tif", 2500, 2500, pixel=30.0)


def offset(point: QgsPointXY, dx: float, dy: float = 0.0) -> QgsPointXY:
    return QgsPointXY(point.x() + dx, point.y() + dy)


def click(plugin, point, button=None) -> None:
    """A left (or ``button``) click with the point tool, which is made the canvas's tool first."""
    controller, canvas = plugin.controller, plugin.controller.canvas
    if canvas.mapTool() is not controller.point_tool:
        plugin.dock.point_action.trigger()
    if button is None:
        release(controller.point_tool, canvas, point)
    else:
        release(controller.point_tool, canvas, point, button)


def segment_at(plugin, point) -> None:
    click(plugin, point)
    wait_for_tasks(plugin.controller)
    assert plugin.controller.state["preview"], plugin.dock.status_label.text()


def layer_count() -> int:
    return len(QgsProject.instance().mapLayers())


def ids(layer) -> list[int]:
    return sorted(f["id"] for f in layer.getFeatures())


def embedding_files(tmp_path) -> list:
    return list((tmp_path / "embeddings").rglob("*.emb"))


# -- 1. box ---------------------------------------------------------------------------------------------------


def test_box_drag_segments_the_box_and_accept_writes_a_box_object(ready, qgis_iface):
    plugin, layer = ready
    controller, canvas = plugin.controller, qgis_iface.mapCanvas()
    plugin.dock.box_action.trigger()
    assert canvas.mapTool() is controller.box_tool and plugin.dock.box_action.isChecked()
    centre = raster_centre(layer)
    start, end = offset(centre, -9000, 6000), offset(centre, 9000, -6000)

    drag(controller.box_tool, canvas, start, end)
    assert controller.tasks, "the tile is not encoded yet: the box waits for a background task"
    assert controller.box_tool._band.numberOfVertices() == 0  # the dashed drag band is gone after release
    wait_for_tasks(controller)

    state = controller.state
    assert state["box"] == pytest.approx((start.x(), end.y(), end.x(), start.y()))
    assert state["points"] == []
    assert state["preview"] and state["preview"]["prompt_type"] == "box"
    assert (state["preview"]["n_fg"], state["preview"]["n_bg"]) == (0, 0)
    assert controller.preview_band.numberOfVertices() > 0
    assert "Preview" in plugin.dock.status_label.text()

    plugin.dock.accept_action.trigger()
    out = controller.output_layer
    assert out is not None and out.featureCount() == 1
    feature = next(out.getFeatures())
    assert (feature["id"], feature["prompt_type"], feature["n_fg"], feature["n_bg"]) == (1, "box", 0, 0)
    assert is_empty(controller) and controller.preview_band.numberOfVertices() == 0


# -- 2. undo and clear ----------------------------------------------------------------------------------------


def test_undo_removes_the_last_point_and_recomputes_the_preview(ready):
    plugin, layer = ready
    controller = plugin.controller
    centre = raster_centre(layer)
    segment_at(plugin, centre)
    one_point = controller.state["preview"]
    click(plugin, offset(centre, 3000))  # same tile: applied at once
    assert not controller.tasks
    two_points = controller.state["preview"]
    assert two_points["n_fg"] == 2 and controller.fg_band.numberOfVertices() == 2

    plugin.dock.undo_action.trigger()
    state = controller.state
    assert [(x, y) for x, y, _ in state["points"]] == [(centre.x(), centre.y())]
    assert state["preview"]["n_fg"] == 1
    assert state["preview"]["wkb"] == one_point["wkb"]  # recomputed from the remaining point
    assert controller.fg_band.numberOfVertices() == 1
    assert controller.preview_band.numberOfVertices() > 0

    plugin.dock.undo_action.trigger()
    assert is_empty(controller) and controller.state["preview"] is None
    assert controller.preview_band.numberOfVertices() == 0
    assert controller.fg_band.numberOfVertices() == 0

    plugin.dock.undo_action.trigger()  # nothing left: a no-op, not an error
    assert is_empty(controller)


def test_clear_drops_all_prompts_and_writes_nothing(ready):
    plugin, layer = ready
    controller = plugin.controller
    centre = raster_centre(layer)
    segment_at(plugin, centre)
    click(plugin, offset(centre, 4000), button=Qt.RightButton)  # background point
    assert [label for _, _, label in controller.state["points"]] == [1, 0]
    assert controller.bg_band.numberOfVertices() == 1
    layers = layer_count()

    plugin.dock.clear_action.trigger()
    assert is_empty(controller) and controller.state["preview"] is None
    for band in (controller.preview_band, controller.fg_band, controller.bg_band):
        assert band.numberOfVertices() == 0
    assert controller.output_layer is None and layer_count() == layers


# -- 3. cancel ------------------------------------------------------------------------------------------------


def test_cancel_during_encoding_drops_the_click_and_writes_nothing(ready, qgis_iface, tmp_path):
    """The engine process is paused (SIGSTOP) while the click starts the encoding and Cancel is pressed,
    so the cancel always reaches the engine before the encoding can finish."""
    plugin, layer = ready
    controller, dock = plugin.controller, plugin.dock
    layers, messages = layer_count(), Messages(qgis_iface)
    with engine_held_at(controller, "encode"):
        click(plugin, raster_centre(layer))
        assert len(controller.tasks) == 1 and controller.pending
        task = controller.tasks[0]
        assert dock.cancel_button.isVisibleTo(dock) and dock.progress_bar.isVisibleTo(dock)
        wait_until(lambda: task.status() == QgsTask.Running, timeout=30)
        dock.cancel_button.click()
    wait_for_tasks(controller)

    assert task.result is None and controller.ready == set() and embedding_files(tmp_path) == []
    assert is_empty(controller) and controller.state["preview"] is None and not controller.pending
    assert controller.preview_band.numberOfVertices() == 0 and controller.fg_band.numberOfVertices() == 0
    assert controller.output_layer is None and layer_count() == layers
    assert "cancelled" in dock.status_label.text().lower()
    assert not dock.cancel_button.isVisibleTo(dock) and not dock.progress_bar.isVisibleTo(dock)
    assert messages.new() == []  # a cancel is not an error

    segment_at(plugin, raster_centre(layer))  # and the dock still works afterwards


def test_cancel_encode_view_over_many_tiles_encodes_nothing(
    opened, qgis_iface, big_tif, tiny_checkpoint, tmp_path
):
    canvas = qgis_iface.mapCanvas()
    layer = add_raster(big_tif, canvas)
    opened.dock.layer_combo.setLayer(layer)
    load_model(opened, tiny_checkpoint)
    controller = opened.controller
    layers = layer_count()
    with engine_held_at(controller, "encode"):
        opened.dock.encode_view_action.trigger()
        assert len(controller.tasks) == 1
        task = controller.tasks[0]
        assert len(task.tiles) == 9
        wait_until(lambda: task.status() == QgsTask.Running, timeout=30)
        controller.cancel_tasks()
    wait_for_tasks(controller)
    assert task.result is None
    assert controller.ready == set() and embedding_files(tmp_path) == []
    assert "cancelled" in opened.dock.status_label.text().lower()
    assert is_empty(controller) and layer_count() == layers


# -- 4. outputs -----------------------------------------------------------------------------------------------


def test_accept_into_an_existing_layer_reprojects_and_fills_matching_fields(ready):
    plugin, raster = ready
    controller, dock = plugin.controller, plugin.dock
    target = QgsVectorLayer(
        "MultiPolygon?crs=EPSG:4326&field=id:integer&field=score:double&field=note:string", "mine", "memory"
    )
    old = QgsFeature(target.fields())
    old.setGeometry(QgsGeometry.fromWkt("MultiPolygon(((10 10, 11 10, 11 11, 10 10)))"))
    old.setAttributes([7, 0.25, "keep me"])
    assert target.dataProvider().addFeatures([old])[0]
    QgsProject.instance().addMapLayer(target)
    layers = layer_count()
    dock.output_mode.setCurrentIndex(OUTPUT_LAYER)
    dock.output_layer_combo.setLayer(target)

    segment_at(plugin, raster_centre(raster))
    preview, expected = controller.state["preview"], exact_geometry(controller)
    dock.accept_action.trigger()

    assert target.featureCount() == 2 and layer_count() == layers and controller.output_layer is None
    by_id = {f["id"]: f for f in target.getFeatures()}
    assert set(by_id) == {7, 8}  # the new id follows the layer's largest
    assert by_id[7].attributes() == [7, 0.25, "keep me"]
    assert by_id[7].geometry().asWkt() == old.geometry().asWkt()
    new = by_id[8]
    assert new["score"] == pytest.approx(preview["score"])
    assert new["note"] == NULL
    expected.transform(QgsCoordinateTransform(raster.crs(), target.crs(), QgsProject.instance()))
    got = new.geometry()
    box = got.boundingBox()
    assert -180 < box.xMinimum() < box.xMaximum() < 180 and -90 < box.yMinimum() < box.yMaximum() < 90
    assert got.symDifference(expected).area() < 1e-6 * expected.area()
    assert got.area() == pytest.approx(expected.area(), rel=1e-9)


def test_accept_into_a_geopackage_creates_it_once_then_appends(ready, tmp_path):
    plugin, raster = ready
    dock, centre = plugin.dock, raster_centre(raster)
    path = tmp_path / "objects.gpkg"
    dock.output_mode.setCurrentIndex(OUTPUT_GPKG)
    dock.output_file_widget.setFilePath(str(path))
    layers = layer_count()

    segment_at(plugin, centre)
    dock.accept_action.trigger()
    assert path.is_file() and not (tmp_path / "objects.gpkg.tmp.gpkg").exists()
    segment_at(plugin, offset(centre, -5000, 3000))
    dock.accept_action.trigger()

    in_project = [lyr for lyr in QgsProject.instance().mapLayers().values() if str(path) in lyr.source()]
    assert len(in_project) == 1 and layer_count() == layers + 1
    assert in_project[0].featureCount() == 2 and ids(in_project[0]) == [1, 2]
    on_disk = QgsVectorLayer(f"{path}|layername=objects", "check", "ogr")
    assert on_disk.isValid() and on_disk.featureCount() == 2 and ids(on_disk) == [1, 2]
    assert on_disk.crs() == raster.crs()
    assert plugin.controller.output_layer is None
    assert stored_styles(path) == ["objects"]  # opens in QGIS with TerraSAM's style, not a random fill
    assert_object_style(on_disk)
    assert "stability" not in on_disk.fields().names()  # the prompted objects' own fields


def test_accept_into_the_memory_layer_reuses_it_until_it_is_removed(ready):
    plugin, raster = ready
    controller, dock, centre = plugin.controller, plugin.dock, raster_centre(raster)
    assert dock.output_mode.currentIndex() == OUTPUT_MEMORY
    layers = layer_count()
    segment_at(plugin, centre)
    dock.accept_action.trigger()
    first = controller.output_layer
    segment_at(plugin, offset(centre, 5000, -2000))
    dock.accept_action.trigger()
    assert controller.output_layer is first and layer_count() == layers + 1
    assert first.featureCount() == 2 and ids(first) == [1, 2]

    QgsProject.instance().removeMapLayer(first.id())  # the user deletes the layer: the next Accept makes one
    segment_at(plugin, centre)
    dock.accept_action.trigger()
    second = controller.output_layer
    assert second is not None and second.isValid() and second.featureCount() == 1 and ids(second) == [1]
    assert layer_count() == layers + 1


# -- 5. errors ------------------------------------------------------------------------------------------------


def test_click_outside_the_raster_says_so_and_changes_nothing(ready, qgis_iface):
    plugin, raster = ready
    controller = plugin.controller
    segment_at(plugin, raster_centre(raster))
    before = controller.state
    messages = Messages(qgis_iface)
    outside = QgsPointXY(raster.extent().xMinimum() - 5000, raster.extent().center().y())
    click(plugin, outside)
    assert not controller.tasks
    assert len(messages.new()) == 1 and "outside the raster" in messages.new()[0]
    assert controller.state == before

    plugin.dock.clear_action.trigger()
    click(plugin, outside)  # on an empty session too: no preview, no task
    assert len(messages.new()) == 2 and "outside the raster" in messages.new()[1]
    assert is_empty(controller) and controller.state["preview"] is None and not controller.tasks


def test_click_and_accept_without_a_checkpoint_ask_for_one(opened, qgis_iface, rgb_tif):
    layer = add_raster(rgb_tif, qgis_iface.mapCanvas())
    opened.dock.layer_combo.setLayer(layer)
    controller, messages = opened.controller, Messages(qgis_iface)
    assert opened.dock.checkpoint_widget.filePath() == "" and controller.model is None
    click(opened, raster_centre(layer))
    assert not controller.tasks and controller.state is None
    assert len(messages.new()) == 1 and "checkpoint" in messages.new()[0].lower()
    layers = layer_count()
    opened.dock.accept_action.trigger()
    assert len(messages.new()) == 2 and "checkpoint" in messages.new()[1].lower()
    assert layer_count() == layers and controller.output_layer is None


def test_accept_with_nothing_to_accept_says_so_and_adds_no_layer(ready, qgis_iface, tmp_path):
    plugin, _ = ready
    messages, layers = Messages(qgis_iface), layer_count()
    plugin.dock.accept_action.trigger()
    assert len(messages.new()) == 1 and "nothing to accept" in messages.new()[0].lower()
    assert layer_count() == layers and plugin.controller.output_layer is None
    plugin.dock.output_mode.setCurrentIndex(OUTPUT_GPKG)
    plugin.dock.output_file_widget.setFilePath(str(tmp_path / "never.gpkg"))
    plugin.dock.accept_action.trigger()
    assert len(messages.new()) == 2 and "nothing to accept" in messages.new()[1].lower()
    assert not (tmp_path / "never.gpkg").exists() and layer_count() == layers


def test_layers_that_are_not_local_files_are_refused_in_plain_words(opened, qgis_iface, rgb_tif):
    from osgeo import gdal

    xyz = QgsRasterLayer(
        "type=xyz&url=https://tile.openstreetmap.org/{z}/{x}/{y}.png&zmin=0&zmax=19", "OpenStreetMap", "wms"
    )
    gdal.Translate("/vsimem/terrasam_test.tif", str(rgb_tif))
    try:
        in_memory = QgsRasterLayer("/vsimem/terrasam_test.tif", "in memory", "gdal")
        assert xyz.isValid() and in_memory.isValid() and in_memory.providerType() == "gdal"
        QgsProject.instance().addMapLayers([xyz, in_memory])
        controller, messages = opened.controller, Messages(qgis_iface)
        for layer in (xyz, in_memory):
            opened.dock.layer_combo.setLayer(layer)
            assert controller.layer is layer and controller.bands is None and controller.state is None
            assert "not a local file" in messages.new()[-1]
            assert "not a local file" in opened.dock.status_label.text()
        assert len(messages.new()) == 2
        click(opened, QgsPointXY(0, 0))  # and clicking on it then asks for what is missing, without a crash
        assert len(messages.new()) == 3 and not controller.tasks
    finally:
        gdal.Unlink("/vsimem/terrasam_test.tif")


# -- 6. encode view -------------------------------------------------------------------------------------------


def test_encode_view_encodes_exactly_the_tiles_in_view_then_clicks_are_instant(
    opened, qgis_iface, big_tif, tiny_checkpoint
):
    canvas = qgis_iface.mapCanvas()
    layer = add_raster(big_tif, canvas)
    opened.dock.layer_combo.setLayer(layer)
    load_model(opened, tiny_checkpoint)
    controller = opened.controller
    x0, y0 = layer.extent().xMinimum(), layer.extent().yMaximum()
    # a 600-pixel square around raster pixel (1050, 1050); the canvas widens it to its own shape
    canvas.setExtent(QgsRectangle(x0 + 750 * 30, y0 - 1350 * 30, x0 + 1350 * 30, y0 - 750 * 30))
    extent = canvas.extent()
    expected = controller.engine.call(
        "tiles_for_extent", {"extent": controller._canvas_extent(), "crs": controller._canvas_crs()}
    )

    def span(start, end):  # tiles start every 768 pixels, are 1024 wide, and the raster is 2500 wide
        return {i for i in range(3) if i * 768 < min(end, 2500) and i * 768 + 1024 > max(start, 0)}

    cols = span((extent.xMinimum() - x0) / 30, (extent.xMaximum() - x0) / 30)
    rows = span((y0 - extent.yMaximum()) / 30, (y0 - extent.yMinimum()) / 30)
    assert {(t["col"], t["row"]) for t in expected} == {(c, r) for c in cols for r in rows}
    assert 1 < len(expected) < 9

    opened.dock.encode_view_action.trigger()
    assert len(controller.tasks) == 1 and len(controller.tasks[0].tiles) == len(expected)
    wait_for_tasks(controller)
    assert controller.ready == {controller._key(t) for t in expected}
    assert "Encoded" in opened.dock.status_label.text()

    click(opened, extent.center())
    assert not controller.tasks and QgsApplication.taskManager().countActiveTasks() == 0
    assert controller.state["preview"] and controller.preview_band.numberOfVertices() > 0
    assert controller.state["preview"]["tile"] in expected

    opened.dock.encode_view_action.trigger()
    assert not controller.tasks and "already encoded" in opened.dock.status_label.text()


# -- 7. settings ----------------------------------------------------------------------------------------------


def test_checkpoint_and_device_are_stored_and_restored(
    terrasam, qgis_iface, qgis_new_project, monkeypatch, tmp_path, tiny_checkpoint
):
    # pytest-qgis points QGIS at a throw-away profile: the user's own settings are never touched
    assert QgsSettings().fileName().startswith(os.environ["QGIS_CUSTOM_CONFIG_PATH"])
    outside = QgsSettings().value("TerraSAM/checkpoint")
    with isolated_settings(tmp_path) as settings:
        with open_dock(terrasam, qgis_iface, monkeypatch, tmp_path, isolate=False) as plugin:
            assert plugin.dock.device_combo.currentText() == "auto"
            assert plugin.dock.precision_combo.currentText() == "auto"
            plugin.dock.device_combo.setCurrentText("cpu")
            plugin.dock.precision_combo.setCurrentText("int8")
            load_model(plugin, tiny_checkpoint)
            assert settings.value("TerraSAM/device") == "cpu"
            assert settings.value("TerraSAM/precision") == "int8"
            assert settings.value("TerraSAM/checkpoint") == str(tiny_checkpoint)
        with open_dock(terrasam, qgis_iface, monkeypatch, tmp_path, isolate=False) as plugin:
            assert plugin.dock.device_combo.currentText() == "cpu"
            assert plugin.dock.precision_combo.currentText() == "int8"
            assert plugin.dock.checkpoint_widget.filePath() == str(tiny_checkpoint)
            wait_for_tasks(plugin.controller)
            model = plugin.controller.model
            assert model is not None and model["device"] == "cpu" and model["precision"] == "int8"
            # the model line says what runs it: "…, 0.4 M parameters — cpu: 2 threads, int8 (AVX-512 VNNI) — …"
            assert "M parameters" in plugin.dock.model_label.text()
            assert "cpu: " in plugin.dock.model_label.text() and "int8" in plugin.dock.model_label.text()
    assert QgsSettings().value("TerraSAM/checkpoint") == outside  # the test's values are gone again


def test_the_latest_device_choice_wins(opened, qgis_iface, tiny_checkpoint):
    """Two loads in flight (checkpoint chosen, then the device changed): the older one must not win."""
    dock, controller, messages = opened.dock, opened.controller, Messages(qgis_iface)
    dock.device_combo.setCurrentText("cpu")
    dock.checkpoint_widget.setFilePath(str(tiny_checkpoint))
    dock.device_combo.setCurrentText("cuda")
    assert len(controller.tasks) == 2  # both loads are in flight; either may finish first
    wait_for_tasks(controller)
    import torch

    if torch.cuda.is_available():
        assert controller.model is not None and controller.model["device"].startswith("cuda")
    else:
        assert controller.model is None and controller.state is None
        assert dock.model_label.text() == "No model loaded"
        assert messages.new() and "cuda" in messages.new()[-1].lower()


# -- 8. shortcuts ---------------------------------------------------------------------------------------------


def test_the_five_prompt_actions_have_distinct_free_shortcuts(opened, qgis_iface):
    dock = opened.dock
    mine = [dock.point_action, dock.box_action, dock.undo_action, dock.clear_action, dock.accept_action]
    keys = [action.shortcut().toString() for action in mine]
    assert all(keys) and len(set(keys)) == 5
    others = {
        action.shortcut().toString()
        for action in qgis_iface.mainWindow().findChildren(QAction)
        if action not in mine and not action.shortcut().isEmpty()
    }
    assert not others & set(keys)
    for action, key in zip(mine, keys):
        assert key in action.toolTip()  # the tooltip tells the user the shortcut


# -- 9. unload ------------------------------------------------------------------------------------------------


def test_unload_during_encoding_leaves_nothing_behind(
    terrasam, qgis_iface, qgis_new_project, monkeypatch, tmp_path, rgb_tif, tiny_checkpoint
):
    canvas = qgis_iface.mapCanvas()

    def rubber_bands():
        return [item for item in canvas.scene().items() if isinstance(item, QgsRubberBand)]

    before = len(rubber_bands())
    with open_dock(terrasam, qgis_iface, monkeypatch, tmp_path) as plugin:
        controller, dock = plugin.controller, plugin.dock
        ours = [controller.preview_band, controller.fg_band, controller.bg_band, controller.box_tool._band]
        assert all(band.scene() is canvas.scene() for band in ours)
        assert len(rubber_bands()) == before + 4
        layer = add_raster(rgb_tif, canvas)
        plugin.dock.layer_combo.setLayer(layer)
        load_model(plugin, tiny_checkpoint)
        with engine_held_at(controller, "encode"):  # keep the encoding task running while the plugin unloads
            click(plugin, raster_centre(layer))
            task = controller.tasks[0]
            wait_until(lambda: task.status() == QgsTask.Running, timeout=30)
            assert canvas.mapTool() is controller.point_tool
            tool_types = (type(controller.point_tool), type(controller.box_tool))
            plugin.unload()
            flush_deletes()  # the dock, and the controller with it, are gone now
            assert sip.isdeleted(dock) and sip.isdeleted(controller)
        wait_until(lambda: QgsApplication.taskManager().countActiveTasks() == 0, timeout=60)
        flush_deletes()
        assert task not in QgsApplication.taskManager().tasks()
        assert plugin.dock is None and plugin.controller is None and plugin.action is None
        assert len(rubber_bands()) == before
        assert not any(band.scene() for band in ours)
        assert not isinstance(canvas.mapTool(), tool_types)
    # open_dock's teardown fails the test if the finished task called back into the deleted dock
