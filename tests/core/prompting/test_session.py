"""The prompt session's rules (undo, clear, accept, rollback) and the preview's level of detail, without Qt."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer

from sam_core.errors import SamCoreError
from sam_core.geo.raster import RasterSource
from sam_core.prompting.segment import Segmenter
from sam_core.prompting.session import PromptSession
from sam_core.sam.model import load_model


@pytest.fixture
def session(rgb_tif, tiny_checkpoint):
    with RasterSource(rgb_tif) as source:
        yield PromptSession(Segmenter(source, load_model(tiny_checkpoint, "cpu")))


def centre(session) -> tuple[float, float]:
    xmin, ymin, xmax, ymax = session.segmenter.source.info()["bounds"]
    return (xmin + xmax) / 2, (ymin + ymax) / 2


def test_points_box_undo_clear(session):
    x, y = centre(session)
    assert session.add_point(x, y, 1).prompt_type == "point"
    assert session.add_point(x + 3000, y, 0).n_bg == 1
    assert session.set_box(x + 9000, y + 9000, x - 9000, y - 9000).prompt_type == "point+box"
    assert session.box == (x - 9000, y - 9000, x + 9000, y + 9000)  # normalised
    session.set_box(x - 5000, y - 5000, x + 5000, y + 5000)  # replaces the box: still one box
    assert session.undo().prompt_type == "point"  # the box goes; the replaced one is not restored
    assert session.box is None and len(session.points) == 2
    session.undo()
    assert [p.label for p in session.points] == [1]
    assert session.undo() is None and session.is_empty and session.preview is None
    assert session.undo() is None  # nothing left: harmless
    session.add_point(x, y, 1)
    session.clear()
    assert session.is_empty and session.preview is None


def test_a_bad_prompt_changes_nothing(session):
    x, y = centre(session)
    first = session.add_point(x, y, 1)
    with pytest.raises(SamCoreError, match="outside the raster"):
        session.add_point(x + 1e7, y, 1)
    assert len(session.points) == 1 and session.preview is first
    session.undo()
    assert session.is_empty  # the failed point left no history entry


def test_accept_returns_the_record_and_starts_afresh(session):
    with pytest.raises(SamCoreError, match="nothing to accept"):
        session.accept(1, "RGB.byte")
    x, y = centre(session)
    preview = session.add_point(x, y, 1)
    record = session.accept(7, "RGB.byte")
    assert record["id"] == 7 and record["raster"] == "RGB.byte" and record["created"].endswith("+00:00")
    assert record["area_m2"] == preview.area_m2 > 0
    assert record["geometry"].equals(preview.geometry)
    assert session.is_empty


def test_prompts_in_the_canvas_crs(rgb_tif, tiny_checkpoint):
    with RasterSource(rgb_tif) as source:
        session = PromptSession(Segmenter(source, load_model(tiny_checkpoint, "cpu")), crs=CRS(3857))
        x, y = centre(session)
        mx, my = Transformer.from_crs(32618, 3857, always_xy=True).transform(x, y)
        in_utm = PromptSession(session.segmenter)
        assert session.add_point(mx, my, 1).geometry.equals(in_utm.add_point(x, y, 1).geometry)


def test_preview_geometry_is_exact_at_step_1_and_covers_the_mask_when_coarser(session):
    x, y = centre(session)
    result = session.add_point(x, y, 1)
    assert result.preview_geometry(1).equals(result.geometry)
    exact = result.geometry
    for step in (2, 3, 4):
        coarse = result.preview_geometry(step)
        assert coarse.buffer(1e-6).contains(exact)  # a cell is in when any of its pixels is
        assert shapely.get_num_coordinates(coarse) < shapely.get_num_coordinates(exact)
        pixel_area = abs(result.tile.transform.a * result.tile.transform.e)
        cells = np.ceil(result.mask.shape[0] / step)
        assert coarse.area <= cells * cells * step * step * pixel_area
