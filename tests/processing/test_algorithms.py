"""The Processing provider in real QGIS: every algorithm through ``processing.run`` on real rasters with a tiny
random-weight SAM; outputs, fields, CRSs and areas; the package check; cancelling leaves nothing behind.

The SAM here is the tests' tiny architecture with a 256 px input (encoding is then quick); the algorithms run
the command line in the engine's Python exactly as they do for users.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import rasterio
from cancel_helpers import CancelMidTile
from processing_helpers import CancelAtFirstProgress, run
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsDistanceArea,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorFileWriter,
    QgsVectorLayer,
)
from ui_helpers import assert_object_style, stored_styles

from bench.patchsets import CLASSES, write_class_mosaic, write_patch_set

ALGORITHMS = {
    "encoderaster",
    "segmentfromprompts",
    "segmenteverything",
    "classifylandcover",
    "trainclassifier",
    "evaluatesegmentation",
    "finetunedecoder",
    "detectobjects",
    "trainsegmentationhead",
    "mapclasses",
    "labelobjects",
}
PROMPT_FIELDS = ["id", "prompt_type", "n_fg", "n_bg", "score", "area_m2", "perimeter_m", "model"]


def ellipsoidal_area(feature, crs) -> float:
    area = QgsDistanceArea()
    area.setSourceCrs(crs, QgsProject.instance().transformContext())
    area.setEllipsoid("WGS84")
    return area.measureArea(feature.geometry())


def pixel_box(layer: QgsRasterLayer, col0: int, row0: int, col1: int, row1: int) -> QgsRectangle:
    """The map rectangle of raster columns [col0, col1) and rows [row0, row1)."""
    extent = layer.extent()
    xres, yres = layer.rasterUnitsPerPixelX(), layer.rasterUnitsPerPixelY()
    return QgsRectangle(
        extent.xMinimum() + col0 * xres,
        extent.yMaximum() - row1 * yres,
        extent.xMinimum() + col1 * xres,
        extent.yMaximum() - row0 * yres,
    )


def memory_layer(kind: str, crs: str, fields: str, rows: list[tuple]) -> QgsVectorLayer:
    """A memory layer of ``kind`` (Point, Polygon) with ``rows`` of (geometry, *attributes)."""
    layer = QgsVectorLayer(f"{kind}?crs={crs}{fields}", kind.lower(), "memory")
    for geometry, *attributes in rows:
        feature = QgsFeature(layer.fields())
        feature.setGeometry(geometry)
        feature.setAttributes(list(attributes))
        layer.dataProvider().addFeature(feature)
    return layer


def save(layer: QgsVectorLayer, path: Path) -> str:
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    error, message, *_ = QgsVectorFileWriter.writeAsVectorFormatV3(
        layer, str(path), QgsProject.instance().transformContext(), options
    )
    assert error == QgsVectorFileWriter.NoError, message
    return str(path)


# -- the provider ---------------------------------------------------------------------------------------------


def test_every_algorithm_is_listed_with_help_a_group_and_a_package_check(processing):
    provider = QgsApplication.processingRegistry().providerById("terrasam")
    assert {alg.name() for alg in provider.algorithms()} == ALGORITHMS
    for alg in provider.algorithms():
        assert alg.group() and alg.groupId() and alg.displayName()
        assert len(alg.shortHelpString()) > 300, alg.name()
        assert alg.canExecute() == (True, "")
        assert alg.flags() & alg.FlagCanCancel and alg.flags() & alg.FlagSupportsBatch
    help_text = QgsApplication.processingRegistry().algorithmById("terrasam:evaluatesegmentation")
    assert "FP/(FP+TN)" in help_text.shortHelpString()


def test_without_an_engine_python_algorithms_say_so_and_point_to_the_set_up_engine_panel(
    processing, monkeypatch, tmp_path, rgb_tif
):
    """A TERRASAM_PYTHON that does not exist is said so (with where it came from), not called "packages
    missing" with a pip command for an interpreter that is not there (issue 10, defect 5)."""
    python = tmp_path / "no-such-python"
    monkeypatch.setenv("TERRASAM_PYTHON", str(python))
    alg = QgsApplication.processingRegistry().algorithmById("terrasam:encoderaster")
    ok, hint = alg.canExecute()
    assert not ok and f"{python} (from the environment variable TERRASAM_PYTHON) does not exist" in hint
    assert "Set up engine panel" in hint and "pip" not in hint
    with pytest.raises(QgsProcessingException, match="does not exist"):
        processing.run("terrasam:encoderaster", {"RASTER": str(rgb_tif), "CHECKPOINT": "sam.pth"})


