"""A picture of the dock at work: the dock beside the canvas with one accepted object and a live preview.

Saved to tests/artifacts/dock_and_canvas.png (git-ignored) for people to look at; the test checks that the
picture really shows the raster and the preview band.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import QgsPointXY, QgsRectangle
from qgis.PyQt.QtCore import QSize, Qt
from qgis.PyQt.QtGui import QColor, QImage, QPainter
from ui_helpers import (
    add_raster,
    load_model,
    open_dock,
    raster_centre,
    release,
    wait_for_tasks,
    wait_until,
)

ARTIFACT = Path(__file__).resolve().parents[1] / "artifacts" / "dock_and_canvas.png"
PREVIEW_BLUE = (0, 160, 255)  # the controller's preview band colour


@pytest.fixture
def shown(terrasam, qgis_iface, qgis_new_project, monkeypatch, tmp_path):
    """The dock docked in pytest-qgis's main window, shown offscreen so that the canvas lays out and renders."""
    window, canvas = qgis_iface.mainWindow(), qgis_iface.mapCanvas()
    old_size = canvas.size()
    with open_dock(terrasam, qgis_iface, monkeypatch, tmp_path) as plugin:
        window.addDockWidget(Qt.RightDockWidgetArea, plugin.dock)
        window.resize(420, 700)  # no central widget: the dock takes the width (at least its minimum, 469 px)
        window.show()
        canvas.resize(700, 600)
        canvas.show()
        wait_until(lambda: canvas.mapSettings().outputSize() == canvas.viewport().size(), timeout=10)
        yield plugin
        window.hide()
    canvas.resize(old_size)


def render(canvas) -> QImage:
    """Refresh the canvas and wait for the render job, then grab it (rubber bands included)."""
    done = []
    canvas.mapCanvasRefreshed.connect(lambda: done.append(True))
    canvas.refresh()
    wait_until(lambda: done and not canvas.isDrawing(), timeout=30)
    return canvas.grab().toImage().convertToFormat(QImage.Format_RGB32)


def colours(image: QImage) -> list[tuple[int, int, int]]:
    return [
        QColor(image.pixel(x, y)).getRgb()[:3] for y in range(image.height()) for x in range(image.width())
    ]


def near(rgb, target, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, target))


def test_dock_and_canvas_screenshot(shown, qgis_iface, rgb_tif, tiny_checkpoint):
    plugin, canvas = shown, qgis_iface.mapCanvas()
    controller, dock = plugin.controller, plugin.dock
    layer = add_raster(rgb_tif, canvas)
    centre = raster_centre(layer)
    # zoomed in around the second click: the random-weight model's masks follow its 16-pixel patch grid, which
    # at full extent hides the raster under a fine mesh
    second = QgsPointXY(centre.x() + 20000, centre.y() - 20000)
    canvas.setExtent(
        QgsRectangle(second.x() - 35000, second.y() - 30000, second.x() + 35000, second.y() + 30000)
    )
    raster_only = colours(render(canvas))
    assert len(set(raster_only)) > 50, "the raster did not render"
    assert sum(p == (255, 255, 255) for p in raster_only) < len(raster_only) // 10  # not the empty background

    dock.layer_combo.setLayer(layer)
    load_model(plugin, tiny_checkpoint)
    dock.point_action.trigger()
    release(controller.point_tool, canvas, QgsPointXY(centre.x() - 30000, centre.y() + 25000))
    wait_for_tasks(controller)
    assert controller.state["preview"]
    dock.accept_action.trigger()
    out = controller.output_layer
    assert out is not None and out.featureCount() == 1
    # QGIS gives a new layer a random colour: a fixed, half-transparent orange keeps the picture (and the blue
    # count below) the same from run to run, with the raster showing through
    out.renderer().symbol().setColor(QColor(255, 140, 0))
    out.setOpacity(0.5)
    canvas.setLayers([out, layer])  # pytest-qgis's stub puts new layers at the bottom; QGIS puts them on top
    before = colours(render(canvas))
    assert before != raster_only  # the accepted object is drawn

    release(controller.point_tool, canvas, second)
    wait_for_tasks(controller)
    assert controller.state["preview"] and controller.preview_band.numberOfVertices() > 0
    after = render(canvas)

    dock_image = dock.grab().toImage()
    size = QSize(dock_image.width() + after.width(), max(dock_image.height(), after.height()))
    composed = QImage(size, QImage.Format_RGB32)
    composed.fill(QColor("white"))
    painter = QPainter(composed)
    painter.drawImage(0, 0, dock_image)
    painter.drawImage(dock_image.width(), 0, after)
    painter.end()
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    assert composed.save(str(ARTIFACT), "PNG")

    saved = QImage(str(ARTIFACT))
    assert ARTIFACT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not saved.isNull() and saved.size() == size
    assert after.size() == QSize(700, 600) and dock_image.width() > 200  # the whole canvas widget
    pixels = colours(saved.copy(dock_image.width(), 0, after.width(), after.height()))
    assert len(set(pixels)) > 50
    blue_after = sum(near(p, PREVIEW_BLUE) for p in pixels)
    blue_before = sum(near(p, PREVIEW_BLUE) for p in before)
    assert blue_after > blue_before + 1000, (blue_before, blue_after)  # the preview band's outline
    dock_pixels = colours(saved.copy(0, 0, dock_image.width(), dock_image.height()))
    assert len(set(dock_pixels)) > 5, "the dock did not render"
