"""Checkpoints (architecture from shapes, damaged files), the embedding cache, tile encoding and the stretch."""

from __future__ import annotations

import contextlib
import hashlib
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from affine import Affine
from pyproj import CRS
from rasterio import features
from rasterio.windows import Window
from shapely.geometry import MultiPolygon, box

import sam_core.sam.embeddings as embeddings_module
from sam_core.errors import SamCoreError
from sam_core.geo.measures import measure
from sam_core.geo.raster import STATS_SIZE, RasterSource
from sam_core.geo.tiles import PixelWindow
from sam_core.prompting.prompts import Point, Prompts
from sam_core.prompting.segment import Segmenter
from sam_core.sam.embeddings import EmbeddingCache, TileEncoder
from sam_core.sam.model import SamConfig, build_sam, infer_config, load_model, read_state_dict
from sam_core.sam.random_weights import tiny_config, vit_b_config

# -- architecture from tensor shapes -----------------------------------------------------------------------

#: the published Segment Anything architectures (segment_anything/build_sam.py)
OFFICIAL = {
    "vit_b": {"embed_dim": 768, "depth": 12, "num_heads": 12, "global_attn_indexes": (2, 5, 8, 11)},
    "vit_l": {"embed_dim": 1024, "depth": 24, "num_heads": 16, "global_attn_indexes": (5, 11, 17, 23)},
    "vit_h": {"embed_dim": 1280, "depth": 32, "num_heads": 16, "global_attn_indexes": (7, 15, 23, 31)},
}
SHARED = {
    "window_size": 14,
    "patch_size": 16,
    "img_size": 1024,
    "mlp_ratio": 4.0,
    "prompt_embed_dim": 256,
    "mask_in_chans": 16,
    "decoder_depth": 2,
    "decoder_mlp_dim": 2048,
    "num_multimask_outputs": 3,
    "iou_head_depth": 3,
    "iou_head_hidden_dim": 256,
}


def official_config(name: str) -> SamConfig:
    return SamConfig(**OFFICIAL[name], **SHARED)


@pytest.fixture(scope="module")
def model(tiny_checkpoint):
    return load_model(tiny_checkpoint, "cpu")


def test_tiny_checkpoint_config_is_inferred_exactly(model, tiny_checkpoint):
    assert model.info.config == tiny_config()
    assert model.info.n_params == sum(p.numel() for p in build_sam(tiny_config()).parameters())
    assert model.img_size == 1024
    assert not model.sam.training
    # the weights really are the file's
    state = torch.load(tiny_checkpoint, map_location="cpu", weights_only=True)
    loaded = model.sam.state_dict()
    assert set(loaded) == set(state)
    assert all(torch.equal(loaded[k], state[k]) for k in state)


def test_vit_b_state_dict_is_recognised():
    assert vit_b_config() == official_config("vit_b")
    config = infer_config(build_sam(vit_b_config()).state_dict())
    assert config == official_config("vit_b")
    assert config.arch == "vit_b"


@pytest.mark.parametrize("name", ["vit_l", "vit_h"])
def test_vit_l_and_vit_h_state_dicts_are_recognised(name):
    with torch.device("meta"):  # shapes only: no 1-2.5 GB of weights
        sam = build_sam(official_config(name))
    config = infer_config(sam.state_dict())
    assert config == official_config(name)
    assert config.arch == name


def test_wrapped_state_dict_loads(tmp_path, tiny_checkpoint):
    state = torch.load(tiny_checkpoint, map_location="cpu", weights_only=True)
    path = tmp_path / "wrapped.pth"
    torch.save({"model": state}, path)
    assert load_model(path, "cpu").info.config == tiny_config()


# -- damaged and foreign checkpoints -------------------------------------------------------------------------


class Plain:
    def __init__(self) -> None:
        self.weights = [1.0, 2.0]


