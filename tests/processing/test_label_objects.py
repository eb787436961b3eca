"""terrasam:labelobjects as Processing runs it: the polygons of a layer (a file, one layer of a GeoPackage, or a
memory layer in another CRS) get a class, its probability and the runner-up from a segmentation head or a
land-cover head, every input field kept; a bad head file or a cancel writes nothing.

The SAM is the tiny random-weight one at a 128 px input and the heads are untrained (seeded): labelling runs
the engine's command line as it does for users, the classes themselves are not the point here (the core's
tests check that objects get the right class).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from affine import Affine
from processing_helpers import CancelAtFirstProgress, run
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsRectangle,
    QgsVectorFileWriter,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant
from semantic_data import CLASSES, generate_scene

from sam_core.landcover.head import new_head
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config
from sam_core.semantic.head_file import new_segmentation_head, save_segmentation_head

pytestmark = pytest.mark.usefixtures("processing")

SIZE = 128  # the tiny SAM's input
PIXEL = 0.5
ORIGIN = (500_000.0, 5_000_000.0)
SCENE_PX = 256
UTM = "EPSG:32633"
COLOURS = ("#2e7d32", "#9e9e9e", "#c62828", "#1565c0")
LAND_COVER = ("field", "forest", "town")
LABEL_FIELDS = ["class", "class_probability", "runner_up", "runner_up_probability"]


def write_raster(path: Path, size: int, seed: int = 5) -> Path:
    """A generated scene (vegetation, roads, buildings, water) as a 3-band GeoTIFF in UTM 33N at 0.5 m."""
    rgb, _ = generate_scene(size, np.random.default_rng(seed))
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 3, "dtype": "uint8", "crs": UTM}
    with rasterio.open(
        path, "w", transform=Affine(PIXEL, 0, ORIGIN[0], 0, -PIXEL, ORIGIN[1]), **profile
    ) as dst:
        dst.write(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
    return path


def square(col: float, row: float, side_px: float = 12) -> QgsGeometry:
    """A square of the raster's pixels [col, col + side) × [row, row + side), in UTM."""
    x0, y0 = ORIGIN[0] + col * PIXEL, ORIGIN[1] - row * PIXEL
    return QgsGeometry.fromRect(QgsRectangle(x0, y0 - side_px * PIXEL, x0 + side_px * PIXEL, y0))


def objects_layer(squares: list[QgsGeometry], crs: str = UTM, name: str = "objects") -> QgsVectorLayer:
    """A memory layer of the squares (reprojected from UTM to ``crs``) with fields name, n and class (a
    name the output gives to the label, so the input's is renamed src_class)."""
    layer = QgsVectorLayer(f"Polygon?crs={crs}", name, "memory")
    fields = [
        QgsField("name", QVariant.String),
        QgsField("n", QVariant.Int),
        QgsField("class", QVariant.String),
    ]
    layer.dataProvider().addAttributes(fields)
    layer.updateFields()
    to_crs = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem(UTM), QgsCoordinateReferenceSystem(crs), QgsProject.instance()
    )
    for k, geometry in enumerate(squares):
        geometry = QgsGeometry(geometry)
        geometry.transform(to_crs)
        feature = QgsFeature(layer.fields())
        feature.setGeometry(geometry)
        feature.setAttributes([f"object {k}", k, "mine"])
        layer.dataProvider().addFeature(feature)
    return layer


def save(layer: QgsVectorLayer, path: Path, layer_name: str = "", append: bool = False) -> str:
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    if layer_name:
        options.layerName = layer_name
    if append:
        options.actionOnExistingFile = QgsVectorFileWriter.CreateOrOverwriteLayer
    error, message, *_ = QgsVectorFileWriter.writeAsVectorFormatV3(
        layer, str(path), QgsProject.instance().transformContext(), options
    )
    assert error == QgsVectorFileWriter.NoError, message
    return str(path)


GRID = [square(20 + 80 * i, 20 + 80 * j) for j in range(3) for i in range(3)]  # over the whole scene


