"""Map view and the class of accepted objects, from the dock in real QGIS with the real engine: a styled class
GeoTIFF on the raster's grid for the canvas extent, the area (and road length) per class, cancel adds nothing
and leaves no file, a missing head or one of another encoder is said in plain words, and Accept with a
segmentation head loaded fills the class fields (without one the objects layer keeps its schema).

The head is a random (seeded) head for the tiny model's features: the classes it picks mean nothing, but the
grid, the styling, the areas and the fields are the real ones. What a trained head maps is tested in the core.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from qgis.core import NULL, QgsPalettedRasterRenderer, QgsPointXY, QgsProject, QgsRectangle, QgsTask
from semantic_data import CLASSES, generate_scene
from ui_helpers import (
    Messages,
    add_raster,
    engine_held_at,
    load_model,
    raster_centre,
    release,
    wait_for_tasks,
    wait_until,
)

from sam_core.schema import LABEL_FIELDS

COLOURS = ("#228b22", "#808080", "#b22222", "#1e90ff")
PIXEL_M, ORIGIN = 2.0, (400_000.0, 5_500_000.0)  # UTM 33N, 2 m pixels
SIZE = 256


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny SAM at 128 px: the head's patches are 128 raster pixels, a 256 px raster is a few tiles."""
    from sam_core.sam.random_weights import save_random_checkpoint, tiny_config

    path = tmp_path_factory.mktemp("map_view") / "tiny_128.pth"
    save_random_checkpoint(path, tiny_config(img_size=128), seed=0)
    return path


def write_head(path, checkpoint, seed: int = 0):
    import torch

    from sam_core.sam.model import load_model as load_sam
    from sam_core.semantic.head_file import new_segmentation_head, save_segmentation_head

    torch.manual_seed(seed)
    head = new_segmentation_head(load_sam(checkpoint, "cpu"), "sam-conv", CLASSES, COLOURS, skip=True)
    return save_segmentation_head(head, path)


@pytest.fixture(scope="module")
def head_file(tmp_path_factory, checkpoint):
    return write_head(tmp_path_factory.mktemp("head") / "segmenter.pt", checkpoint)


def write_scene(folder):
    """A generated scene (vegetation, a road, buildings, water): an 8-bit RGB GeoTIFF alone in ``folder``."""
    import rasterio
    from affine import Affine

    folder.mkdir()
    rgb = generate_scene(SIZE, np.random.default_rng(3))[0]
    path = folder / "scene.tif"
    transform = Affine(PIXEL_M, 0.0, ORIGIN[0], 0.0, -PIXEL_M, ORIGIN[1])
    profile = {"driver": "GTiff", "width": SIZE, "height": SIZE, "count": 3, "dtype": "uint8"}
    with rasterio.open(path, "w", crs="EPSG:32633", transform=transform, **profile) as ds:
        ds.write(rgb.transpose(2, 0, 1))
    return path


@pytest.fixture
def mapping(opened, qgis_iface, checkpoint, head_file, tmp_path):
    """The dock over the scene (canvas in its CRS), the 128 px model and the segmentation head loaded."""
    raster = add_raster(write_scene(tmp_path / "rasters"), qgis_iface.mapCanvas())
    opened.dock.layer_combo.setLayer(raster)
    load_model(opened, checkpoint)
    opened.dock.segmentation_head_widget.setFilePath(str(head_file))
    assert opened.controller.segmentation_head is not None, opened.dock.status_label.text()
    return opened, raster


def class_layers():
    return [lyr for lyr in QgsProject.instance().mapLayers().values() if "TerraSAM classes" in lyr.name()]


def raster_folder(raster) -> Path:
    return Path(raster.source()).parent


def map_view(plugin):
    plugin.dock.map_action.trigger()
    tasks = [t for t in plugin.controller.tasks if type(t).__name__ == "MapTask"]
    assert len(tasks) == 1, plugin.dock.status_label.text()
    return tasks[0]


