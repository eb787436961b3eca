"""One ``crs_label`` and one ``first_line`` for the core: what a missing CRS and a text-less error become."""

from __future__ import annotations

from pyproj import CRS
from rasterio.crs import CRS as RasterioCRS

from sam_core.errors import first_line
from sam_core.geo.crs import crs_label


def test_crs_label_of_no_crs_is_none_and_of_a_crs_its_authority_code():
    assert crs_label(None) is None
    assert crs_label(CRS.from_epsg(32633)) == "EPSG:32633"
    assert crs_label(RasterioCRS.from_epsg(4326)) == "EPSG:4326"
    local = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=7.3 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m")
    assert crs_label(local) == local.to_wkt()


def test_first_line_keeps_the_first_line_or_names_the_type():
    assert first_line(ValueError("bad header\nmore GDAL context")) == "bad header"
    assert first_line(ValueError("  \n")) == "ValueError"
    assert first_line(OSError()) == "OSError"
