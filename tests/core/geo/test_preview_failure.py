"""A preview that fails half-way through its write leaves the old file as it was and no temporary file."""

from __future__ import annotations

import pytest
from PIL import Image

from sam_core.geo.preview import render_preview
from sam_core.geo.raster import RasterSource


def test_a_preview_failing_mid_write_leaves_the_old_file_and_no_temp_file(rgb_tif, tmp_path, monkeypatch):
    path = tmp_path / "preview.png"
    path.write_bytes(b"the old preview")
    save = Image.Image.save

    def half_then_fail(self, fp, *args, **kwargs):
        save(self, fp, *args, **kwargs)  # the temporary file is complete on disk ...
        with open(fp, "r+b") as handle:
            handle.truncate(10)  # ... then half-written
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", half_then_fail)
    with pytest.raises(Exception, match="No space left on device"):
        render_preview(RasterSource(rgb_tif), [], path)
    assert path.read_bytes() == b"the old preview"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preview.png"]


def test_a_preview_replaces_the_old_file_and_leaves_no_temporary_file(rgb_tif, tmp_path):
    path = tmp_path / "preview.png"
    path.write_bytes(b"the old preview")
    render_preview(RasterSource(rgb_tif), [], path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preview.png"]