def test_map_view_adds_a_styled_class_raster_on_the_rasters_grid_for_the_view(mapping, qgis_iface):
    plugin, raster = mapping
    dock, canvas, messages = plugin.dock, qgis_iface.mapCanvas(), Messages(qgis_iface)
    x0, y1 = ORIGIN
    canvas.setExtent(QgsRectangle(x0 + 201.3, y1 - 301.7, x0 + 301.9, y1 - 203.1))  # inside the raster
    view = canvas.extent()
    task = map_view(plugin)
    assert dock.progress_bar.isVisibleTo(dock) and not dock.map_action.isEnabled()
    wait_for_tasks(plugin.controller)
    assert task.error is None and messages.new() == []

    [layer] = class_layers()
    assert layer.source() == str(raster.source()).replace("scene.tif", "scene_classes.tif")
    assert isinstance(layer.renderer(), QgsPalettedRasterRenderer)  # the .qml beside it: styled at once
    colours = {c.label: c.color.name() for c in layer.renderer().classes()}
    assert colours == dict(zip(CLASSES, COLOURS))
    # the raster's grid (CRS, pixel size, whole pixels) over the canvas extent, clipped to the raster
    c0, c1 = math.floor((view.xMinimum() - x0) / PIXEL_M), math.ceil((view.xMaximum() - x0) / PIXEL_M)
    r0, r1 = math.floor((y1 - view.yMaximum()) / PIXEL_M), math.ceil((y1 - view.yMinimum()) / PIXEL_M)
    c0, r0, c1, r1 = max(0, c0), max(0, r0), min(SIZE, c1), min(SIZE, r1)
    assert layer.crs() == raster.crs() and (layer.width(), layer.height()) == (c1 - c0, r1 - r0)
    assert layer.rasterUnitsPerPixelX() == layer.rasterUnitsPerPixelY() == PIXEL_M
    expected = QgsRectangle(x0 + c0 * PIXEL_M, y1 - r1 * PIXEL_M, x0 + c1 * PIXEL_M, y1 - r0 * PIXEL_M)
    assert layer.extent() == expected and 0 < layer.width() < SIZE

    # the area per class in the table (the exact m² with each row), road length in its own column
    found = {row["class"]: row for row in task.result["classes"] if row["area_m2"] > 0}
    table = dock.area_table
    assert table.isVisibleTo(dock) and table.rowCount() == len(found) >= 2
    shown = {table.item(i, 0).text(): table.item(i, 1).data(256) for i in range(table.rowCount())}
    assert shown == {name: row["area_m2"] for name, row in found.items()}
    assert sum(shown.values()) == pytest.approx(layer.width() * layer.height() * PIXEL_M**2, rel=1e-3)
    lengths = {table.item(i, 0).text(): table.item(i, 3).data(256) for i in range(table.rowCount())}
    assert all((lengths[name] is None) == (name != "road") for name in lengths)
    assert table.isColumnHidden(3) == ("road" not in found)
    assert dock.map_action.isEnabled() and not dock.progress_bar.isVisibleTo(dock)
    assert "scene_classes.tif" in dock.status_label.text()

    second = map_view(plugin)  # a second map never replaces the first, which is still open
    wait_for_tasks(plugin.controller)
    assert second.result["out"].endswith("scene_classes_2.tif") and len(class_layers()) == 2


def test_cancel_adds_no_layer_and_leaves_no_file(mapping, qgis_iface):
    plugin, raster = mapping
    dock, messages, layers = plugin.dock, Messages(qgis_iface), len(QgsProject.instance().mapLayers())
    folder = raster_folder(raster)
    with engine_held_at(plugin.controller, "map_classes"):
        task = map_view(plugin)
        wait_until(lambda: task.status() == QgsTask.Running, timeout=30)
        dock.cancel_button.click()
    wait_for_tasks(plugin.controller)
    assert task.result is None and task.error is None and messages.new() == []
    assert len(QgsProject.instance().mapLayers()) == layers and class_layers() == []
    assert sorted(p.name for p in folder.iterdir()) == ["scene.tif"]
    assert "cancelled" in dock.status_label.text().lower() and dock.map_action.isEnabled()


