"""The embedding cache (memory LRU, verified disk entries, atomic writes) and tile encoding through it."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from rasterio.windows import Window

import sam_core.sam.embeddings as embeddings_module
from sam_core.geo.raster import RasterSource
from sam_core.sam.embeddings import EmbeddingCache, TileEncoder

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
