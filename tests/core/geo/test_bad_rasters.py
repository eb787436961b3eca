"""Bad rasters through every command that reads one, as a user runs them (``python -m sam_core`` in a
subprocess): one ``error:`` line saying what is wrong, exit 2, no traceback, no output file. And the rule
behind them: NaN/inf pixels are nodata, always, and the stretch comes from valid pixels only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
import torch
from affine import Affine
from cli_helpers import assert_user_error, run_cli
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS

from bench.patchsets import CLASSES
from sam_core.errors import SamCoreError
from sam_core.evaluation.evaluate import evaluate
from sam_core.geo.raster import RasterSource
from sam_core.geo.tiles import PixelWindow

SIZE = 160
ORIGIN = (500000.0, 4000000.0)
GOOD = Affine(10, 0, ORIGIN[0], 0, -10, ORIGIN[1])
CENTRE = (ORIGIN[0] + 10 * SIZE / 2, ORIGIN[1] - 10 * SIZE / 2)


def _write(path: Path, data: np.ndarray, **profile) -> Path:
    gcps = profile.pop("gcps", None)
    base = {"driver": "GTiff", "width": data.shape[2], "height": data.shape[1], "count": data.shape[0]}
    with rasterio.open(path, "w", dtype=str(data.dtype), **base, **profile) as ds:
        ds.write(data)
        if gcps is not None:
            ds.gcps = gcps
    return path


def _zero_pixel_vrt(folder: Path, source: Path) -> Path:
    """A VRT whose geotransform has a zero pixel width (GeoTIFF cannot store one: GDAL writes a tiepoint)."""
    bands = "".join(
        f'<VRTRasterBand dataType="Byte" band="{b}"><SimpleSource><SourceFilename relativeToVRT="1">'
        f"{source.name}</SourceFilename><SourceBand>{b}</SourceBand></SimpleSource></VRTRasterBand>"
        for b in (1, 2, 3)
    )
    path = folder / "zero_pixel.vrt"
    path.write_text(
        f'<VRTDataset rasterXSize="{SIZE}" rasterYSize="{SIZE}"><SRS>EPSG:32633</SRS>'
        f"<GeoTransform>{ORIGIN[0]}, 0, 0, {ORIGIN[1]}, 0, -10</GeoTransform>{bands}</VRTDataset>"
    )
    return path


@pytest.fixture(scope="module")
def bad(tmp_path_factory, tiny_checkpoint) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad_rasters")
    rng = np.random.default_rng(0)
    pixels = rng.integers(1, 255, (3, SIZE, SIZE), dtype=np.uint8)
    good = _write(folder / "good.tif", pixels, crs="EPSG:32633", transform=GOOD)
    corners = [(0, 0), (0, SIZE), (SIZE, 0)]
    gcps = [GroundControlPoint(r, c, ORIGIN[0] + 10 * c, ORIGIN[1] - 10 * r) for r, c in corners]
    nan = np.full((3, SIZE, SIZE), np.nan, np.float32)
    inf = np.full((3, SIZE, SIZE), np.inf, np.float32)
    from sam_core.landcover.head import new_head
    from sam_core.sam.model import load_model

    torch.manual_seed(0)
    head = new_head(load_model(tiny_checkpoint, "cpu"), CLASSES, input_gsd_m=10.0).save(folder / "head.pt")
    box = shapely.box(CENTRE[0] - 200, CENTRE[1] - 200, CENTRE[0] + 200, CENTRE[1] + 200)
    polygons = folder / "objects.gpkg"
    pyogrio.raw.write(
        str(polygons), np.asarray(shapely.to_wkb([box]), dtype=object), [], [],
        driver="GPKG", geometry_type="Polygon", crs="EPSG:32633",
    )  # fmt: skip
    return {
        "good": good,
        "zero_pixel": _zero_pixel_vrt(folder, good),
        "gcp_only": _write(folder / "gcp_only.tif", pixels, gcps=(gcps, CRS.from_epsg(32633))),
        "no_crs": _write(folder / "no_crs.tif", pixels, transform=GOOD),
        "bare": _write(folder / "bare.tif", pixels),
        "all_nan": _write(folder / "all_nan.tif", nan, crs="EPSG:32633", transform=GOOD),
        "all_inf": _write(folder / "all_inf.tif", inf, crs="EPSG:32633", transform=GOOD),
        "all_nodata": _write(
            folder / "all_nodata.tif", pixels * 0, crs="EPSG:32633", transform=GOOD, nodata=0
        ),
        "head": head,
        "polygons": polygons,
    }


#: raster → words its error line must hold
RASTERS = {
    "zero_pixel": ("zero_pixel.vrt", "zero pixel size"),
    "gcp_only": ("gcp_only.tif", "only GCPs", "gdalwarp"),
    "no_crs": ("no_crs.tif", "no CRS", "gdal_edit.py -a_srs"),
    "bare": ("bare.tif", "neither a geotransform nor a CRS"),
    "all_nan": ("all_nan.tif", "no valid pixel", "NaN"),
    "all_inf": ("all_inf.tif", "no valid pixel", "infinite"),
    "all_nodata": ("all_nodata.tif", "no valid pixel", "nodata"),
}
COMMANDS = ("segment", "everything", "classify", "encode", "evaluate")
#: evaluate takes a grid without a CRS (the polygons' CRS, with a warning): not an error there
#: every raster for segment and classify; the shared mechanism once per kind for the other commands
CASES = [(c, r) for c in ("segment", "classify") for r in RASTERS] + [
    (c, r) for c in ("everything", "encode", "evaluate") for r in ("zero_pixel", "gcp_only", "all_nan")
]


def _command(command: str, raster: Path, bad: dict, checkpoint: Path, out: Path) -> list:
    model = ["--checkpoint", checkpoint, "--device", "cpu"]
    if command == "segment":
        return ["segment", raster, *model, "--point", f"{CENTRE[0]},{CENTRE[1]}", "--out", out]
    if command == "everything":
        return ["everything", raster, *model, "--points-per-side", "2", "--out", out]
    if command == "classify":
        return ["classify", raster, *model, "--head", bad["head"], "--out", out]
    if command == "encode":
        return ["encode", raster, *model, "--cache-dir", out]
    return ["evaluate", bad["polygons"], bad["polygons"], "--raster", raster, "--out", out]


@pytest.mark.parametrize(("command", "raster"), CASES)
def test_a_bad_raster_is_one_error_line_and_no_output(tmp_path, bad, tiny_checkpoint, command, raster):
    out = tmp_path / (
        "result.json" if command == "evaluate" else "cache" if command == "encode" else "o.gpkg"
    )
    result = run_cli(*_command(command, bad[raster], bad, tiny_checkpoint, out))
    assert_user_error(result, *RASTERS[raster])
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["segment", "encode", "evaluate"])  # everything/classify: own tests
def test_the_good_raster_passes_the_same_commands(tmp_path, bad, tiny_checkpoint, command):
    """The table above fails for the raster, not for the command line."""
    out = tmp_path / (
        "result.json" if command == "evaluate" else "cache" if command == "encode" else "o.gpkg"
    )
    result = run_cli(*_command(command, bad["good"], bad, tiny_checkpoint, out))
    assert result.returncode == 0, result.stderr
    assert out.exists()


def test_info_still_describes_a_raster_it_would_refuse(bad):
    result = run_cli("info", bad["gcp_only"])
    assert result.returncode == 0 and "Traceback" not in result.stderr


# -- NaN/inf pixels are nodata ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nan_holes(tmp_path_factory) -> Path:
    """A float32 raster with NaN and inf holes and no declared nodata."""
    rng = np.random.default_rng(1)
    data = (rng.random((3, SIZE, SIZE)) * 1000 + 100).astype(np.float32)
    data[:, 40:100, 40:100] = np.nan
    data[1, 0:8, :] = np.inf  # one band infinite: the pixel is nodata
    data[2, 150:, 150:] = -np.inf
    path = tmp_path_factory.mktemp("nan") / "nan_holes.tif"
    return _write(path, data, crs="EPSG:32633", transform=GOOD)


def _hole(shape) -> np.ndarray:
    hole = np.zeros(shape, bool)
    hole[40:100, 40:100] = hole[0:8, :] = hole[150:, 150:] = True
    return hole


def test_the_stretch_comes_from_finite_pixels_and_holes_are_nodata(nan_holes):
    with rasterio.open(nan_holes) as ds:
        data = ds.read()
    finite = np.isfinite(data).all(axis=0)
    with RasterSource(nan_holes) as source:
        stretch = source.stretch
        image = source.read_window(PixelWindow(0, 0, SIZE, SIZE))
    assert np.all(np.isfinite(stretch.low)) and np.all(np.isfinite(stretch.high))
    for b in range(3):
        low, high = np.percentile(data[b][finite], (2, 98))
        assert stretch.low[b] == pytest.approx(low) and stretch.high[b] == pytest.approx(high)
    assert np.array_equal(image.valid, ~_hole((SIZE, SIZE)))
    assert not image.rgb[~image.valid].any()  # holes are black, the rest a real stretch
    assert image.rgb[image.valid].std() > 30


def test_a_nan_hole_is_left_out_of_the_segmented_object(tmp_path, nan_holes, tiny_checkpoint):
    out = tmp_path / "o.gpkg"
    x, y = ORIGIN[0] + 10 * 120.5, ORIGIN[1] - 10 * 120.5  # beside the hole
    result = run_cli(
        "segment", nan_holes, "--checkpoint", tiny_checkpoint, "--device", "cpu",
        "--point", f"{x},{y}", "--box", ",".join(map(str, (ORIGIN[0], ORIGIN[1] - 10 * SIZE, ORIGIN[0] + 10 * SIZE, ORIGIN[1]))),
        "--out", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    _meta, _fids, wkb, _fields = pyogrio.raw.read(out)
    objects = shapely.from_wkb(wkb)
    hole = shapely.box(ORIGIN[0] + 400, ORIGIN[1] - 1000, ORIGIN[0] + 1000, ORIGIN[1] - 400)
    assert objects.size == 1 and not objects[0].is_empty
    assert shapely.area(shapely.intersection(objects[0], hole)) == pytest.approx(0.0, abs=1e-6)


def test_evaluate_counts_no_nan_pixel_of_the_grid(tmp_path, nan_holes, bad):
    result = evaluate([(bad["polygons"], bad["polygons"], nan_holes)])
    assert result["images"][0]["pixels"] == SIZE * SIZE - int(_hole((SIZE, SIZE)).sum())


def test_a_raster_with_one_small_valid_area_is_not_refused(tmp_path):
    """The valid-pixel check is not fooled by the decimated read: a lone valid block is found."""
    width = 3000  # decimated to 1024: most pixels are never looked at
    data = np.zeros((1, 64, width), np.uint8)
    data[0, 10, 1001] = 200
    path = _write(tmp_path / "sparse.tif", data, crs="EPSG:32633", transform=GOOD, nodata=0)
    with RasterSource(path) as source:
        assert source.stretch.low[0] == 200.0
    data[:] = 0
    _write(path, data, crs="EPSG:32633", transform=GOOD, nodata=0)
    with pytest.raises(SamCoreError, match="no valid pixel"):
        RasterSource(path)