class Hostile:
    """Unpickling this would create a file: a loader that executes pickled code is caught red-handed."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def write_damaged(kind: str, path: Path, tiny: Path) -> Path:
    if kind == "truncated":
        data = tiny.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "random_bytes":
        path.write_bytes(np.random.default_rng(0).bytes(64 * 1024))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("this is not a checkpoint\nbut a note about one\n")
    elif kind == "tensors_not_sam":
        torch.save({"conv.weight": torch.zeros(8, 3, 3, 3), "conv.bias": torch.zeros(8)}, path)
    elif kind == "empty_dict":
        torch.save({}, path)
    elif kind == "list_of_tensors":
        torch.save([torch.zeros(3), torch.ones(3)], path)
    elif kind == "non_tensor_values":
        torch.save({"image_encoder.pos_embed": "not a tensor", "epoch": 3}, path)
    elif kind == "pickled_object":
        path.write_bytes(pickle.dumps(Plain(), protocol=2))
    elif kind == "whole_module":
        torch.save(build_sam(tiny_config()), path)
    elif kind in ("sam_missing_key", "sam_wrong_shape", "sam_truncated_layer", "sam_extra_key"):
        state = torch.load(tiny, map_location="cpu", weights_only=True)
        if kind == "sam_missing_key":
            del state["mask_decoder.iou_token.weight"]
        elif kind == "sam_wrong_shape":
            state["mask_decoder.iou_token.weight"] = torch.zeros(3, 3)
        elif kind == "sam_truncated_layer":
            del state["image_encoder.blocks.1.attn.rel_pos_h"]
        else:
            state["mask_decoder.hf_token.weight"] = torch.zeros(1, 64)  # a SAM-HQ style extra head
        torch.save(state, path)
    else:
        raise AssertionError(kind)
    return path


DAMAGED = [
    "truncated",
    "random_bytes",
    "empty",
    "text",
    "tensors_not_sam",
    "empty_dict",
    "list_of_tensors",
    "non_tensor_values",
    "pickled_object",
    "whole_module",
    "sam_missing_key",
    "sam_wrong_shape",
    "sam_truncated_layer",
    "sam_extra_key",
]


def assert_readable(exc: SamCoreError) -> None:
    message = str(exc)
    assert message and "\n" not in message and len(message) < 200, message
    assert "checkpoint" in message.lower(), message


@pytest.mark.parametrize("kind", DAMAGED)
def test_damaged_checkpoint_is_a_readable_error(tmp_path, tiny_checkpoint, kind):
    path = write_damaged(kind, tmp_path / f"{kind}.pth", tiny_checkpoint)
    with pytest.raises(SamCoreError) as info:
        load_model(path, "cpu")
    assert_readable(info.value)


def test_malformed_state_dict_is_a_readable_error(tmp_path, tiny_checkpoint):
    """Tensors named like SAM's with degenerate shapes, or keys that are not strings, are still user errors."""
    state = torch.load(tiny_checkpoint, map_location="cpu", weights_only=True)
    variants = {
        "int_key": {**state, 0: torch.zeros(1)},
        "zero_width_rel_pos": {**state, "image_encoder.blocks.0.attn.rel_pos_h": torch.zeros(15, 0)},
        "zero_width_pos_embed": {**state, "image_encoder.pos_embed": torch.zeros(1, 64, 64, 0)},
    }
    failures = {}
    for name, variant in variants.items():
        path = tmp_path / f"{name}.pth"
        torch.save(variant, path)
        try:
            load_model(path, "cpu")
            failures[name] = "loaded"
        except SamCoreError as exc:
            assert_readable(exc)
        except Exception as exc:  # noqa: BLE001 - the point of the test: no other type may escape
            failures[name] = f"{type(exc).__name__}: {exc}"
    assert not failures


def test_pickled_code_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "hostile.pth"
    path.write_bytes(pickle.dumps(Hostile(marker), protocol=2))
    with pytest.raises(SamCoreError) as info:
        load_model(path, "cpu")
    assert_readable(info.value)
    assert not marker.exists()


def test_missing_checkpoint_is_a_readable_error(tmp_path):
    for path in (tmp_path / "nowhere.pth", tmp_path):
        with pytest.raises(SamCoreError, match="not found") as info:
            read_state_dict(path)
        assert_readable(info.value)
        with pytest.raises(SamCoreError, match="not found"):
            load_model(path, "cpu")


