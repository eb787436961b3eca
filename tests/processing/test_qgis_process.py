"""The provider outside pytest's QGIS: ``qgis_process`` with the plugin in a plugin path, and a fresh QGIS
process showing that running an algorithm loads none of the libraries that clash with QGIS's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from cli_helpers import fresh_process_report
from pyproj import CRS

ROOT = Path(__file__).resolve().parents[2]
QGIS_PROCESS = Path("/usr/bin/qgis_process.bin")  # Debian's qgis_process wrapper passes a flag 3.22 rejects
CENTRE = (220_000.0, 2_720_000.0)  # inside RGB.byte.tif (UTM 18N)


@pytest.fixture(scope="module")
def qgis_process_env(tmp_path_factory) -> dict:
    """A plugin folder holding only ``terrasam`` (a link to this checkout) and a throw-away QGIS profile."""
    if not QGIS_PROCESS.is_file():
        pytest.skip(f"{QGIS_PROCESS} is not installed")
    work = tmp_path_factory.mktemp("qgis_process")
    (work / "plugins").mkdir()
    (work / "plugins" / "terrasam").symlink_to(ROOT, target_is_directory=True)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "QGIS_PLUGINPATH": str(work / "plugins"),
        "QGIS_CUSTOM_CONFIG_PATH": str(work / "profile"),
        "TERRASAM_PYTHON": sys.executable,  # the engine's Python: this environment's
    }
    return env


def qgis_process(env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(QGIS_PROCESS), *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_qgis_process_lists_the_provider_and_runs_an_algorithm(qgis_process_env, sam, rgb_tif, tmp_path):
    enabled = qgis_process(qgis_process_env, "plugins", "enable", "terrasam")
    assert enabled.returncode == 0, enabled.stderr
    listed = qgis_process(qgis_process_env, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert "TerraSAM" in [line.strip() for line in lines]
    for name in ("encoderaster", "segmentfromprompts", "segmenteverything", "classifylandcover"):
        assert any(line.strip().startswith(f"terrasam:{name}\t") for line in lines), listed.stdout

    x, y = CENTRE
    points = tmp_path / "points.geojson"
    pyogrio.raw.write(
        points,
        geometry=np.asarray(
            shapely.to_wkb([shapely.Point(x, y), shapely.Point(x + 20_000, y)]), dtype=object
        ),
        field_data=[np.array([1, 2])],
        fields=["site"],
        driver="GeoJSON",
        geometry_type="Point",
        crs="EPSG:32618",
    )
    out = tmp_path / "objects.gpkg"
    result = qgis_process(
        qgis_process_env, "run", "terrasam:segmentfromprompts", "--", f"RASTER={rgb_tif}", f"CHECKPOINT={sam}",
        f"POINTS={points}", "GROUP_FIELD=site", f"CACHE_DIR={tmp_path / 'cache'}", f"OUTPUT={out}",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "OBJECTS:\t2" in result.stdout
    info = pyogrio.read_info(out)
    assert info["features"] == 2 and "area_m2" in list(info["fields"]) and "site" in list(info["fields"])
    assert CRS.from_user_input(info["crs"]).to_epsg() == 32618

    failed = qgis_process(
        qgis_process_env, "run", "terrasam:segmentfromprompts", "--", f"RASTER={rgb_tif}",
        f"CHECKPOINT={tmp_path / 'missing.pth'}", f"POINTS={points}", f"OUTPUT={tmp_path / 'not.gpkg'}",
    )  # fmt: skip
    assert failed.returncode != 0 and "missing.pth" in failed.stdout + failed.stderr
    assert not (tmp_path / "not.gpkg").exists()


# A fresh process: this test process imported all of the heavy libraries long ago.
CODE = """
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
root, raster, checkpoint, cache, heavy = sys.argv[1:6]
sys.path[:0] = [root, root + "/tools"]
from qgis.core import QgsApplication, QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
sys.path.append(os.path.join(app.pkgDataPath(), "python", "plugins"))
from processing.core.Processing import Processing
Processing.initialize()
import processing
from plugin_package import load_plugin_package
plugin = load_plugin_package().classFactory(None)
plugin.initProcessing()
points = QgsVectorLayer("Point?crs=EPSG:32618&field=site:integer", "points", "memory")
feature = QgsFeature(points.fields())
feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(220000, 2720000)))
feature.setAttributes([1])
points.dataProvider().addFeature(feature)
result = processing.run("terrasam:segmentfromprompts", {
    "RASTER": raster, "CHECKPOINT": checkpoint, "POINTS": points, "CACHE_DIR": cache, "OUTPUT": "TEMPORARY_OUTPUT",
})
report = {
    "features": result["OUTPUT"].featureCount(),
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in heavy.split(",")),
}
plugin.unload()
print(json.dumps(report))
sys.stdout.flush()
os._exit(0)
"""


def test_running_an_algorithm_in_qgis_loads_none_of_the_clashing_libraries(sam, rgb_tif, tmp_path):
    report = fresh_process_report(CODE, ROOT, rgb_tif, sam, tmp_path / "cache")
    assert report == {"features": 1, "loaded": []}
