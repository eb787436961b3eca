"""The dock's output layers: each product's own fields (from ``sam_core/fields.py``) and TerraSAM's object
style instead of QGIS's random opaque fill, kept in a GeoPackage so the file opens styled later."""

from __future__ import annotations

import pytest
from qgis.core import QgsCoordinateReferenceSystem, QgsFeature, QgsGeometry, QgsVectorLayer
from ui_helpers import assert_object_style, stored_styles

CRS = QgsCoordinateReferenceSystem("EPSG:32618")


@pytest.fixture
def layers(terrasam):
    from terrasam.ui import output_layers

    return output_layers


def test_a_new_memory_layer_is_semi_transparent_with_an_outline(layers):
    assert_object_style(layers.new_memory_layer("objects", CRS))


def test_each_product_has_its_own_fields_from_the_core(layers):
    from terrasam.sam_core.schema import DOCK_FIELDS, EVERYTHING_FIELDS, PROMPT_FIELDS

    prompts = layers.new_memory_layer("p", CRS, layers.PROMPT_LAYER_FIELDS).fields().names()
    everything = layers.new_memory_layer("e", CRS, layers.EVERYTHING_LAYER_FIELDS).fields().names()
    assert prompts == [*PROMPT_FIELDS, *DOCK_FIELDS] and not {"stability", "tiles"} & set(prompts)
    assert everything == [*EVERYTHING_FIELDS, *DOCK_FIELDS] and {"stability", "tiles"} <= set(everything)
    assert not {"prompt_type", "n_fg", "n_bg"} & set(everything)


def test_a_new_geopackage_opens_styled_and_a_second_product_keeps_the_first(layers, tmp_path):
    path = tmp_path / "out.gpkg"
    objects = layers.open_or_create_geopackage(str(path), CRS, "objects", layers.PROMPT_LAYER_FIELDS)
    feature = QgsFeature(objects.fields())
    feature.setGeometry(QgsGeometry.fromWkt("MULTIPOLYGON(((0 0,10 0,10 10,0 0)))"))
    assert objects.dataProvider().addFeatures([feature])[0]
    assert stored_styles(path) == ["objects"]
    assert_object_style(QgsVectorLayer(f"{path}|layername=objects", "reloaded", "ogr"))  # QGIS loads it

    everything = layers.open_or_create_geopackage(
        str(path), CRS, "everything", layers.EVERYTHING_LAYER_FIELDS
    )
    assert everything.isValid() and "stability" in everything.fields().names()
    assert stored_styles(path) == ["everything", "objects"]
    assert QgsVectorLayer(f"{path}|layername=objects", "again", "ogr").featureCount() == 1
    assert not list(tmp_path.glob("*.tmp*"))