# -- embedding cache -------------------------------------------------------------------------------------


def key(i: int) -> str:
    return hashlib.sha256(f"entry {i}".encode()).hexdigest()


def embedding(i: int) -> np.ndarray:
    return np.random.default_rng(i).standard_normal((1, 8, 16, 16)).astype(np.float32)


def test_memory_cache_put_get_and_lru_eviction():
    cache = EmbeddingCache(max_items=2)
    assert cache.get(key(0)) is None
    cache.put(key(0), embedding(0))
    cache.put(key(1), embedding(1))
    np.testing.assert_array_equal(cache.get(key(0)), embedding(0))  # 0 is now the most recently used
    cache.put(key(2), embedding(2))  # evicts 1, the least recently used
    assert cache.get(key(1)) is None
    np.testing.assert_array_equal(cache.get(key(0)), embedding(0))
    np.testing.assert_array_equal(cache.get(key(2)), embedding(2))
    cache.put(key(3), embedding(3))  # evicts 0 (2 was used after it)
    assert cache.get(key(0)) is None
    assert cache.get(key(2)) is not None and cache.get(key(3)) is not None


def test_disk_cache_round_trip_in_a_new_cache_object(tmp_path):
    first = EmbeddingCache(tmp_path / "cache", max_items=1)
    for i in range(3):
        first.put(key(i), embedding(i))
    np.testing.assert_array_equal(first.get(key(0)), embedding(0))  # evicted from memory, back from disk
    second = EmbeddingCache(tmp_path / "cache", max_items=4)
    for i in range(3):
        value = second.get(key(i))
        assert value is not None and value.dtype == np.float32 and value.shape == (1, 8, 16, 16)
        np.testing.assert_array_equal(value, embedding(i))
    assert EmbeddingCache(tmp_path / "cache").get(key(99)) is None


def entry_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "damage",
    [
        "flip_payload_byte",
        "flip_digest_byte",
        "flip_magic",
        "truncate",
        "header_only",
        "valid_digest_not_npy",
    ],
)
def test_damaged_disk_entry_is_detected_and_removed(tmp_path, damage):
    root = tmp_path / "cache"
    EmbeddingCache(root).put(key(0), embedding(0))
    EmbeddingCache(root).put(key(1), embedding(1))
    files = entry_files(root)
    assert len(files) == 2
    target = next(p for p in files if key(0) in p.name)
    data = bytearray(target.read_bytes())
    if damage == "flip_payload_byte":
        data[-5] ^= 0x01
    elif damage == "flip_digest_byte":
        data[len(embeddings_module.MAGIC) + 3] ^= 0x80
    elif damage == "flip_magic":
        data[0] ^= 0xFF
    elif damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "header_only":
        data = data[:10]
    else:
        payload = b"this is no numpy file at all"
        data = bytearray(embeddings_module.MAGIC + hashlib.sha256(payload).digest() + payload)
    target.write_bytes(bytes(data))
    cache = EmbeddingCache(root)
    assert cache.get(key(0)) is None
    assert not target.exists()
    np.testing.assert_array_equal(cache.get(key(1)), embedding(1))  # the healthy entry is untouched
    # a recomputed value can be stored again and read back
    cache.put(key(0), embedding(0))
    np.testing.assert_array_equal(EmbeddingCache(root).get(key(0)), embedding(0))