# -- segmentation ---------------------------------------------------------------------------------------------


def test_encode_raster_in_a_batch_of_two_rasters_fills_the_cache(
    processing, sam, rgb_tif, shade_tif, tmp_path
):
    cache = tmp_path / "cache"
    part = run(
        processing,
        "encoderaster",
        {
            "RASTER": str(rgb_tif),
            "CHECKPOINT": sam,
            "EXTENT": "-77.76,-77.74,24.55,24.57 [EPSG:4326]",  # a few pixels near the centre
            "CACHE_DIR": str(cache),
            "TILE_SIZE": 512,
            "OVERLAP": 128,
        },
    )
    assert 1 <= part["TILES"] < 4 and part["ENCODED"] == part["TILES"]
    assert part["CACHE_FOLDER"] == str(cache)
    whole = run(
        processing,
        "encoderaster",
        {
            "RASTER": str(rgb_tif),
            "CHECKPOINT": sam,
            "CACHE_DIR": str(cache),
            "TILE_SIZE": 512,
            "OVERLAP": 128,
        },
    )
    assert (whole["TILES"], whole["ENCODED"]) == (4, 4 - part["TILES"])
    shade = run(
        processing, "encoderaster", {"RASTER": str(shade_tif), "CHECKPOINT": sam, "CACHE_DIR": str(cache)}
    )
    assert (shade["TILES"], shade["ENCODED"]) == (1, 1)  # 1024×1024 px: one tile
    assert len(list(cache.rglob("*.emb"))) == 5


def test_segment_from_point_and_box_layers_keeps_their_attributes_and_measures_geodesically(
    processing, sam, rgb_tif, tmp_path
):
    raster = QgsRasterLayer(str(rgb_tif), "rgb")
    utm = raster.crs()
    to_wgs84 = QgsCoordinateTransform(utm, QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance())
    centre = raster.extent().center()

    def lonlat(dx: float, dy: float) -> QgsGeometry:
        return QgsGeometry.fromPointXY(to_wgs84.transform(QgsPointXY(centre.x() + dx, centre.y() + dy)))

    # points in EPSG:4326 (a memory layer: exported for the engine); group 1 has a background point
    points = memory_layer(
        "Point", "EPSG:4326", "&field=site:string&field=obj:integer&field=fg:integer",
        [(lonlat(0, 0), "p1", 1, 1), (lonlat(6000, 0), "p2", 1, 0), (lonlat(-20000, -20000), "p3", 2, 1)],
    )  # fmt: skip
    # boxes in the raster's CRS, in a GeoPackage, two of three selected; box "b1" joins group 2
    boxes = memory_layer(
        "Polygon", utm.authid(), "&field=obj:integer&field=name:string&field=id:integer",
        [
            (QgsGeometry.fromRect(QgsRectangle(c.x() - 5000, c.y() - 5000, c.x() + 5000, c.y() + 5000)), g, n, i)
            for c, g, n, i in (
                (QgsPointXY(centre.x() - 20000, centre.y() - 20000), 2, "b1", 10),
                (QgsPointXY(centre.x() + 40000, centre.y() + 30000), None, "b2", 11),
                (QgsPointXY(centre.x() - 50000, centre.y() + 40000), None, "unselected", 12),
            )
        ],
    )  # fmt: skip
    box_layer = QgsVectorLayer(save(boxes, tmp_path / "boxes.gpkg"), "boxes", "ogr")
    QgsProject.instance().addMapLayer(box_layer)
    try:
        box_layer.selectByExpression("\"name\" <> 'unselected'")
        result = run(
            processing,
            "segmentfromprompts",
            {
                "RASTER": str(rgb_tif),
                "CHECKPOINT": sam,
                "POINTS": points,
                "LABEL_FIELD": "fg",
                "GROUP_FIELD": "obj",
                "BOXES": QgsProcessingFeatureSourceDefinition(box_layer.id(), selectedFeaturesOnly=True),
                "CACHE_DIR": str(tmp_path / "cache"),
                "OUTPUT": "TEMPORARY_OUTPUT",
            },
        )
    finally:
        QgsProject.instance().removeMapLayer(box_layer.id())
    out = result["OUTPUT"]
    assert result["OBJECTS"] == out.featureCount() == 3  # group 1, group 2 with box b1, box b2
    names = [f.name() for f in out.fields()]
    assert names == [*PROMPT_FIELDS, "site", "obj", "fg", "name", "src_id"]
    assert out.crs().authid() == "EPSG:32618"
    features = {f["id"]: f for f in out.getFeatures()}
    one, two, lone = features[1], features[2], features[3]
    assert (one["prompt_type"], one["n_fg"], one["n_bg"], one["site"], one["obj"]) == ("point", 1, 1, "p1", 1)
    assert (two["prompt_type"], two["name"], two["src_id"], two["obj"]) == ("point+box", "b1", 10, 2)
    assert (lone["prompt_type"], lone["name"], lone["src_id"]) == ("box", "b2", 11)
    for feature in features.values():
        assert feature["area_m2"] > 0
        assert feature["area_m2"] == pytest.approx(ellipsoidal_area(feature, out.crs()), rel=1e-4)


