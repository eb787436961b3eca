"""Land-cover classification: data sets, training, head files, the cell grid, inference from tile embeddings, CLI.

Everything runs the tiny random-weight SAM (``tiny_checkpoint``) through the product's own loader. Labelled
data are generated here (``bench.patchsets``): four classes with their own colours and textures (crop
stripes, forest blobs, roofs on grey, water), brightness jitter and noise per patch, written in EuroSAT's
folder layout as .png or as 13-band uint16 GeoTIFFs.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
import torch
from affine import Affine
from cli_helpers import assert_user_error, run_cli
from pyproj import CRS, Geod, Transformer

from bench.patchsets import CLASSES, write_class_mosaic, write_patch_set
from sam_core.errors import Cancelled, SamCoreError
from sam_core.geo.gsd import ResampledSource, ground_gsd_m
from sam_core.geo.measures import measure
from sam_core.landcover.classify import (
    CELL_FIELDS,
    CLASS_FIELDS,
    ClassifyOptions,
    classify_raster,
    write_summary,
)
from sam_core.landcover.features import PACKED, PER_PATCH, extract_features
from sam_core.landcover.head import EUROSAT_COLOURS, load_head, new_head
from sam_core.landcover.patches import open_patch_set
from sam_core.landcover.train import TrainOptions, stratified_split, train_classifier
from sam_core.sam.embeddings import EmbeddingCache, TileEncoder
from sam_core.sam.model import load_model
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config

#: Held-out accuracy a head must reach on the generated 4-class set. Chance is 25 % (balanced classes). The
#: classes differ in colour and texture, which pooled features of even a random-weight encoder keep (random
#: projections preserve distances), so a correct pipeline scores ~95–100 %; 85 % leaves room for the random
#: weights, yet fails as soon as features stop belonging to their own patch (pooling another slot of the pack,
#: a shuffled order, labels out of step with features all fall towards chance).
ACCURACY_BAR = 0.85


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("classify")


@pytest.fixture(scope="module")
def png_set(work) -> Path:
    return write_patch_set(work / "png", per_class=50, seed=0)  # 200 patches


@pytest.fixture(scope="module")
def cache(work) -> EmbeddingCache:
    return EmbeddingCache(work / "features")


@pytest.fixture(scope="module")
def trained(png_set, model, cache):
    return train_classifier(png_set, model, TrainOptions(train_fractions=(0.5,), epochs=60), cache)


@pytest.fixture(scope="module")
def head(trained):
    return trained.head


def random_head(model, gsd: float = 10.0, seed: int = 0):
    torch.manual_seed(seed)
    return new_head(model, CLASSES, input_gsd_m=gsd)


# -- training ---------------------------------------------------------------------------------------


def test_packed_training_on_generated_patches_is_far_above_chance(trained):
    assert trained.features.encoder_calls == 1  # 200 patches fit in one 16×16 pack
    assert trained.features.values.shape == (200, 64)  # the tiny encoder's 64 output channels
    (run,) = trained.runs
    report = run.report
    assert report["accuracy"] >= ACCURACY_BAR
    assert (report["n_train"], report["n_held_out"]) == (100, 100)
    matrix = np.asarray(report["confusion_matrix"])
    assert matrix.sum() == 100 and matrix.sum(axis=1).tolist() == [25, 25, 25, 25]
    assert np.trace(matrix) / 100 == pytest.approx(report["accuracy"])
    for k, entry in enumerate(report["classes"]):
        assert entry["name"] == CLASSES[k]
        assert entry["recall"] == pytest.approx(matrix[k, k] / 25)
        assert entry["precision"] == pytest.approx(matrix[k, k] / matrix[:, k].sum())
    history = report["history"]
    assert history["epoch"] == list(range(1, 61))
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_same_seed_gives_the_same_head_from_cached_features(png_set, model, cache, trained):
    again = train_classifier(png_set, model, TrainOptions(train_fractions=(0.5,), epochs=60), cache)
    assert again.features.encoder_calls == 0 and again.features.cached == 200  # features from the cache
    first, second = trained.head.net.state_dict(), again.head.net.state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert again.runs[0].report == trained.runs[0].report

    other = train_classifier(png_set, model, TrainOptions(train_fractions=(0.5,), epochs=60, seed=1), cache)
    assert not torch.equal(other.head.net.state_dict()["layers.0.weight"], first["layers.0.weight"])


def test_split_sweep_is_stratified_and_the_largest_fraction_is_saved(png_set, model, cache):
    labels = open_patch_set(png_set).labels
    for fraction, per_class in ((0.2, 10), (0.5, 25), (0.8, 40)):
        train, held = stratified_split(labels, fraction, seed=3)
        assert np.bincount(labels[train]).tolist() == [per_class] * 4
        assert not set(train) & set(held) and len(train) + len(held) == 200
    result = train_classifier(
        png_set, model, TrainOptions(train_fractions=(0.8, 0.2, 0.5), epochs=30, head="mlp"), cache
    )
    assert [run.fraction for run in result.runs] == [0.2, 0.5, 0.8]
    assert result.head is result.runs[-1].head
    assert result.head.training["train_fraction"] == 0.8 and result.head.kind == "mlp"
    assert all(run.report["accuracy"] >= ACCURACY_BAR for run in result.runs[1:])


def test_per_patch_mode_runs_one_encoder_pass_per_patch(tmp_path):
    data = write_patch_set(tmp_path / "small", per_class=4, classes=CLASSES[:3], seed=5)
    patches = open_patch_set(data)
    save_random_checkpoint(tmp_path / "sam256.pth", tiny_config(img_size=256), seed=0)  # 4×4 patches per pack
    model = load_model(tmp_path / "sam256.pth", "cpu")
    alone = extract_features(patches, model, PER_PATCH)
    packed = extract_features(patches, model, PACKED)
    assert (alone.encoder_calls, packed.encoder_calls) == (12, 1)
    assert alone.values.shape == packed.values.shape == (12, 64)
    assert not np.allclose(alone.values, packed.values)  # an enlarged patch is not the patch at its scale


def test_multiband_geotiffs_use_b4_b3_b2_and_one_stretch(tmp_path, model):
    data = write_patch_set(tmp_path / "ms", per_class=30, kind="tif", seed=2)
    patches = open_patch_set(data)
    assert (patches.kind, patches.band_count, patches.bands, patches.bands_explicit) == (
        "multiband",
        13,
        (4, 3, 2),
        False,
    )
    assert patches.dtype == "uint16" and patches.gsd_m == pytest.approx(10.0, rel=1e-3)
    assert all(
        300 <= low < high <= 300 + 10 * 255 for low, high in zip(patches.stretch.low, patches.stretch.high)
    )
    result = train_classifier(data, model, TrainOptions(train_fractions=(0.5,), head="mlp", epochs=60))
    assert result.runs[0].report["accuracy"] >= ACCURACY_BAR
    head = result.head
    assert head.bands == (4, 3, 2) and head.source_dtype == "uint16" and head.stretch == patches.stretch

    noise = open_patch_set(data, bands=(1, 5, 6))  # bands of pure noise: nothing to learn
    assert noise.bands == (1, 5, 6) and noise.bands_explicit


# -- data folder errors -------------------------------------------------------------------------------


def _one_class(root: Path) -> None:
    write_patch_set(root, per_class=3, classes=("Forest",))


def _unreadable(root: Path) -> None:
    write_patch_set(root, per_class=3, classes=CLASSES[:2])
    (root / "Forest" / "broken.png").write_bytes(b"this is not a PNG file")


def _one_image(root: Path) -> None:
    write_patch_set(root, per_class=3, classes=CLASSES[:2])
    write_patch_set(root, per_class=1, classes=("SeaLake",))


def _mixed(root: Path) -> None:
    write_patch_set(root, per_class=3, classes=CLASSES[:2])
    write_patch_set(root, per_class=3, classes=CLASSES[2:], kind="tif")


def _empty_class(root: Path) -> None:
    write_patch_set(root, per_class=3, classes=CLASSES[:2])
    (root / "SeaLake").mkdir()


DATA_ERRORS = {
    "one class": (_one_class, "at least two classes"),
    "unreadable image": (_unreadable, "cannot read image Forest/broken.png"),
    "class with one image": (_one_image, "'SeaLake' has only one image"),
    "mixed kinds": (_mixed, "mixes .tif and .jpg/.png"),
    "empty class folder": (_empty_class, "'SeaLake' holds no images"),
    "missing folder": (None, "data folder not found"),
}


@pytest.mark.parametrize("case", sorted(DATA_ERRORS))
def test_bad_data_folders_are_clear_errors(tmp_path, case):
    make, words = DATA_ERRORS[case]
    root = tmp_path / "data"
    if make:
        make(root)
    with pytest.raises(SamCoreError, match=words):
        open_patch_set(root)


def test_an_image_that_breaks_while_decoding_names_the_file(tmp_path, model):
    root = write_patch_set(tmp_path / "data", per_class=3, classes=CLASSES[:2])
    target = root / "Forest" / "Forest_1.png"
    target.write_bytes(target.read_bytes()[:120])  # the header survives, the pixels do not
    with pytest.raises(SamCoreError, match="cannot read image Forest/Forest_1.png"):
        train_classifier(root, model, TrainOptions(epochs=1))


def test_training_options_are_checked():
    for options, words in (
        (TrainOptions(train_fractions=(0.5, 1.0)), "between 0 and 1"),
        (TrainOptions(head="svm"), "unknown head"),
        (TrainOptions(mode="tiled"), "unknown feature mode"),
        (TrainOptions(epochs=0), "at least 1"),
    ):
        with pytest.raises(SamCoreError, match=words):
            options.validate()


# -- head file -----------------------------------------------------------------------------------------


def test_head_file_round_trip(tmp_path, head, trained, model):
    path = head.save(tmp_path / "eurosat.pt")
    payload = torch.load(path, weights_only=True)  # plain tensors and strings: no pickled objects
    assert payload["format"] == "terrasam-classifier-head"
    loaded = load_head(path, model)
    assert loaded.metadata() == head.metadata()
    assert loaded.class_names == CLASSES
    assert loaded.colours == tuple(EUROSAT_COLOURS[n] for n in CLASSES)
    assert (loaded.input_gsd_m, loaded.patch_px, loaded.feature_mode) == (10.0, 64, PACKED)
    assert loaded.encoder["fingerprint"] == model.info.fingerprint
    features = trained.features.values
    assert np.array_equal(loaded.predict_proba(features), head.predict_proba(features))
    assert not list(tmp_path.glob(".*tmp")), "temporary file left behind"


def test_a_head_from_another_encoder_is_refused(tmp_path, head):
    other_path = tmp_path / "other_sam.pth"
    save_random_checkpoint(other_path, tiny_config(), seed=1)
    other = load_model(other_path, "cpu")
    path = head.save(tmp_path / "head.pt")
    with pytest.raises(SamCoreError, match="another encoder"):
        load_head(path, other)
    with pytest.raises(SamCoreError, match="another encoder"):
        classify_raster(tmp_path / "never-read.tif", other, head)


def test_damaged_or_foreign_head_files_are_clear_errors(tmp_path, head, tiny_checkpoint):
    good = head.save(tmp_path / "head.pt").read_bytes()
    (tmp_path / "truncated.pt").write_bytes(good[: len(good) // 2])
    cases = {
        tmp_path / "missing.pt": "head file not found",
        tmp_path / "truncated.pt": "damaged",
        tiny_checkpoint: "not a TerraSAM classifier head",
    }
    for path, words in cases.items():
        with pytest.raises(SamCoreError, match=words):
            load_head(path)


# -- the cell grid ----------------------------------------------------------------------------------------


def write_plain_raster(path: Path, crs: str, pixel: tuple[float, float], origin, size=(1100, 700)) -> Path:
    """3-band uint8, no nodata."""
    width, height = size
    rng = np.random.default_rng(0)
    data = rng.integers(0, 255, (3, height, width), dtype=np.uint8)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 3,
        "dtype": "uint8",
        "crs": crs,
        "transform": Affine(pixel[0], 0, origin[0], 0, -pixel[1], origin[1]),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def independent_area(extent, extent_crs: CRS, points: int = 2000) -> float:
    """Geodesic area of an extent rectangle (its edges straight in its own CRS), densified in that CRS."""
    xmin, ymin, xmax, ymax = extent
    t = np.linspace(0, 1, points, endpoint=False)
    xs = np.concatenate(
        [xmin + (xmax - xmin) * t, np.full_like(t, xmax), xmax - (xmax - xmin) * t, np.full_like(t, xmin)]
    )
    ys = np.concatenate(
        [np.full_like(t, ymin), ymin + (ymax - ymin) * t, np.full_like(t, ymax), ymax - (ymax - ymin) * t]
    )
    lon, lat = Transformer.from_crs(extent_crs, extent_crs.geodetic_crs, always_xy=True).transform(xs, ys)
    area, _ = Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)
    return abs(area)


GRID_CASES = {
    # raster CRS, pixel size, origin, extent CRS (None: the raster's), extent as fractions of the raster
    "UTM, extent in UTM": ("EPSG:32633", (10.0, 10.0), (500_000, 5_000_000), None),
    "UTM, extent in EPSG:4326": ("EPSG:32633", (10.0, 10.0), (500_000, 5_000_000), "EPSG:4326"),
    "EPSG:4326, extent in EPSG:3857": ("EPSG:4326", (1e-4, 1e-4), (12.0, 45.05), "EPSG:3857"),
    "EPSG:3857, extent in EPSG:4326": ("EPSG:3857", (10.0, 10.0), (1_335_000, 5_622_000), "EPSG:4326"),
}


@pytest.mark.parametrize("case", sorted(GRID_CASES))
def test_cells_tile_the_extent_exactly_and_their_areas_sum_to_its_area(tmp_path, model, case):
    crs_code, pixel, origin, extent_code = GRID_CASES[case]
    raster = write_plain_raster(tmp_path / "plain.tif", crs_code, pixel, origin)
    raster_crs = CRS.from_user_input(crs_code)
    with rasterio.open(raster) as ds:
        b, transform = ds.bounds, ds.transform
    # an extent cutting cells, 13 % to 81 % across and 9 % to 77 % down the raster
    extent = (
        b.left + 0.13 * (b.right - b.left),
        b.bottom + 0.23 * (b.top - b.bottom),
        b.left + 0.81 * (b.right - b.left),
        b.bottom + 0.91 * (b.top - b.bottom),
    )
    extent_crs = raster_crs
    if extent_code:
        extent_crs = CRS.from_user_input(extent_code)
        xs, ys = Transformer.from_crs(raster_crs, extent_crs, always_xy=True).transform(
            extent[0::2], extent[1::2]
        )
        extent = (xs[0], ys[0], xs[1], ys[1])
    head = random_head(model)
    result = classify_raster(raster, model, head, extent, extent_crs if extent_code else None)

    geometries = [cell["geometry"] for cell in result.cells]
    union = shapely.union_all(geometries)
    planar = sum(g.area for g in geometries)
    assert planar == pytest.approx(union.area, rel=1e-9)  # no overlaps
    assert shapely.symmetric_difference(union, result.extent).area < 1e-9 * union.area  # no gaps
    total = sum(cell["area_m2"] for cell in result.cells)
    assert total == pytest.approx(measure(result.extent, raster_crs).area_m2, rel=1e-9)
    assert total == pytest.approx(independent_area(extent, extent_crs), rel=2e-6)
    assert all(
        cell["area_m2"] == pytest.approx(measure(cell["geometry"], raster_crs).area_m2, rel=1e-12)
        for cell in result.cells
    )

    # every cell lies in one square of the grid anchored at the raster's origin
    inverse = ~(transform @ Affine.scale(result.scale))
    c = result.cell_size_px
    for g in geometries:
        u, v = np.asarray(shapely.get_coordinates(g)).T
        cu, cv = inverse @ (u, v)
        col, row = np.floor(np.mean(cu) / c), np.floor(np.mean(cv) / c)
        assert cu.min() >= col * c - 1e-6 and cu.max() <= (col + 1) * c + 1e-6
        assert cv.min() >= row * c - 1e-6 and cv.max() <= (row + 1) * c + 1e-6
    assert result.skipped_cells == 0
    resampled = abs(ground_gsd_m(transform, 1100, 700, raster_crs) / 10.0 - 1) > 0.05
    assert (result.scale != 1.0) == resampled


def test_a_cell_size_in_metres_sets_the_grid(tmp_path, model):
    raster = write_plain_raster(tmp_path / "utm.tif", "EPSG:32633", (10.0, 10.0), (500_000, 5_000_000))
    result = classify_raster(raster, model, random_head(model), options=ClassifyOptions(cell_size_m=2000))
    gsd = result.raster_gsd_m
    assert result.cell_size_m == pytest.approx(2000)
    assert result.cell_size_px == pytest.approx(2000 / gsd)
    assert len(result.cells) == np.ceil(1100 * gsd / 2000) * np.ceil(700 * gsd / 2000)


# -- inference --------------------------------------------------------------------------------------------


def count_encoder_passes(model, monkeypatch) -> list:
    """Every encoder pass starts with the patch embedding, whether it runs as one ``forward`` or block by
    block (``embeddings.run_image_encoder``, which checks cancel between blocks): count there."""
    calls = []
    patch_embed = model.sam.image_encoder.patch_embed
    forward = patch_embed.forward

    def counting(x):
        calls.append(tuple(x.shape))
        return forward(x)

    monkeypatch.setattr(patch_embed, "forward", counting)
    return calls


@pytest.mark.parametrize(("width", "overlap"), [(2048, 0), (1792, 256)])
def test_a_raster_of_k_tiles_costs_k_encoder_passes(tmp_path, model, monkeypatch, width, overlap):
    raster = write_plain_raster(
        tmp_path / "two.tif", "EPSG:32633", (10.0, 10.0), (500_000, 5_000_000), (width, 1024)
    )
    passes = count_encoder_passes(model, monkeypatch)
    cache = EmbeddingCache()
    options = ClassifyOptions(overlap=overlap)
    result = classify_raster(raster, model, random_head(model), options=options, cache=cache)
    assert result.tiles == 2 and result.encoder_calls == 2 and len(passes) == 2
    assert passes[0] == (1, 3, 1024, 1024)
    assert len(result.cells) == (width // 64) * (1024 // 64)  # far more cells than passes
    again = classify_raster(raster, model, random_head(model), options=options, cache=cache)
    assert again.encoder_calls == 0 and len(passes) == 2
    assert [c["class_id"] for c in again.cells] == [c["class_id"] for c in result.cells]


def test_a_cell_pools_its_own_embedding_cells_from_the_nearest_tile(tmp_path, model):
    """1792 px wide, overlap 256: tiles at columns 0 and 768 share [768, 1024); the middle (896) divides them.
    Each cell's probabilities must be the head applied to the mean of the 4×4 encoder cells under it."""
    raster = write_plain_raster(
        tmp_path / "r.tif", "EPSG:32633", (10.0, 10.0), (500_000, 5_000_000), (1792, 1024)
    )
    head = random_head(model, seed=3)
    result = classify_raster(raster, model, head, options=ClassifyOptions(overlap=256))
    by_position = {}
    with rasterio.open(raster) as ds:
        inverse = ~ds.transform
    for cell in result.cells:
        u, v = inverse @ shapely.centroid(cell["geometry"]).coords[0]
        by_position[(int(u // 64), int(v // 64))] = cell
    assert len(by_position) == 28 * 16
    with ResampledSource(raster, stretch=head.stretch) as source:  # "auto": an 8-bit raster, a .png head
        encoder = TileEncoder(model, source)
        grid = source.grid(1024, 256)
        for (col, row), tile_col in (((3, 2), 0), ((13, 5), 0), ((14, 5), 1), ((27, 15), 1)):
            tile = grid.tile(tile_col, 0)
            embedding = encoder.encode(tile).embedding[0]
            c0, r0 = (col * 64 - tile.window.col_off) // 16, (row * 64) // 16
            feature = embedding[:, r0 : r0 + 4, c0 : c0 + 4].mean(dim=(1, 2)).numpy()[None]
            expected = head.predict_proba(feature)[0]
            cell = by_position[(col, row)]
            assert cell["class_id"] == expected.argmax()
            assert cell["probability"] == pytest.approx(expected.max(), rel=1e-5)


def mosaic_blocks() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 4, (8, 8))


def test_a_trained_head_recognises_its_classes_in_a_raster_at_any_resolution(tmp_path, model, head):
    blocks = mosaic_blocks()  # 8×8 blocks of 128 px = 2×2 cells each, at the head's 10 m
    ten = write_class_mosaic(tmp_path / "ten.tif", blocks, 128, pixel=10.0)
    five = write_class_mosaic(tmp_path / "five.tif", blocks, 128, pixel=10.0, repeat=2)  # same scene at 5 m
    cache = EmbeddingCache()
    at_ten = classify_raster(ten, model, head, cache=cache)
    truth = blocks.repeat(2, axis=0).repeat(2, axis=1).ravel()
    predicted = np.array([c["class_id"] for c in at_ten.cells])
    assert len(predicted) == 256 and (predicted == truth).mean() >= ACCURACY_BAR
    assert at_ten.scale == 1.0 and at_ten.tiles == 1

    at_five = classify_raster(five, model, head, cache=cache)
    assert at_five.scale == pytest.approx(2.0, rel=1e-3)
    # averaging 2×2 pixels gives back the 10 m raster exactly: the same tile, found in the cache
    assert at_five.encoder_calls == 0
    assert [c["class_id"] for c in at_five.cells] == predicted.tolist()
    for a, b in zip(at_ten.cells, at_five.cells):
        assert shapely.equals_exact(a["geometry"], b["geometry"], tolerance=1e-6)


def test_dissolve_and_summary_agree_with_the_cells(tmp_path, model, head):
    raster = write_class_mosaic(tmp_path / "mosaic.tif", mosaic_blocks(), 128)
    result = classify_raster(raster, model, head)
    total = sum(c["area_m2"] for c in result.cells)
    dissolved = result.dissolved()
    assert sorted(d["class"] for d in dissolved) == sorted({c["class"] for c in result.cells})
    for record in dissolved:
        mine = [c for c in result.cells if c["class_id"] == record["class_id"]]
        assert record["cells"] == len(mine)
        assert record["area_m2"] == pytest.approx(sum(c["area_m2"] for c in mine), rel=1e-12)
        assert measure(record["geometry"], result.crs).area_m2 == pytest.approx(record["area_m2"], rel=1e-6)
        assert record["area_ha"] == pytest.approx(record["area_m2"] / 1e4)
        assert set(CLASS_FIELDS) <= set(record)
    summary = result.summary()
    assert [c["class"] for c in summary["classes"]] == list(CLASSES)
    assert sum(c["percent"] for c in summary["classes"]) == pytest.approx(100.0)
    assert summary["area_m2"] == pytest.approx(total)
    assert summary["cells"] == 256 and summary["tiles"] == 1
    assert all(set(CELL_FIELDS) <= set(c) for c in result.cells)

    json_path = write_summary(tmp_path / "areas.json", result)
    assert json.loads(json_path.read_text()) == json.loads(json.dumps(summary))
    with write_summary(tmp_path / "areas.csv", result).open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["class"] for r in rows] == list(CLASSES)
    assert sum(float(r["area_ha"]) for r in rows) == pytest.approx(total / 1e4, abs=1e-3)
    with pytest.raises(SamCoreError, match=".json or .csv"):
        write_summary(tmp_path / "areas.txt", result)


def test_nodata_cells_are_skipped_not_classified(rgb_tif, model):
    head = random_head(model, gsd=300.0)  # RGB.byte.tif: 300 m Landsat pixels with a nodata collar
    result = classify_raster(rgb_tif, model, head)
    assert result.scale == 1.0 and result.cell_size_px == 64
    with rasterio.open(rgb_tif) as ds:
        valid = np.any(ds.read_masks() > 0, axis=0)
        inverse = ~ds.transform
    classified = set()
    for cell in result.cells:
        u, v = inverse @ shapely.centroid(cell["geometry"]).coords[0]
        classified.add((int(u // 64), int(v // 64)))
    fully_valid = fully_nodata = 0
    for row in range(0, valid.shape[0], 64):
        for col in range(0, valid.shape[1], 64):
            share = valid[row : row + 64, col : col + 64].mean()
            assert ((col // 64, row // 64) in classified) == (share >= 0.5), (col, row, share)
            fully_valid += share == 1.0
            fully_nodata += share == 0.0
    assert fully_valid > 0 and fully_nodata > 0
    assert result.skipped_cells == sum(
        valid[r : r + 64, c : c + 64].mean() < 0.5 for r in range(0, 718, 64) for c in range(0, 791, 64)
    )


def test_cancel_and_progress(tmp_path, model):
    raster = write_plain_raster(
        tmp_path / "two.tif", "EPSG:32633", (10.0, 10.0), (500_000, 5_000_000), (2048, 1024)
    )
    with pytest.raises(Cancelled):
        classify_raster(raster, model, random_head(model), is_cancelled=lambda: True)
    seen = []
    classify_raster(raster, model, random_head(model), progress=seen.append)
    assert seen == [0.0, 0.5, 1.0]
    # before any encoding: the tile count and an estimate of the time they take
    assert (seen[0].tile, seen[0].tiles) == (1, 2) and seen[0].seconds_left > 0
    assert seen[0].describe().startswith("tile 1 of 2, about ")
    assert [(p.tile, p.tiles) for p in seen[1:]] == [(2, 2), (2, 2)] and seen[-1].seconds_left == 0


def test_an_extent_outside_the_raster_and_a_per_patch_head_are_refused(tmp_path, model):
    raster = write_plain_raster(tmp_path / "utm.tif", "EPSG:32633", (10.0, 10.0), (500_000, 5_000_000))
    with pytest.raises(SamCoreError, match="does not overlap"):
        classify_raster(raster, model, random_head(model), (0, 0, 1000, 1000))
    per_patch = random_head(model)
    per_patch.feature_mode = PER_PATCH
    with pytest.raises(SamCoreError, match="per-patch"):
        classify_raster(raster, model, per_patch)


# -- command line -----------------------------------------------------------------------------------------


def test_cli_trains_a_head_with_reports_and_classifies_a_raster(tmp_path, tiny_checkpoint):
    data = write_patch_set(tmp_path / "data", per_class=20, seed=4)
    head_file = tmp_path / "head.pt"
    trained = run_cli(
        "train-classifier", data, "--checkpoint", tiny_checkpoint, "--out", head_file,
        "--train-fraction", "0.5,0.8", "--epochs", "40", "--cache-dir", tmp_path / "cache",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout)
    assert [r["train_fraction"] for r in summary["runs"]] == [0.5, 0.8]
    assert summary["encoder_calls"] == 1 and summary["patches"] == 80
    report = tmp_path / "head_report"
    for name in ("train_50", "train_80"):
        metrics = json.loads((report / name / "metrics.json").read_text())
        assert len(metrics["confusion_matrix"]) == 4 and 0.0 <= metrics["accuracy"] <= 1.0
        for png in ("curves.png", "confusion.png"):
            assert (report / name / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (report / "sweep.png").is_file() and (report / "summary.json").is_file()
    assert load_head(head_file).training["train_fraction"] == 0.8

    raster = write_class_mosaic(tmp_path / "mosaic.tif", mosaic_blocks(), 128)
    out, areas = tmp_path / "classes.gpkg", tmp_path / "areas.csv"
    classified = run_cli(
        "classify", raster, "--checkpoint", tiny_checkpoint, "--head", head_file, "--dissolve",
        "--out", out, "--summary", areas,
    )  # fmt: skip
    assert classified.returncode == 0, classified.stderr
    assert classified.stderr.strip().splitlines()[-1] == "progress: 100% tile 1 of 1"
    info = pyogrio.read_info(out)
    assert list(info["fields"]) == list(CLASS_FIELDS)
    _meta, _fids, _wkb, columns = pyogrio.raw.read(out)
    values = dict(zip(info["fields"], columns))
    stdout = json.loads(classified.stdout)
    assert sorted(values["class"]) == sorted(c["class"] for c in stdout["classes"] if c["cells"])
    assert sum(values["area_m2"]) == pytest.approx(stdout["area_m2"])
    with areas.open() as handle:
        assert [row["class"] for row in csv.DictReader(handle)] == list(CLASSES)

    cells = tmp_path / "cells.geojson"
    by_cell = run_cli(
        "classify", raster, "--checkpoint", tiny_checkpoint, "--head", head_file, "--out", cells
    )
    assert by_cell.returncode == 0, by_cell.stderr
    assert pyogrio.read_info(cells)["features"] == 256


def test_cli_errors_exit_2_with_one_line_and_write_nothing(tmp_path, tiny_checkpoint, head):
    data = tmp_path / "one"
    write_patch_set(data, per_class=3, classes=("Forest",))
    result = run_cli("train-classifier", data, "--checkpoint", tiny_checkpoint, "--out", tmp_path / "h.pt")
    assert_user_error(result, "at least two classes")
    assert not (tmp_path / "h.pt").exists()

    result = run_cli(
        "train-classifier", data, "--checkpoint", tiny_checkpoint, "--out", tmp_path / "h.pt",
        "--train-fraction", "0.5,1.2",
    )  # fmt: skip
    assert_user_error(result, "between 0 and 1")

    other = tmp_path / "other.pth"
    save_random_checkpoint(other, tiny_config(), seed=7)
    head_file = head.save(tmp_path / "head.pt")
    raster = write_class_mosaic(tmp_path / "mosaic.tif", mosaic_blocks()[:2, :2], 128)
    out = tmp_path / "out.gpkg"
    out.write_bytes(b"the user's precious file")
    result = run_cli("classify", raster, "--checkpoint", other, "--head", head_file, "--out", out)
    assert_user_error(result, "another encoder")
    assert out.read_bytes() == b"the user's precious file"

    result = run_cli(
        "classify", raster, "--checkpoint", tiny_checkpoint, "--head", head_file, "--out", tmp_path / "new.gpkg",
        "--summary", tmp_path / "areas.txt",
    )  # fmt: skip
    assert_user_error(result, ".json or .csv")
    assert not (tmp_path / "new.gpkg").exists()
    assert not list(tmp_path.glob(".out*")) and not list(tmp_path.glob(".new*"))


# -- a raster coarser than the head (issue 10, defect 4) ---------------------------------------------------


def test_cli_refuses_to_upsample_a_coarse_raster_and_insists_with_allow_upsample(
    tmp_path, tiny_checkpoint, model, rgb_tif
):
    """RGB.byte.tif has 300 m pixels; a head trained at 10 m would upsample it 30× (528 encoder tiles for the
    whole raster). Refused with the factor and the option; with the option, the run says its tile count and
    an estimate before encoding."""
    head_file = random_head(model, gsd=10.0).save(tmp_path / "head10.pt")
    out = tmp_path / "classes.gpkg"
    refused = run_cli("classify", rgb_tif, "--checkpoint", tiny_checkpoint, "--head", head_file, "--out", out)
    assert_user_error(refused, "30×", "--allow-upsample 30", "10 m")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["head10.pt"]

    too_little = ["--out", out, "--allow-upsample", "20"]
    classify = ["classify", rgb_tif, "--checkpoint", tiny_checkpoint, "--head", head_file]
    assert_user_error(run_cli(*classify, *too_little), "30×")

    with rasterio.open(rgb_tif) as ds:
        left, top = ds.bounds.left, ds.bounds.top
    tile_m = 1024 * 10.0  # one encoder tile of the working grid (anchored at the raster's origin)
    extent = (
        left + 5 * tile_m + 100,
        top - 6 * tile_m + 100,
        left + 6 * tile_m - 100,
        top - 5 * tile_m - 100,
    )
    insisted = run_cli(
        *classify, "--out", out, "--allow-upsample", "40", "--extent", ",".join(map(repr, extent))
    )
    assert insisted.returncode == 0, insisted.stderr
    lines = insisted.stderr.strip().splitlines()
    assert lines[0].startswith("progress: 0% tile 1 of 1, about ") and lines[0].endswith(" left"), lines
    assert lines[-1] == "progress: 100% tile 1 of 1"
    summary = json.loads(insisted.stdout)
    assert (
        summary["tiles"] == 1 and summary["resampled"] and summary["raster_gsd_m"] == pytest.approx(300, 0.01)
    )
    assert pyogrio.read_info(out)["features"] > 0


def test_the_upsampling_limit_is_checked_in_the_core(tmp_path, model, rgb_tif):
    with pytest.raises(SamCoreError, match="30× coarser"):
        classify_raster(rgb_tif, model, random_head(model, gsd=10.0))
    with pytest.raises(SamCoreError, match="at least 1"):
        ClassifyOptions(allow_upsample=0.5).validate()
    # up to 2× is allowed by default: a 300 m raster with a 150 m head is classified
    result = classify_raster(rgb_tif, model, random_head(model, gsd=150.0))
    assert result.scale == pytest.approx(0.5) and result.cells


def test_objects_get_the_class_of_the_encoder_cells_under_them(tmp_path, model, head):
    """A disc inside each 128 px block of the mosaic (written in EPSG:4326, not the raster's CRS) gets the
    block's class from the classifier's pooling, on the tiles ``classify`` encoded (no encoder pass)."""
    from sam_core.geo.crs import transform_geometry
    from sam_core.geo.output import write_polygons
    from sam_core.semantic.label_objects import label_objects

    blocks = mosaic_blocks()
    raster = write_class_mosaic(tmp_path / "mosaic.tif", blocks, 128)
    cache = EmbeddingCache()
    classify_raster(raster, model, head, cache=cache)
    with rasterio.open(raster) as ds:
        transform, crs = ds.transform, CRS.from_wkt(ds.crs.to_wkt())
    discs, truth = [], []
    for (r, c), k in np.ndenumerate(blocks):
        centre = shapely.Point(*(transform @ (c * 128 + 64 + 10 * (r % 3 - 1), r * 128 + 64)))
        discs.append(
            {"geometry": transform_geometry(centre.buffer(350), crs, CRS.from_epsg(4326)), "id": r * 8 + c}
        )
        truth.append(CLASSES[k])
    write_polygons(tmp_path / "discs.gpkg", discs, CRS.from_epsg(4326), {"id": int})
    result = label_objects(raster, tmp_path / "discs.gpkg", model, head, cache=cache)
    assert result.encoder_calls == 0
    right = np.mean([label["class"] == name for label, name in zip(result.labels, truth)])
    majority = max(np.mean([name == c for name in truth]) for c in CLASSES)
    print(f"objects right: {right:.3f} (majority {majority:.3f})")
    assert right >= ACCURACY_BAR and right >= majority + 0.5
    assert all(label["class_probability"] >= label["runner_up_probability"] for label in result.labels)
