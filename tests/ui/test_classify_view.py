"""Classify view from the dock in real QGIS: a styled land-cover layer with one fixed colour per class, the
area table, geodesic areas that agree with QgsDistanceArea, cancel adds nothing, and a head from another
encoder is refused in plain words.

The heads are random (seeded) heads for the tiny model's features: the classes they pick mean nothing, but
the grid, the areas, the styling and the table are the real ones. Training is tested in the core.
"""

from __future__ import annotations

import pytest
import torch
from qgis.core import QgsCategorizedSymbolRenderer, QgsDistanceArea, QgsProject, QgsTask
from ui_helpers import Messages, engine_held_at, wait_for_tasks, wait_until

CLASSES = ("Forest", "River", "Residential", "AnnualCrop")


def write_head(path, checkpoint, gsd: float, seed: int = 0):
    """A random head for ``checkpoint``'s encoder, trained (nominally) at ``gsd`` metres per pixel."""
    from sam_core.landcover.head import new_head
    from sam_core.sam.model import load_model as load_sam

    torch.manual_seed(seed)
    new_head(load_sam(checkpoint, "cpu"), CLASSES, input_gsd_m=gsd).save(path)
    return path


@pytest.fixture
def ready(ready, tiny_checkpoint, tmp_path):
    """The shared ready dock (tests/ui/conftest.py: RGB.byte.tif, 300 m pixels, in view and the tiny model
    loaded) with a head at the raster's resolution."""
    opened, layer = ready
    opened.dock.head_widget.setFilePath(str(write_head(tmp_path / "head.pth", tiny_checkpoint, 300.0)))
    return opened, layer


def land_cover_layers():
    return [lyr for lyr in QgsProject.instance().mapLayers().values() if "land cover" in lyr.name()]


def classify(plugin):
    plugin.dock.classify_action.trigger()
    tasks = [t for t in plugin.controller.tasks if type(t).__name__ == "ClassifyTask"]
    assert len(tasks) == 1, plugin.dock.status_label.text()
    return tasks[0]


def test_classify_view_adds_a_styled_layer_and_the_area_table(ready, qgis_iface):
    plugin, raster = ready
    dock, messages = plugin.dock, Messages(qgis_iface)
    task = classify(plugin)
    assert dock.progress_bar.isVisibleTo(dock) and not dock.classify_action.isEnabled()
    wait_for_tasks(plugin.controller)
    assert task.error is None and messages.new() == []

    [layer] = land_cover_layers()
    assert layer.crs() == raster.crs() and layer.featureCount() == len(task.result["features"]) > 50
    assert {"class", "probability", "area_m2", "colour"} <= set(layer.fields().names())
    renderer = layer.renderer()
    assert isinstance(renderer, QgsCategorizedSymbolRenderer) and renderer.classAttribute() == "class"
    colours = {c.value(): c.symbol().color().name() for c in renderer.categories()}
    assert colours == {row["class"]: row["colour"] for row in task.result["classes"]}
    assert set(colours) == set(CLASSES) and len(set(colours.values())) == len(CLASSES)
    for feature in layer.getFeatures():
        assert feature["colour"] == colours[feature["class"]] and 0 < feature["probability"] <= 1

    # geodesic areas from the core agree with QGIS's ellipsoidal measure, and the table sums them up
    area = QgsDistanceArea()
    area.setSourceCrs(layer.crs(), QgsProject.instance().transformContext())
    area.setEllipsoid(layer.crs().ellipsoidAcronym() or "EPSG:7030")
    for feature in list(layer.getFeatures())[:20]:
        assert feature["area_m2"] == pytest.approx(area.measureArea(feature.geometry()), rel=1e-3)
    table = dock.area_table
    found = {row["class"]: row for row in task.result["classes"] if row["area_m2"] > 0}
    assert table.isVisibleTo(dock) and table.rowCount() == len(found)
    from terrasam.sam_core.units import format_area

    # the exact m² stay with each row (Qt.UserRole = 256); the text is for people ("17,675.00 km²")
    shown = {table.item(i, 0).text(): table.item(i, 1).data(256) for i in range(table.rowCount())}
    total_m2 = sum(f["area_m2"] for f in layer.getFeatures())
    assert sum(shown.values()) == pytest.approx(total_m2, rel=1e-3)
    assert all(shown[name] == row["area_m2"] for name, row in found.items())
    texts = {table.item(i, 0).text(): table.item(i, 1).text() for i in range(table.rowCount())}
    assert texts == {name: format_area(row["area_m2"]) for name, row in found.items()}
    assert dock.classify_action.isEnabled() and not dock.progress_bar.isVisibleTo(dock)
    assert "cells classified" in dock.status_label.text()


def test_dissolved_classes_are_one_feature_per_class_with_the_same_total(ready):
    plugin, _ = ready
    first = classify(plugin)
    wait_for_tasks(plugin.controller)
    plugin.dock.dissolve_box.setChecked(True)
    second = classify(plugin)
    wait_for_tasks(plugin.controller)
    classes, cells = sorted(land_cover_layers(), key=lambda lyr: lyr.featureCount())
    assert "cells" in classes.fields().names() and "cells" not in cells.fields().names()
    names = [f["class"] for f in classes.getFeatures()]
    assert len(names) == len(set(names)) == len({f["class"] for f in cells.getFeatures()})
    assert sum(f["area_m2"] for f in classes.getFeatures()) == pytest.approx(
        sum(f["area_m2"] for f in cells.getFeatures()), rel=1e-9
    )
    assert first.result["summary"]["cells"] == second.result["summary"]["cells"]


def test_cancel_adds_no_layer(ready, qgis_iface):
    plugin, _ = ready
    dock, messages, layers = plugin.dock, Messages(qgis_iface), len(QgsProject.instance().mapLayers())
    with engine_held_at(plugin.controller, "classify"):
        task = classify(plugin)
        wait_until(lambda: task.status() == QgsTask.Running, timeout=30)
        dock.cancel_button.click()
    wait_for_tasks(plugin.controller)
    assert task.result is None and task.error is None and messages.new() == []
    assert len(QgsProject.instance().mapLayers()) == layers and land_cover_layers() == []
    assert "cancelled" in dock.status_label.text().lower() and dock.classify_action.isEnabled()


def test_a_head_from_another_encoder_or_none_at_all_is_refused_in_plain_words(ready, qgis_iface, tmp_path):
    from sam_core.sam.random_weights import save_random_checkpoint, tiny_config

    plugin, _ = ready
    messages = Messages(qgis_iface)
    plugin.dock.head_widget.setFilePath("")
    plugin.dock.classify_action.trigger()
    assert not plugin.controller.tasks and "head" in messages.new()[-1].lower()

    other = tmp_path / "other.pth"
    save_random_checkpoint(other, tiny_config(), seed=7)
    plugin.dock.head_widget.setFilePath(str(write_head(tmp_path / "other_head.pth", other, 300.0)))
    classify(plugin)
    wait_for_tasks(plugin.controller)
    assert len(messages.new()) == 2 and "encoder" in messages.new()[-1].lower()
    assert land_cover_layers() == [] and plugin.dock.classify_action.isEnabled()