def test_segment_everything_writes_measured_objects_to_a_file(processing, sam, rgb_tif, tmp_path):
    out = tmp_path / "everything.gpkg"
    result = run(
        processing,
        "segmenteverything",
        {
            "RASTER": str(rgb_tif),
            "CHECKPOINT": sam,
            "EXTENT": "180000,260000,2650000,2750000 [EPSG:32618]",
            "POINTS_PER_SIDE": 2,
            "PRED_IOU_THRESH": 0.0,
            "STABILITY_THRESH": 0.0,
            "TILE_SIZE": 512,
            "OVERLAP": 128,
            "CACHE_DIR": str(tmp_path / "cache"),
            "OUTPUT": str(out),
        },
    )
    layer = QgsVectorLayer(result["OUTPUT"], "everything", "ogr")
    assert layer.isValid() and Path(result["OUTPUT"].split("|")[0]) == out
    assert result["OBJECTS"] == layer.featureCount() > 0
    fields = [f.name() for f in layer.fields()]
    assert fields[-7:] == ["id", "score", "stability", "area_m2", "perimeter_m", "tiles", "model"]
    assert layer.crs().authid() == "EPSG:32618"
    assert len(stored_styles(out)) == 1  # the dock's object style, saved in the GeoPackage as its default
    assert_object_style(layer)  # which a fresh layer on the file loads
    for feature in layer.getFeatures():
        assert feature["area_m2"] == pytest.approx(ellipsoidal_area(feature, layer.crs()), rel=1e-4)