def test_disk_writes_leave_no_temporary_files(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    cache = EmbeddingCache(root)
    for i in range(5):
        cache.put(key(i), embedding(i))
    cache.put(key(0), embedding(7))  # overwrite
    files = entry_files(root)
    assert len(files) == 5
    assert all(p.suffix == ".emb" and "tmp" not in p.name for p in files)
    np.testing.assert_array_equal(EmbeddingCache(root).get(key(0)), embedding(7))

    # a write that fails half-way leaves neither a temporary file nor a (partial) entry
    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(embeddings_module.os, "replace", failing_replace)
    with contextlib.suppress(OSError):
        cache.put(key(42), embedding(42))
    monkeypatch.undo()
    assert entry_files(root) == files
    assert EmbeddingCache(root).get(key(42)) is None


# -- tile encoding ---------------------------------------------------------------------------------------------


@pytest.fixture
def source(rgb_tif):
    with RasterSource(rgb_tif) as src:
        yield src


def test_encoder_runs_once_per_tile_and_the_disk_cache_survives(model, source, tmp_path):
    grid = source.grid(256, 64)
    tile = grid.tile(1, 1)
    encoder = TileEncoder(model, source, EmbeddingCache(tmp_path / "emb"))
    first = encoder.encode(tile)
    assert encoder.encoder_calls == 1
    grid_size = model.img_size // model.info.config.patch_size
    assert tuple(first.embedding.shape) == (1, model.info.config.prompt_embed_dim, grid_size, grid_size)

    reads = []
    original = source.read_window
    source.read_window = lambda window: reads.append(window) or original(window)
    try:
        second = encoder.encode(tile)
    finally:
        del source.read_window
    assert encoder.encoder_calls == 1
    assert reads == []  # a repeated tile reads no pixels at all
    assert torch.equal(first.embedding, second.embedding)
    np.testing.assert_array_equal(first.valid, second.valid)

    # a new encoder and a new cache object on the same folder: no encoder pass, the same embedding
    fresh = TileEncoder(model, source, EmbeddingCache(tmp_path / "emb"))
    again = fresh.encode(tile)
    assert fresh.encoder_calls == 0
    assert torch.equal(again.embedding, first.embedding)
    # ... and a source reopened on the same file hits as well
    with RasterSource(source.path) as reopened:
        hit = TileEncoder(model, reopened, EmbeddingCache(tmp_path / "emb"))
        assert torch.equal(hit.encode(tile).embedding, first.embedding)
        assert hit.encoder_calls == 0


def test_band_choice_is_part_of_the_key(model, rgb_tif, source, tmp_path):
    tile = source.grid(256, 64).tile(1, 1)
    cache = EmbeddingCache(tmp_path / "emb")
    TileEncoder(model, source, cache).encode(tile)
    with RasterSource(rgb_tif, bands=(3, 2, 1)) as swapped, RasterSource(rgb_tif, bands=(1, 2, 3)) as same:
        key_rgb = TileEncoder(model, source, cache).key_for(source.read_window(tile.window).digest, tile.size)
        enc_bgr = TileEncoder(model, swapped, cache)
        key_bgr = enc_bgr.key_for(swapped.read_window(tile.window).digest, tile.size)
        assert key_rgb != key_bgr
        enc_bgr.encode(tile)
        assert enc_bgr.encoder_calls == 1
        enc_same = TileEncoder(model, same, cache)
        enc_same.encode(tile)
        assert enc_same.encoder_calls == 0  # (1, 2, 3) is what the default chose: the same key


def test_padded_edge_tile_validity(model, source, rgb_tif):
    grid = source.grid(256, 64)
    tile = grid.tile(grid.n_cols - 1, grid.n_rows - 1)
    w = tile.window
    inside_w, inside_h = source.width - w.col_off, source.height - w.row_off
    assert 0 < inside_w < tile.size and 0 < inside_h < tile.size  # really a padded tile
    with rasterio.open(rgb_tif) as ds:
        data = ds.read(window=Window(w.col_off, w.row_off, inside_w, inside_h))
        nodata = ds.nodata
    expected = np.zeros((tile.size, tile.size), bool)
    expected[:inside_h, :inside_w] = np.any(data != nodata, axis=0)
    assert expected[:inside_h, :inside_w].any() and not expected[:inside_h, :inside_w].all()  # collar present

    encoder = TileEncoder(model, source)
    encoded = encoder.encode(tile)
    assert encoded.valid.shape == (tile.size, tile.size)
    np.testing.assert_array_equal(encoded.valid, expected)
    assert not encoded.valid[inside_h:, :].any() and not encoded.valid[:, inside_w:].any()
    # the remembered validity comes back identical without reading again
    np.testing.assert_array_equal(encoder.encode(tile).valid, expected)
    assert encoder.encoder_calls == 1


# -- stretch -------------------------------------------------------------------------------------------------


def test_stretch_matches_independent_percentiles(source, rgb_tif):
    with rasterio.open(rgb_tif) as ds:
        data = ds.read().astype(np.float64)
        valid = np.any(data != ds.nodata, axis=0)
    assert max(source.width, source.height) <= STATS_SIZE  # the "decimated" read is the full raster here
    stretch = source.stretch
    for i in range(3):
        lo, hi = np.percentile(data[i][valid], (2.0, 98.0))
        assert stretch.low[i] == pytest.approx(lo)
        assert stretch.high[i] == pytest.approx(hi)


def test_stretch_is_computed_once_from_a_decimated_read(tmp_path, monkeypatch):
    # a 3000 × 400 raster, larger than STATS_SIZE, 40 % nodata (0), values ramping 100..1600 along columns
    width, height = 3000, 400
    cols = np.arange(width)
    ramp = (100 + cols // 2).astype(np.uint16)
    data = np.broadcast_to(ramp, (3, height, width)).copy()
    data[1] += 50
    data[:, :, : int(width * 0.4)] = 0
    path = tmp_path / "big.tif"
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 3,
        "dtype": "uint16",
        "nodata": 0,
        "crs": "EPSG:32618",
        "transform": Affine(10, 0, 500000, 0, -10, 5000000),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)

    calls = []
    original = RasterSource._read_valid

    def counting_read(self, bands, window, out_shape=None, *args, **kwargs):
        calls.append(out_shape)
        return original(self, bands, window, out_shape, *args, **kwargs)

    monkeypatch.setattr(RasterSource, "_read_valid", counting_read)
    with RasterSource(path) as src:
        first = src.stretch
        for window in (
            PixelWindow(0, 0, 256, 256),
            PixelWindow(2000, 100, 256, 256),
            PixelWindow(2900, 300, 256, 256),
        ):
            src.read_window(window)
        assert src.stretch is first
    decimated = [shape for shape in calls if shape is not None]
    assert len(decimated) == 1
    assert max(decimated[0]) <= STATS_SIZE < width
    assert len(calls) == 4  # the three windows read at full resolution, no second statistics pass
    # the nodata pixels are not part of the statistics; the percentiles are those of the valid ramp
    valid = data[0][:, data[0][0] > 0]
    lo, hi = np.percentile(valid, (2.0, 98.0))
    span = hi - lo
    assert first.low[0] == pytest.approx(lo, abs=0.01 * span)
    assert first.high[0] == pytest.approx(hi, abs=0.01 * span)
    assert first.low[1] == pytest.approx(first.low[0] + 50, abs=1)


def test_same_pixel_same_value_in_overlapping_windows(source, rgb_tif):
    pairs = [
        (PixelWindow(100, 100, 256, 256), PixelWindow(292, 150, 256, 256)),
        (PixelWindow(500, 400, 256, 256), PixelWindow(600, 500, 256, 256)),  # both past the raster's edge
        (PixelWindow(-64, -64, 256, 256), PixelWindow(0, 0, 128, 128)),  # one starts before the raster
    ]
    stretch = source.stretch
    with rasterio.open(rgb_tif) as ds:
        raw = ds.read().astype(np.float64)
        nodata = ds.nodata
    low = np.asarray(stretch.low)[:, None, None]
    high = np.asarray(stretch.high)[:, None, None]
    reference = np.clip((raw - low) / (high - low), 0, 1) * 255
    reference[:, np.all(raw == nodata, axis=0)] = 0
    reference = reference.transpose(1, 2, 0)
    for a, b in pairs:
        ia, ib = source.read_window(a), source.read_window(b)
        common = a.intersection(b)
        assert common is not None
        sa = np.s_[
            common.row_off - a.row_off : common.row_end - a.row_off,
            common.col_off - a.col_off : common.col_end - a.col_off,
        ]
        sb = np.s_[
            common.row_off - b.row_off : common.row_end - b.row_off,
            common.col_off - b.col_off : common.col_end - b.col_off,
        ]
        np.testing.assert_array_equal(ia.rgb[sa], ib.rgb[sb])
        np.testing.assert_array_equal(ia.valid[sa], ib.valid[sb])
        for window, image in ((a, ia), (b, ib)):
            assert image.rgb.dtype == np.uint8 and image.rgb.shape == (window.height, window.width, 3)
            inside = window.intersection(PixelWindow(0, 0, source.width, source.height))
            r0, c0 = inside.row_off - window.row_off, inside.col_off - window.col_off
            block = image.rgb[r0 : r0 + inside.height, c0 : c0 + inside.width].astype(np.float64)
            expected = reference[inside.row_off : inside.row_end, inside.col_off : inside.col_end]
            assert np.max(np.abs(block - expected)) <= 1.0  # rounding only
            outside = np.ones(image.valid.shape, bool)
            outside[r0 : r0 + inside.height, c0 : c0 + inside.width] = False
            assert not image.valid[outside].any() and not image.rgb[outside].any()


def test_alpha_band_is_respected_and_not_shown_to_sam(rgba_tif, rgb_tif):
    window = PixelWindow(500, 400, 400, 400)  # runs past the bottom-right corner
    with rasterio.open(rgba_tif) as ds:
        alpha = ds.read(4, window=Window(500, 400, ds.width - 500, ds.height - 400))
    expected = np.zeros((400, 400), bool)
    expected[: alpha.shape[0], : alpha.shape[1]] = alpha > 0
    assert not expected[: alpha.shape[0], : alpha.shape[1]].all()
    with RasterSource(rgba_tif) as rgba, RasterSource(rgb_tif) as rgb:
        assert rgba.bands == (1, 2, 3)
        image = rgba.read_window(window)
        np.testing.assert_array_equal(image.valid, expected)
        assert not image.rgb[~expected].any()
        # the same pixels as the RGB file (same data, same stretch)
        np.testing.assert_array_equal(image.rgb, rgb.read_window(window).rgb)


# -- end to end ------------------------------------------------------------------------------------------------


def test_segmenter_point_at_the_raster_centre(model, source, rgb_tif):
    segmenter = Segmenter(source, model, EmbeddingCache(), tile_size=256, overlap=64)
    with rasterio.open(rgb_tif) as ds:
        bounds = ds.bounds
        transform = ds.transform
        crs = CRS.from_wkt(ds.crs.to_wkt())
    x = transform.c + transform.a * source.width / 2
    y = transform.f + transform.e * source.height / 2
    result = segmenter.segment(Prompts(points=(Point(x, y, 1),)))
    assert isinstance(result.geometry, MultiPolygon)
    assert not result.geometry.is_empty  # the seeded tiny model draws something here
    assert result.geometry.is_valid

    tile = result.tile
    valid = tile.valid_window
    vx0, vy0 = transform.c + transform.a * valid.col_off, transform.f + transform.e * valid.row_end
    vx1, vy1 = transform.c + transform.a * valid.col_end, transform.f + transform.e * valid.row_off
    slack = 1e-6 * abs(transform.a)
    assert result.geometry.within(box(vx0, vy0, vx1, vy1).buffer(slack, join_style="mitre"))
    assert result.geometry.within(box(*bounds).buffer(slack, join_style="mitre"))
    assert (
        valid.col_off <= source.width / 2 <= valid.col_end
        and valid.row_off <= source.height / 2 <= valid.row_end
    )

    measures = measure(result.geometry, crs)
    assert result.area_m2 == pytest.approx(measures.area_m2, rel=1e-12)
    assert result.perimeter_m == pytest.approx(measures.perimeter_m, rel=1e-12)
    assert result.area_m2 > 0
    assert (result.prompt_type, result.n_fg, result.n_bg) == ("point", 1, 0)
    assert isinstance(result.score, float) and math.isfinite(result.score)
    assert segmenter.encoder.encoder_calls == 1
    # a second prompt on the same tile only runs the decoder
    segmenter.segment(Prompts(points=(Point(x + 1000.0, y - 1000.0, 1),)))
    assert segmenter.encoder.encoder_calls == 1


def test_segmenter_on_a_padded_edge_tile_keeps_to_valid_pixels(model, source, rgb_tif):
    """Near the bottom-right corner the tile runs past the raster and over the nodata collar: the object
    never covers a pixel outside the raster or a nodata pixel."""
    u, v = 630.5, 600.5
    with rasterio.open(rgb_tif) as ds:
        transform, bounds, nodata = ds.transform, ds.bounds, ds.nodata
        valid = np.any(ds.read() != nodata, axis=0)
    assert valid[int(v), int(u)]
    segmenter = Segmenter(source, model, EmbeddingCache(), tile_size=256, overlap=64)
    x, y = transform.c + transform.a * u, transform.f + transform.e * v
    result = segmenter.segment(Prompts(points=(Point(x, y, 1),)))
    tile = result.tile
    assert tile.window.col_end > source.width or tile.window.row_end > source.height  # a padded tile
    assert not result.geometry.is_empty
    slack = 1e-6 * abs(transform.a)
    assert result.geometry.within(box(*bounds).buffer(slack, join_style="mitre"))
    covered = features.rasterize([(result.geometry, 1)], out_shape=valid.shape, transform=transform, fill=0)
    assert covered.any()
    assert not (covered.astype(bool) & ~valid).any()


def test_gdal_block_cache_is_bounded_so_memory_does_not_grow_with_the_raster(rgb_tif, monkeypatch):
    import rasterio.env

    from sam_core.geo import raster as raster_module

    monkeypatch.delenv("GDAL_CACHEMAX", raising=False)
    rasterio.env.set_gdal_config("GDAL_CACHEMAX", 512 * 2**20)  # GDAL's default would be 5 % of RAM
    with raster_module.RasterSource(rgb_tif):
        assert int(rasterio.env.get_gdal_config("GDAL_CACHEMAX")) == raster_module.GDAL_CACHE_BYTES


@pytest.mark.parametrize(
    ("count", "interp", "expected"),
    [
        (1, (), (1, 1, 1)),
        (2, (), (1, 1, 1)),
        (3, (), (1, 2, 3)),
        (4, ("red", "green", "blue", "alpha"), (1, 2, 3)),
        (3, ("blue", "green", "red"), (3, 2, 1)),
        (5, ("gray", "blue", "green", "red", "undefined"), (4, 3, 2)),
        (13, (), (4, 3, 2)),  # Sentinel-2: B4, B3, B2
    ],
)
def test_default_bands(count, interp, expected):
    from rasterio.enums import ColorInterp

    from sam_core.geo.raster import default_bands

    assert default_bands(count, [ColorInterp[name] for name in interp]) == expected


def test_a_13_band_raster_is_read_as_b4_b3_b2(tmp_path):
    from sam_core.geo.raster import RasterSource

    data = np.stack([np.full((32, 32), band * 10, np.uint16) for band in range(1, 14)])
    path = tmp_path / "s2.tif"
    profile = {
        "driver": "GTiff",
        "width": 32,
        "height": 32,
        "count": 13,
        "dtype": "uint16",
        "crs": "EPSG:32632",
        "transform": Affine(10, 0, 500000, 0, -10, 5000000),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    with RasterSource(path) as source:
        assert source.bands == (4, 3, 2)
        assert source.stretch.low == (40.0, 30.0, 20.0)


@pytest.mark.parametrize(
    ("bands", "message"), [((1, 2), "1 or 3 bands"), ((1, 2, 9), "band 9 does not exist")]
)
def test_bad_band_choices_are_readable_errors(rgb_tif, bands, message):
    from sam_core.geo.raster import RasterSource

    with pytest.raises(SamCoreError, match=message):
        RasterSource(rgb_tif, bands=bands)