@pytest.fixture(scope="module")
def setup(processing, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("label_objects")
    checkpoint = work / "tiny_128.pth"
    save_random_checkpoint(checkpoint, tiny_config(img_size=SIZE), seed=0)
    model = load_model(checkpoint, "cpu")
    torch.manual_seed(0)
    segmentation = new_segmentation_head(model, "sam-conv", CLASSES, COLOURS, gsd_m=PIXEL)
    save_segmentation_head(segmentation, work / "segmenter.pt")
    new_head(model, LAND_COVER, input_gsd_m=PIXEL).save(work / "landcover.pt")
    return {
        "work": work,
        "checkpoint": str(checkpoint),
        "raster": str(write_raster(work / "scene.tif", SCENE_PX)),
        "segmenter": str(work / "segmenter.pt"),
        "landcover": str(work / "landcover.pt"),
        "objects": save(objects_layer(GRID), work / "objects.gpkg"),
        "cache": str(work / "cache"),
    }


def parameters(setup, **more) -> dict:
    return {
        "RASTER": setup["raster"],
        "OBJECTS": setup["objects"],
        "CHECKPOINT": setup["checkpoint"],
        "HEAD": setup["segmenter"],
        "CACHE_DIR": setup["cache"],
        "OUTPUT": "TEMPORARY_OUTPUT",
        **more,
    }


def labels(layer: QgsVectorLayer, classes) -> list[tuple]:
    """(name, class, class_probability) per feature, after checking each feature's label fields."""
    found = []
    for feature in layer.getFeatures():
        assert feature["class"] in classes and feature["runner_up"] in classes, feature.attributes()
        assert feature["runner_up"] != feature["class"], feature.attributes()
        assert 0 < feature["runner_up_probability"] <= 1 and 0 < feature["class_probability"] <= 1
        assert feature["src_class"] == "mine"
        found.append((feature["name"], feature["class"], feature["class_probability"]))
    return found


def test_label_objects_is_registered_in_the_segmentation_heads_group(processing):
    provider = QgsApplication.processingRegistry().providerById("terrasam")
    alg = next(a for a in provider.algorithms() if a.name() == "labelobjects")
    assert alg.displayName() == "Label objects with a class"
    assert alg.group() == "Segmentation heads" and alg.groupId() == "segmentationheads"
    assert len(alg.shortHelpString()) > 300 and alg.canExecute() == (True, "")
    assert alg.parameterDefinition("OVERLAP").defaultValue() == 0.25
    names = [p.name() for p in alg.parameterDefinitions()]
    assert names == ["RASTER", "OBJECTS", "CHECKPOINT", "HEAD", "OVERLAP", "CACHE_DIR", "DEVICE", "PRECISION", "SCHEDULER", "OUTPUT"]


@pytest.fixture(scope="module")
def labelled(processing, setup) -> dict:
    """The objects GeoPackage (UTM) labelled with the segmentation head, into a .gpkg file."""
    return run(processing, "labelobjects", parameters(setup, OUTPUT=str(setup["work"] / "labelled.gpkg")))


def test_every_object_keeps_its_fields_and_gets_a_class_and_a_runner_up(setup, labelled):
    assert labelled["OUTPUT"] == str(setup["work"] / "labelled.gpkg")
    assert labelled["LABELLED"] == len(GRID) and labelled["OUTSIDE_RASTER"] == 0
    layer = QgsVectorLayer(labelled["OUTPUT"], "labelled", "ogr")
    assert layer.isValid() and layer.featureCount() == len(GRID) and layer.crs().authid() == UTM
    assert [f.name() for f in layer.fields()] == ["fid", "name", "n", "src_class", *LABEL_FIELDS]
    found = labels(layer, CLASSES)
    assert sorted(name for name, *_ in found) == sorted(f"object {k}" for k in range(len(GRID)))
    for feature in layer.getFeatures():  # the geometries are the input's
        assert feature.geometry().area() == pytest.approx(GRID[feature["n"]].area(), rel=1e-9)
    renderer = layer.renderer()  # the style saved in the GeoPackage: a category per class, the head's colours
    assert renderer.type() == "categorizedSymbol" and renderer.classAttribute() == "class"
    assert [c.value() for c in renderer.categories()] == list(CLASSES)


class WarningsKept(QgsProcessingFeedback):
    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []

    def pushWarning(self, text: str) -> None:
        self.warnings.append(text)
        super().pushWarning(text)


def test_a_memory_layer_in_wgs84_is_exported_reprojected_and_an_object_off_the_raster_left_out(
    processing, setup, labelled
):
    layer = objects_layer([*GRID, square(-100, -100)], crs="EPSG:4326")  # the last one misses the raster
    feedback = WarningsKept()
    result = run(processing, "labelobjects", parameters(setup, OBJECTS=layer), feedback)
    assert result["LABELLED"] == len(GRID) and result["OUTSIDE_RASTER"] == 1
    assert "1 objects do not overlap the raster and are left out." in feedback.warnings
    out = result["OUTPUT"]
    assert out.crs().authid() == UTM and out.featureCount() == len(GRID)
    reference = QgsVectorLayer(labelled["OUTPUT"], "labelled", "ogr")
    by_name = {name: (cls, p) for name, cls, p in labels(reference, CLASSES)}
    for name, cls, p in labels(out, CLASSES):  # the same pixels, so the same labels
        assert by_name[name][0] == cls and by_name[name][1] == pytest.approx(p, abs=1e-6), name


def test_one_layer_of_a_geopackage_is_read_by_its_name(processing, setup, tmp_path):
    path = tmp_path / "two.gpkg"
    save(objects_layer(GRID[:2], name="other"), path, "other")
    save(objects_layer(GRID[2:5]), path, "objects", append=True)
    source = QgsVectorLayer(f"{path}|layername=objects", "objects", "ogr")
    assert source.isValid() and source.featureCount() == 3
    result = run(processing, "labelobjects", parameters(setup, OBJECTS=source))
    assert result["LABELLED"] == 3
    assert sorted(name for name, *_ in labels(result["OUTPUT"], CLASSES)) == [
        "object 0",
        "object 1",
        "object 2",
    ]


def test_a_land_cover_head_labels_objects_too(processing, setup):
    result = run(processing, "labelobjects", parameters(setup, HEAD=setup["landcover"]))
    assert result["LABELLED"] == len(GRID)
    assert len(labels(result["OUTPUT"], LAND_COVER)) == len(GRID)


def test_a_bad_head_file_is_a_clear_error_and_writes_nothing(processing, setup, tmp_path):
    """A SAM checkpoint is no head (a damaged head file is Map classes' test: the same loader)."""
    message = r"tiny_128\.pth is neither a segmentation head .* nor a land-cover head"
    with pytest.raises(QgsProcessingException, match=message):
        out = str(tmp_path / "labelled.gpkg")
        run(processing, "labelobjects", parameters(setup, HEAD=setup["checkpoint"], OUTPUT=out))
    assert list(tmp_path.iterdir()) == []


def test_a_cancelled_run_leaves_no_file(processing, setup, tmp_path, tmp_path_factory):
    """Objects on many tiles of a larger raster and an empty cache: the encoder still has tiles to go."""
    elsewhere = tmp_path_factory.mktemp("cancel")
    raster = write_raster(elsewhere / "large.tif", 640)
    many = [square(20 + 100 * i, 20 + 100 * j) for j in range(6) for i in range(6)]
    objects = save(objects_layer(many), elsewhere / "many.gpkg")
    out = str(tmp_path / "labelled.gpkg")
    feedback = CancelAtFirstProgress()
    more = {"RASTER": str(raster), "OBJECTS": objects, "CACHE_DIR": str(elsewhere / "cache"), "OUTPUT": out}
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run(processing, "labelobjects", parameters(setup, **more), feedback)
    assert feedback.seen and 0 < feedback.seen[-1] < 100, feedback.seen
    assert list(tmp_path.iterdir()) == []


def test_the_head_the_dock_chose_is_the_dialogs_default(processing, setup):
    """Map classes and Label objects open on the segmentation head last chosen in the dock, as the classifier
    algorithms open on the dock's classifier head."""
    from qgis.core import QgsSettings

    settings = QgsSettings()
    settings.setValue("TerraSAM/segmentation_head", setup["segmenter"])
    try:
        for name in ("mapclasses", "labelobjects"):
            alg = QgsApplication.processingRegistry().createAlgorithmById(f"terrasam:{name}")
            assert alg.parameterDefinition("HEAD").defaultValue() == setup["segmenter"], name
    finally:
        settings.remove("TerraSAM/segmentation_head")