def test_without_a_head_map_view_says_what_is_missing_and_another_encoders_head_is_refused(
    mapping, qgis_iface, tmp_path
):
    from sam_core.sam.random_weights import save_random_checkpoint, tiny_config

    plugin, raster = mapping
    dock, messages = plugin.dock, Messages(qgis_iface)
    dock.segmentation_head_widget.setFilePath("")
    assert plugin.controller.segmentation_head is None and not dock.segmentation_head_label.isVisibleTo(dock)
    dock.map_action.trigger()
    assert not plugin.controller.tasks and "segmentation head" in messages.new()[-1].lower()

    other = tmp_path / "other.pth"
    save_random_checkpoint(other, tiny_config(img_size=128), seed=7)
    dock.segmentation_head_widget.setFilePath(str(write_head(tmp_path / "other.pt", other)))
    assert plugin.controller.segmentation_head is None and "trained with" in messages.new()[-1]
    map_view(plugin)
    wait_for_tasks(plugin.controller)
    assert len(messages.new()) == 3 and "trained with" in messages.new()[-1]
    assert class_layers() == [] and sorted(p.name for p in raster_folder(raster).iterdir()) == ["scene.tif"]


def accept_at(plugin, point):
    controller = plugin.controller
    if controller.canvas.mapTool() is not controller.point_tool:
        plugin.dock.point_action.trigger()
    release(controller.point_tool, controller.canvas, point)
    wait_for_tasks(controller)
    assert controller.state["preview"], plugin.dock.status_label.text()
    plugin.dock.accept_action.trigger()
    wait_for_tasks(controller)


def test_accept_with_a_segmentation_head_fills_the_class_fields(mapping, qgis_iface, head_file):
    plugin, raster = mapping
    dock, controller, messages = plugin.dock, plugin.controller, Messages(qgis_iface)
    centre = raster_centre(raster)
    dock.segmentation_head_widget.setFilePath("")
    accept_at(plugin, centre)  # no head: the objects layer keeps its schema
    layer = controller.output_layer
    assert not set(LABEL_FIELDS) & set(layer.fields().names()) and layer.featureCount() == 1

    dock.segmentation_head_widget.setFilePath(str(head_file))
    assert controller.segmentation_head["classes"] == list(CLASSES)
    shown = dock.segmentation_head_label
    assert shown.isVisibleTo(dock) and shown.text() == "4 classes: vegetation, road, building, water"
    accept_at(plugin, QgsPointXY(centre.x() - 120, centre.y() + 90))
    assert controller.output_layer is layer and layer.featureCount() == 2 and messages.new() == []
    assert set(LABEL_FIELDS) <= set(layer.fields().names())  # the class fields appear with the head
    first, second = sorted(layer.getFeatures(), key=lambda f: f["id"])
    assert first["class"] == NULL and first["class_probability"] == NULL
    assert second["id"] == 2 and second["class"] in CLASSES and second["runner_up"] in CLASSES
    assert second["class"] != second["runner_up"]
    assert 0 < second["class_probability"] <= 1 and 0 <= second["runner_up_probability"] <= 1
    assert f"({second['class']})" in dock.status_label.text()


def test_a_geopackage_written_without_a_head_gets_the_class_fields_with_one(mapping, tmp_path, head_file):
    from qgis.core import QgsVectorLayer

    plugin, raster = mapping
    dock, path, centre = plugin.dock, tmp_path / "objects.gpkg", raster_centre(raster)
    dock.output_mode.setCurrentIndex(2)  # GeoPackage file
    dock.output_file_widget.setFilePath(str(path))
    dock.segmentation_head_widget.setFilePath("")
    accept_at(plugin, centre)
    assert not set(LABEL_FIELDS) & set(QgsVectorLayer(str(path), "check", "ogr").fields().names())

    dock.segmentation_head_widget.setFilePath(str(head_file))
    accept_at(plugin, QgsPointXY(centre.x() - 120, centre.y() + 90))
    on_disk = QgsVectorLayer(f"{path}|layername=objects", "check", "ogr")
    assert set(LABEL_FIELDS) <= set(on_disk.fields().names()) and on_disk.featureCount() == 2
    first, second = sorted(on_disk.getFeatures(), key=lambda f: f["id"])
    assert first["class"] == NULL and second["class"] in CLASSES and 0 < second["class_probability"] <= 1