def engine_children() -> list[int]:
    """This process's child processes running the engine's command line (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and b"sam_core" in cmdline:
            found.append(int(entry.name))
    return found


def test_cancelling_through_the_feedback_stops_the_engine_and_leaves_no_output(
    processing, sam, rgb_tif, tmp_path
):
    out = tmp_path / "cancelled.gpkg"
    feedback = CancelAtFirstProgress()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run(
            processing,
            "segmenteverything",
            {
                "RASTER": str(rgb_tif),
                "CHECKPOINT": sam,
                "POINTS_PER_SIDE": 2,
                "TILE_SIZE": 256,
                "OVERLAP": 64,
                "CACHE_DIR": str(tmp_path / "cache"),
                "OUTPUT": str(out),
            },
            feedback,
        )
    assert feedback.seen and 0 < feedback.seen[-1] < 100, feedback.seen
    assert not out.exists() and list(tmp_path.glob("*.gpkg")) == []
    assert engine_children() == []


class RecordingFeedback(QgsProcessingFeedback):
    """Keeps every progress value, progress text and info line; ``on_progress(value)`` runs on each."""

    def __init__(self, on_progress=None) -> None:
        super().__init__()
        self.seen: list[float] = []
        self.texts: list[str] = []
        self.infos: list[str] = []
        self.on_progress = on_progress
        self.progressChanged.connect(self._progress)

    def _progress(self, value: float) -> None:
        self.seen.append(value)
        if self.on_progress is not None:
            self.on_progress(value)

    def setProgressText(self, text: str) -> None:
        self.texts.append(text)
        super().setProgressText(text)

    def pushInfo(self, info: str) -> None:
        self.infos.append(info)
        super().pushInfo(info)


EVERYTHING_MID_TILE = {
    "POINTS_PER_SIDE": 8,  # 64 points per tile: 8 batches of 8 on the CPU
    "PRED_IOU_THRESH": 0.0,
    "STABILITY_THRESH": 0.5,
    "TILE_SIZE": 512,
    "OVERLAP": 128,
}


def test_segment_everything_shows_tile_and_time_left_and_its_bar_ends_at_100(
    processing, sam, rgb_tif, tmp_path
):
    feedback = RecordingFeedback()
    parameters = {"RASTER": str(rgb_tif), "CHECKPOINT": sam, **EVERYTHING_MID_TILE, "POINTS_PER_SIDE": 4}
    run(processing, "segmenteverything", {**parameters, "OUTPUT": str(tmp_path / "o.gpkg")}, feedback)
    assert feedback.seen[-1] == 100, feedback.seen
    assert any(0 < v < 25 for v in feedback.seen), feedback.seen  # inside the first of 4 tiles
    assert feedback.texts[0].startswith("Tile 1 of 4, about ") and feedback.texts[0].endswith(" left")
    assert "Tile 4 of 4" in feedback.texts and feedback.infos[0] == feedback.texts[0]


def test_a_cancel_inside_a_tile_stops_segment_everything_within_two_seconds(
    processing, sam, rgb_tif, tmp_path
):
    out = tmp_path / "cancelled.gpkg"
    feedback = RecordingFeedback()
    cancel = CancelMidTile(press=feedback.cancel)
    feedback.on_progress = lambda value: value > 0 and cancel.progress(value)
    # 256 points per tile (32 batches of 8): the first tile outlasts the press on a fast machine too
    parameters = {"RASTER": str(rgb_tif), "CHECKPOINT": sam, **EVERYTHING_MID_TILE, "POINTS_PER_SIDE": 16}
    parameters["OUTPUT"] = str(out)
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run(processing, "segmenteverything", parameters, feedback)
    latency = cancel.latency()
    print(f"cancel latency: {latency:.2f} s")
    assert latency < 2.0, f"cancel took {latency:.2f} s"
    assert cancel.seen and max(cancel.seen) < 25, feedback.seen  # pressed inside the first tile
    assert not out.exists() and engine_children() == []


# -- land cover -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(processing, sam, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("landcover")
    data = write_patch_set(work / "data", per_class=8, seed=2)
    result = run(
        processing,
        "trainclassifier",
        {
            "DATA_FOLDER": str(data),
            "CHECKPOINT": sam,
            "TRAIN_FRACTIONS": "0.5",
            "EPOCHS": 20,
            "CACHE_DIR": str(work / "features"),
            "HEAD": str(work / "head.pt"),
            "REPORT_FOLDER": str(work / "report"),
        },
    )
    return {**result, "work": work}


def test_train_classifier_writes_the_head_and_its_report(trained):
    work = trained["work"]
    assert trained["HEAD"] == str(work / "head.pt") and (work / "head.pt").stat().st_size > 0
    assert trained["REPORT_FOLDER"] == str(work / "report")
    summary = json.loads((work / "report" / "summary.json").read_text())
    assert summary["classes"] == list(CLASSES)
    assert (work / "report" / "train_50" / "confusion.png").is_file()
    assert 0.0 <= trained["ACCURACY"] <= 1.0 and 0.0 <= trained["MACRO_F1"] <= 1.0


@pytest.mark.parametrize("dissolve", [False, True])
def test_classify_land_cover_gives_classes_and_an_area_table(processing, sam, trained, dissolve):
    work = trained["work"]
    raster = write_class_mosaic(work / f"mosaic_{dissolve}.tif", np.array([[0, 1], [2, 3]]), 128)
    result = run(
        processing,
        "classifylandcover",
        {
            "RASTER": str(raster),
            "CHECKPOINT": sam,
            "HEAD": trained["HEAD"],
            "DISSOLVE": dissolve,
            "CACHE_DIR": str(work / "cache"),
            "OUTPUT": "TEMPORARY_OUTPUT",
            "SUMMARY": "TEMPORARY_OUTPUT",
        },
    )
    classes, table = result["OUTPUT"], result["SUMMARY"]
    assert classes.crs().authid() == "EPSG:32633"
    expected = ["class", "class_id", "cells", "area_m2", "area_ha", "percent", "probability", "colour"]
    if not dissolve:
        expected = ["id", "class", "class_id", "probability", "area_m2", "colour"]
    assert [f.name() for f in classes.fields()] == expected
    assert classes.featureCount() == (
        16 if not dissolve else len({f["class"] for f in classes.getFeatures()})
    )
    total = sum(f["area_m2"] for f in classes.getFeatures())
    for feature in classes.getFeatures():
        assert feature["area_m2"] == pytest.approx(ellipsoidal_area(feature, classes.crs()), rel=1e-4)
    extent = QgsFeature()
    extent.setGeometry(QgsGeometry.fromRect(QgsRasterLayer(str(raster), "mosaic").extent()))
    assert total == pytest.approx(ellipsoidal_area(extent, classes.crs()), rel=1e-6)  # the cells tile it
    assert total == pytest.approx(result["AREA_HA"] * 1e4)
    assert not table.isSpatial() and table.featureCount() == len(CLASSES)
    rows = {f["class"]: f for f in table.getFeatures()}
    assert sorted(rows) == sorted(CLASSES)
    assert sum(f["area_m2"] for f in rows.values()) == pytest.approx(total)
    assert sum(f["percent"] for f in rows.values()) == pytest.approx(100.0)
    assert sum(f["cells"] for f in rows.values()) == 16


# -- evaluation -----------------------------------------------------------------------------------------------


def test_evaluate_segmentation_per_image_and_overall_with_the_standard_fpr(processing, rgb_tif, tmp_path):
    raster = QgsRasterLayer(str(rgb_tif), "rgb")
    crs = raster.crs().authid()
    reference_box, predicted_box = (
        pixel_box(raster, 350, 300, 450, 400),
        pixel_box(raster, 400, 300, 500, 400),
    )
    reference = QgsVectorLayer(
        save(
            memory_layer("Polygon", crs, "", [(QgsGeometry.fromRect(reference_box),)]), tmp_path / "ref.gpkg"
        ),
        "reference",
        "ogr",
    )
    predicted = memory_layer("Polygon", crs, "", [(QgsGeometry.fromRect(predicted_box),)])  # exported
    mask = tmp_path / "mask.tif"  # a mask raster equal to the reference
    with rasterio.open(rgb_tif) as ds:
        profile = {**ds.profile, "count": 1, "nodata": None}
        data = np.zeros((ds.height, ds.width), np.uint8)
    data[300:400, 350:450] = 1
    with rasterio.open(mask, "w", **profile) as dst:
        dst.write(data, 1)
    report = tmp_path / "report.json"
    result = run(
        processing,
        "evaluatesegmentation",
        {
            "PREDICTIONS": [predicted, str(mask)],
            "REFERENCES": [reference, reference],
            "GRIDS": [str(rgb_tif)],
            "INCLUDE_NODATA": True,  # RGB.byte has a few nodata pixels inside the boxes too
            "OUTPUT": "TEMPORARY_OUTPUT",
            "REPORT": str(report),
        },
    )
    table = result["OUTPUT"]
    rows = [f for f in table.getFeatures()]
    assert [r["image"] for r in rows] == ["RGB.byte", "RGB.byte", "overall"]
    first, second, overall = rows
    assert (first["tp"], first["fp"], first["fn"]) == (5000, 5000, 5000)
    assert first["iou"] == pytest.approx(1 / 3) and first["dice"] == pytest.approx(0.5)
    assert first["precision"] == pytest.approx(0.5) and first["recall"] == pytest.approx(0.5)
    assert first["tn"] == first["pixels"] - 15000 == 791 * 718 - 15000
    assert first["fpr"] == pytest.approx(5000 / (5000 + first["tn"]))  # FP/(FP+TN), not FP/(FP+FN)
    assert first["object_hit_rate"] == 0.0 and not first["iou_above_threshold"]
    assert (second["iou"], second["fp"], second["object_hit_rate"]) == (1.0, 0, 1.0)
    assert overall["accuracy"] == 0.5 and overall["mean_iou"] == pytest.approx(2 / 3)
    assert overall["object_hit_rate"] == 0.5 and overall["images"] == 2
    assert result["ACCURACY"] == 0.5 and result["FPR"] == pytest.approx(overall["fpr"])
    saved = json.loads(report.read_text())
    assert saved["overall"]["tp"] == overall["tp"] == 15000
    assert result["REPORT"] == str(report)


def test_classify_refuses_a_raster_far_coarser_than_the_head_with_the_same_message(
    processing, sam, trained, rgb_tif
):
    """The head was trained at 10 m (.png patches); RGB.byte.tif has 300 m pixels."""
    parameters = {
        "RASTER": str(rgb_tif),
        "CHECKPOINT": sam,
        "HEAD": trained["HEAD"],
        "OUTPUT": "TEMPORARY_OUTPUT",
        "SUMMARY": "TEMPORARY_OUTPUT",
    }
    feedback = RecordingFeedback()
    commands = []
    feedback.pushCommandInfo = commands.append
    with pytest.raises(QgsProcessingException, match=r"30× coarser.*--allow-upsample 30 to insist"):
        run(processing, "classifylandcover", {**parameters, "ALLOW_UPSAMPLE": 20.0}, feedback)
    assert len(commands) == 1 and "--allow-upsample 20.0" in commands[0]
