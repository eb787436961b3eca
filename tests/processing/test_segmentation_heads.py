"""The segmentation-head algorithms as Processing runs them: a folder of images and class masks → a head file
and its report; the head → a class GeoTIFF on the input's grid, styled with the head's classes, with
polygons and an area table that agree; a cancel or a bad head file writes nothing.

A tiny random-weight SAM at a 128 px input keeps every run to seconds; the algorithms run the engine's
command line as they do for users.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from processing_helpers import CancelAtFirstProgress, run
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
)
from semantic_data import (
    CLASSES,
    CODES,
    class_set,
    generate_scene,
    write_class_folder,
    write_label_raster,
    write_scene_raster,
)

from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config
from sam_core.semantic.head_file import load_segmentation_head

pytestmark = pytest.mark.usefixtures("processing")

SIZE = 128  # the tiny SAM's input: one patch per 128 px image, one encoder pass each
PIXEL = 0.5
ORIGIN = (500_000.0, 5_000_000.0)
SCENE_PX = 200
POLYGON_FIELDS = ["id", "class", "class_id", "area_m2", "perimeter_m", "length_m"]


def is_null(value) -> bool:
    return value is None or (hasattr(value, "isNull") and value.isNull())


def write_scene(path: Path, seed: int = 5) -> Path:
    """A generated scene (vegetation, roads, buildings, water) as a 3-band GeoTIFF in UTM 33N."""
    rgb, _ = generate_scene(SCENE_PX, np.random.default_rng(seed))
    profile = {
        "driver": "GTiff",
        "width": SCENE_PX,
        "height": SCENE_PX,
        "count": 3,
        "dtype": "uint8",
        "crs": "EPSG:32633",
        "transform": Affine(PIXEL, 0, ORIGIN[0], 0, -PIXEL, ORIGIN[1]),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
    return path


@pytest.fixture(scope="module")
def trained(processing, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("segmentation_heads")
    checkpoint = work / "tiny_128.pth"
    save_random_checkpoint(checkpoint, tiny_config(img_size=SIZE), seed=0)
    data = write_class_folder(work / "scenes", class_set(train=4, val=1, test=1, size=SIZE))
    result = run(
        processing,
        "trainsegmentationhead",
        {
            "DATA_FOLDER": str(data),
            "CHECKPOINT": str(checkpoint),
            "COMPARE": [1],  # sam-vit: the cached embeddings again, a second head in the report
            "EPOCHS": 1,
            "BATCH_SIZE": 2,
            "CACHE_DIR": str(work / "cache"),
            "HEAD": str(work / "head.pt"),
            "REPORT_FOLDER": str(work / "report"),
        },
    )
    return {**result, "work": work, "checkpoint": str(checkpoint), "scene": write_scene(work / "scene.tif")}


def map_parameters(trained, out: Path, **more) -> dict:
    return {
        "RASTER": str(trained["scene"]),
        "CHECKPOINT": trained["checkpoint"],
        "HEAD": trained["HEAD"],
        "CACHE_DIR": str(trained["work"] / "cache"),
        "OUTPUT": str(out),
        **more,
    }


def test_both_algorithms_are_registered_as_qgis_process_starts_the_plugin(processing):
    """The ``processing`` fixture starts the plugin as ``qgis_process`` does: ``initProcessing`` only."""
    provider = QgsApplication.processingRegistry().providerById("terrasam")
    algorithms = {alg.name(): alg for alg in provider.algorithms()}
    for name in ("trainsegmentationhead", "mapclasses"):
        alg = algorithms[name]
        assert alg.group() == "Segmentation heads" and alg.groupId() == "segmentationheads"
        assert len(alg.shortHelpString()) > 300 and alg.canExecute() == (True, "")
    train = algorithms["trainsegmentationhead"]
    assert train.parameterDefinition("HEAD_TYPE").options() == ["sam-conv", "sam-vit", "unet"]
    assert train.parameterDefinition("LEARNING_RATE").defaultValue() == 3e-4
    mapping = algorithms["mapclasses"]
    assert mapping.parameterDefinition("OUTPUT").defaultFileExtension() == "tif"
    assert (
        mapping.parameterDefinition("POLYGONS").flags() & mapping.parameterDefinition("POLYGONS").FlagOptional
    )


def test_train_writes_the_head_file_and_the_comparison_report(trained):
    work = trained["work"]
    assert trained["HEAD"] == str(work / "head.pt") and trained["REPORT_FOLDER"] == str(work / "report")
    head = load_segmentation_head(trained["HEAD"], load_model(trained["checkpoint"], "cpu"))
    assert head.kind == "sam-conv" and head.class_names == CLASSES and head.patch_px == SIZE
    report = json.loads((work / "report" / "summary.json").read_text())
    assert [row["head"] for row in report["table"]] == ["sam-conv", "sam-vit"]
    assert trained["MEAN_IOU"] == report["table"][0]["mean_iou"] and 0 <= trained["MEAN_IOU"] <= 1
    assert trained["MAJORITY_MEAN_IOU"] == report["majority_baseline"]["mean_iou"]
    for name in ("curves.png", "boxplots.png", "examples.png"):
        assert (work / "report" / name).stat().st_size > 1000, name


@pytest.fixture(scope="module")
def gis_scene(trained, tmp_path_factory) -> dict:
    """A 256 px scene at 1 m (UTM 33N) with its classes as polygons and the options both GIS runs share."""
    scene = write_scene_raster(tmp_path_factory.mktemp("gis"), tiles=1, seed=0)
    common = {
        "RASTER": str(scene["raster"]),
        "CHECKPOINT": trained["checkpoint"],
        "CHIP_PX": 128,
        "EPOCHS": 1,
    }
    return {**scene, "common": {**common, "CACHE_DIR": str(trained["work"] / "cache")}}


def test_train_on_a_raster_with_polygons_in_another_crs(processing, trained, gis_scene, tmp_path):
    result = run(
        processing,
        "trainsegmentationhead",
        {
            **gis_scene["common"],
            "LABELS": str(gis_scene["labels"][".geojson"]),  # EPSG:4326
            "CLASS_FIELD": "class",
            "HEAD": str(tmp_path / "polygons.pt"),
            "REPORT_FOLDER": str(tmp_path / "report"),
        },
    )
    head = load_segmentation_head(result["HEAD"], load_model(trained["checkpoint"], "cpu"))
    assert head.class_names == ("background", "building", "road", "water")  # names sorted, background first
    assert head.gsd_m == pytest.approx(1.0, rel=1e-3) and head.bands == (1, 2, 3)
    assert 0 <= result["MEAN_IOU"] <= 1 and (tmp_path / "report" / "summary.json").is_file()


def test_train_on_a_raster_with_a_label_raster_named_by_its_classes_json(
    processing, trained, gis_scene, tmp_path
):
    codes = np.asarray(CODES, np.uint8)[gis_scene["classes"]]
    labels = write_label_raster(tmp_path / "codes.tif", codes, gis_scene["transform"])
    (tmp_path / "classes.json").write_text(json.dumps({str(c): n for c, n in zip(CODES, CLASSES)}))
    result = run(
        processing,
        "trainsegmentationhead",
        {**gis_scene["common"], "LABEL_RASTER": str(labels), "HEAD": str(tmp_path / "codes.pt")},
    )
    head = load_segmentation_head(result["HEAD"], load_model(trained["checkpoint"], "cpu"))
    assert head.class_names == CLASSES and head.gsd_m == pytest.approx(1.0, rel=1e-3)
    assert result["REPORT_FOLDER"] == str(tmp_path / "codes_report")  # beside the head by default
    assert (tmp_path / "codes_report" / "summary.json").is_file()


def test_training_data_is_a_folder_or_a_raster_with_one_kind_of_labels(processing, trained, tmp_path):
    folder, labels = str(trained["work"] / "scenes"), str(tmp_path / "labels.geojson")
    common = {"CHECKPOINT": trained["checkpoint"], "HEAD": str(tmp_path / "head.pt")}
    for parameters, message in (
        ({}, "Give a training data folder"),
        ({"DATA_FOLDER": folder, "LABEL_RASTER": str(trained["scene"])}, "not both"),
        ({"RASTER": str(trained["scene"]), "LABELS": labels}, "field of the labelled polygons"),
        ({"LABEL_RASTER": str(trained["scene"])}, "Choose the raster the labels describe"),
    ):
        with pytest.raises(QgsProcessingException, match=message):
            run(processing, "trainsegmentationhead", {**common, **parameters})
    assert list(tmp_path.iterdir()) == []


def test_map_classes_writes_a_styled_class_raster_on_the_input_grid_with_agreeing_areas(
    processing, trained, tmp_path
):
    out, table = tmp_path / "classes.tif", tmp_path / "areas.csv"
    parameters = map_parameters(trained, out, POLYGONS="TEMPORARY_OUTPUT", SUMMARY=str(table))
    result = run(processing, "mapclasses", parameters)
    assert result["OUTPUT"] == str(out) and result["SUMMARY"] == str(table)
    with rasterio.open(trained["scene"]) as source, rasterio.open(out) as classes:
        assert classes.crs == source.crs and classes.transform == source.transform
        assert (classes.width, classes.height, classes.count, classes.dtypes[0]) == (
            SCENE_PX,
            SCENE_PX,
            1,
            "uint8",
        )
        codes = classes.read(1)
    assert set(np.unique(codes)) <= set(range(len(CLASSES)))
    layer = QgsRasterLayer(str(out), "classes")
    assert layer.renderer().type() == "paletted"
    assert [c.label for c in layer.renderer().classes()] == list(CLASSES)

    rows = {row["class"]: row for row in csv.DictReader(table.read_text().splitlines())}
    assert list(rows) == list(CLASSES)
    assert sum(int(row["pixels"]) for row in rows.values()) == SCENE_PX * SCENE_PX
    total = sum(float(row["area_m2"]) for row in rows.values())
    assert total == pytest.approx(result["AREA_HA"] * 1e4)
    assert total == pytest.approx(SCENE_PX * SCENE_PX * PIXEL**2, rel=2e-3)  # UTM's scale factor

    polygons = result["POLYGONS"]
    assert polygons.crs().authid() == "EPSG:32633" and polygons.featureCount() == result["POLYGON_COUNT"] > 0
    assert [f.name() for f in polygons.fields()] == POLYGON_FIELDS
    assert polygons.renderer().type() == "categorizedSymbol"  # in the head's class colours
    by_class: dict[str, float] = {}
    for feature in polygons.getFeatures():
        assert CLASSES[feature["class_id"]] == feature["class"] and feature["area_m2"] > 0
        if feature["class"] != "road":  # length_m is a road's skeleton length, empty for areas
            assert is_null(feature["length_m"]), feature.attributes()
        by_class[feature["class"]] = by_class.get(feature["class"], 0.0) + feature["area_m2"]
    for name, row in rows.items():
        assert by_class.get(name, 0.0) == pytest.approx(float(row["area_m2"]), rel=1e-6, abs=1e-6), name


def test_the_class_raster_processing_adds_to_the_project_shows_the_class_names(processing, trained, tmp_path):
    out = tmp_path / "loaded.tif"
    extent = "500010,500040,4999930,4999970 [EPSG:32633]"  # inside the scene: 60 × 80 px
    result = processing.runAndLoadResults(
        "terrasam:mapclasses", map_parameters(trained, out, EXTENT=extent), feedback=QgsProcessingFeedback()
    )
    try:
        layers = [layer for layer in QgsProject.instance().mapLayers().values() if layer.source() == str(out)]
        assert len(layers) == 1, QgsProject.instance().mapLayers()
        renderer = layers[0].renderer()
        assert renderer.type() == "paletted" and [c.label for c in renderer.classes()] == list(CLASSES)
    finally:
        QgsProject.instance().removeAllMapLayers()
    assert result["OUTPUT"] == str(out)
    with rasterio.open(out) as classes:
        assert (classes.width, classes.height) == (60, 80)
        assert classes.transform == Affine(PIXEL, 0, 500_010.0, 0, -PIXEL, 4_999_970.0)


def test_an_extent_in_another_crs_maps_the_raster_pixels_it_covers_and_dissolves_per_class(
    processing, trained, tmp_path
):
    utm = QgsCoordinateReferenceSystem("EPSG:32633")
    wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
    box = QgsRectangle(500_020.0, 4_999_940.0, 500_070.0, 4_999_990.0)
    lonlat = QgsCoordinateTransform(utm, wgs84, QgsProject.instance()).transformBoundingBox(box)
    extent = (
        f"{lonlat.xMinimum()!r},{lonlat.xMaximum()!r},{lonlat.yMinimum()!r},{lonlat.yMaximum()!r} [EPSG:4326]"
    )
    out = tmp_path / "part.tif"
    result = run(
        processing,
        "mapclasses",
        map_parameters(trained, out, EXTENT=extent, POLYGONS="TEMPORARY_OUTPUT", DISSOLVE=True),
    )
    with rasterio.open(out) as classes:
        assert classes.crs.to_epsg() == 32633
        col, row = ~classes.transform @ (ORIGIN[0], ORIGIN[1])
        assert (col, row) == (round(col), round(row))  # on the input's pixel grid
        bounds = classes.bounds
    assert bounds.left <= box.xMinimum() and bounds.right >= box.xMaximum()
    assert bounds.bottom <= box.yMinimum() and bounds.top >= box.yMaximum()
    assert bounds.right - bounds.left < 60 and bounds.top - bounds.bottom < 60  # not the whole 100 m scene
    polygons = result["POLYGONS"]
    names = [f["class"] for f in polygons.getFeatures()]
    assert len(names) == len(set(names)) == polygons.featureCount() > 0  # one polygon per class
    assert sum(f["area_m2"] for f in polygons.getFeatures()) == pytest.approx(
        result["AREA_HA"] * 1e4, rel=1e-6
    )


def test_a_cancelled_map_leaves_no_file(processing, trained, tmp_path):
    out = tmp_path / "cancelled.tif"
    parameters = map_parameters(
        trained,
        out,
        TILE_SIZE=32,
        OVERLAP=0.0,
        POLYGONS=str(tmp_path / "p.gpkg"),
        SUMMARY=str(tmp_path / "a.csv"),
    )
    feedback = CancelAtFirstProgress()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run(processing, "mapclasses", parameters, feedback)
    assert feedback.seen and 0 < feedback.seen[-1] < 100, feedback.seen
    assert list(tmp_path.iterdir()) == []


def test_a_bad_head_file_is_a_clear_error_and_writes_nothing(processing, trained, tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a head")
    out = tmp_path / "classes.tif"
    with pytest.raises(QgsProcessingException, match=r"head file junk\.pt is damaged or not a TerraSAM"):
        run(processing, "mapclasses", map_parameters(trained, out, HEAD=str(junk)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.pt"]  # a SAM checkpoint: Label objects' test


def test_a_head_with_another_checkpoint_is_refused_naming_both(processing, trained, tmp_path):
    checkpoint = tmp_path / "sam.pth"
    save_random_checkpoint(checkpoint, tiny_config(img_size=SIZE), seed=1)
    out = tmp_path / "classes.tif"
    with pytest.raises(
        QgsProcessingException, match=r"this head was trained with tiny_128\.pth .*, not sam\.pth"
    ):
        run(processing, "mapclasses", map_parameters(trained, out, CHECKPOINT=str(checkpoint)))
    assert [p.name for p in tmp_path.iterdir()] == ["sam.pth"]


def test_a_cancelled_training_leaves_no_head_and_no_report(processing, trained, tmp_path):
    parameters = {
        "DATA_FOLDER": str(trained["work"] / "scenes"),
        "CHECKPOINT": trained["checkpoint"],
        "EPOCHS": 3,
        "CACHE_DIR": str(trained["work"] / "cache"),
        "HEAD": str(tmp_path / "head.pt"),
        "REPORT_FOLDER": str(tmp_path / "report"),
    }
    feedback = CancelAtFirstProgress()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run(processing, "trainsegmentationhead", parameters, feedback)
    assert feedback.seen and 0 < feedback.seen[-1] < 100, feedback.seen
    assert list(tmp_path.iterdir()) == []
