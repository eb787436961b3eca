"""The fine-tuning algorithms as Processing runs them: a raster and a polygon layer in another CRS → a tuned
checkpoint with its sidecar and report; the tuned checkpoint → detected objects with their measures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from finetune_data import write_raster_with_labels
from finetune_sets import small_checkpoint
from processing_helpers import run
from qgis.core import QgsVectorLayer

pytestmark = pytest.mark.usefixtures("processing")


@pytest.fixture(scope="module")
def tuned(processing, tmp_path_factory):
    work = tmp_path_factory.mktemp("finetune_alg")
    scene = write_raster_with_labels(work / "scene", size=1024, n_objects=14, seed=0)
    result = run(
        processing,
        "finetunedecoder",
        {
            "RASTER": str(scene["raster"]),
            "LABELS": str(scene["labels"][".gpkg"]),
            "CHECKPOINT": str(small_checkpoint(work)),
            "SIZES": "256",
            "EPOCHS": 1,
            "LEARNING_RATE": 1e-4,
            "CHIP_PX": 256,
            "CACHE_DIR": str(work / "cache"),
            "TUNED": str(work / "tuned.pth"),
            "REPORT_FOLDER": str(work / "report"),
        },
    )
    return result, scene, work


def test_finetune_decoder_writes_the_checkpoint_its_sidecar_and_the_report(tuned):
    result, _, work = tuned
    assert result["TUNED"] == str(work / "tuned.pth") and Path(result["TUNED"]).stat().st_size > 0
    sidecar = json.loads((work / "tuned.pth.json").read_text())
    assert sidecar["tile_px"] == 256 and sidecar["data"]["form"] == "raster"
    assert result["THRESHOLD"] == sidecar["threshold"]
    assert result["ACCURACY"] == sidecar["metrics"]["accuracy"]
    assert result["BASE_ACCURACY"] == sidecar["base_metrics"]["accuracy"]
    assert (work / "report" / "summary.json").is_file()


def test_detect_objects_with_the_tuned_checkpoint(processing, tuned):
    _, scene, work = tuned
    out = work / "objects.gpkg"
    result = run(
        processing,
        "detectobjects",
        {"RASTER": str(scene["raster"]), "CHECKPOINT": str(work / "tuned.pth"), "OUTPUT": str(out)},
    )
    layer = QgsVectorLayer(result["OUTPUT"], "objects", "ogr")
    assert layer.isValid() and layer.featureCount() == result["OBJECTS"]
    assert [f.name() for f in layer.fields()][-5:] == ["id", "probability", "area_m2", "perimeter_m", "model"]
    for feature in layer.getFeatures():
        assert feature["area_m2"] > 0 and 0 < feature["probability"] <= 1
