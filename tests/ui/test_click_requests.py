"""One engine round trip per click: the requests the dock sends are counted on the real engine client.

The client's ``call`` is wrapped, not replaced (as ``ui_helpers.engine_held_at`` does): every request still
goes to the real engine process, which answers it.
"""

from __future__ import annotations

from contextlib import contextmanager

from qgis.core import QgsPointXY, QgsRectangle
from ui_helpers import add_raster, load_model, raster_centre, release, wait_for_tasks


@contextmanager
def recorded_requests(controller):
    """The methods of the engine requests sent inside the block (from the UI thread and from tasks)."""
    engine = controller.engine
    real_call = engine.call
    sent: list[str] = []

    def call(method, *args, **kwargs):
        sent.append(method)
        return real_call(method, *args, **kwargs)

    engine.call = call
    try:
        yield sent
    finally:
        del engine.call


def test_a_click_on_a_new_tile_is_one_request_one_encode_one_request_then_one_per_click(
    opened, qgis_iface, rgb_tif, tiny_checkpoint
):
    canvas = qgis_iface.mapCanvas()
    layer = add_raster(rgb_tif, canvas)
    opened.dock.layer_combo.setLayer(layer)
    load_model(opened, tiny_checkpoint)
    controller = opened.controller
    centre = raster_centre(layer)

    with recorded_requests(controller) as sent:
        release(controller.point_tool, canvas, centre)
        wait_for_tasks(controller)
    assert sent == ["add_point", "encode", "add_point"]
    assert controller.state["preview"] and controller.preview_band.numberOfVertices() > 0

    with recorded_requests(controller) as sent:  # the tile is encoded: one request, no task
        release(controller.point_tool, canvas, QgsPointXY(centre.x() + 3000, centre.y()))
        assert not controller.tasks
    assert sent == ["add_point"] and len(controller.state["points"]) == 2

    with recorded_requests(controller) as sent:  # a box goes the same way
        controller.add_box(
            QgsRectangle(centre.x() - 5000, centre.y() - 5000, centre.x() + 5000, centre.y() + 5000)
        )
        assert not controller.tasks
    assert sent == ["set_box"] and controller.state["box"] is not None
    assert controller.ready == {(layer.source(), controller.bands, 0, 0)}  # the engine says so
