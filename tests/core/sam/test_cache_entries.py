"""The embedding cache against entries it must not trust and folders it cannot write: a miss (recomputed,
with a warning) or a warning, never a crash, never a lost result."""

from __future__ import annotations

import numpy as np
import pytest

from sam_core.geo.raster import RasterSource
from sam_core.sam.embeddings import EmbeddingCache, TileEncoder


def _first_key(encoder: TileEncoder, tile) -> str:
    image = encoder.source.read_window(tile.window)
    return encoder.key_for(image.digest, tile.size)


@pytest.mark.parametrize(
    "bad_value",
    [np.zeros((1, 3, 4, 4), np.float32), np.zeros((1, 64, 64, 64), np.float64), np.zeros((2,), np.int8)],
    ids=["shape", "dtype", "garbage"],
)
def test_an_entry_with_a_valid_checksum_but_the_wrong_array_is_a_miss(
    tmp_path, rgb_tif, model, bad_value, capsys
):
    with RasterSource(rgb_tif) as source:
        tile = source.grid(model.img_size, 128).tile(0, 0)
        cache = EmbeddingCache(tmp_path)
        encoder = TileEncoder(model, source, cache)
        key = _first_key(encoder, tile)
        EmbeddingCache(tmp_path).put(key, bad_value)  # well-formed, checksummed, and wrong
        encoded = encoder.encode(tile)
    assert tuple(encoded.embedding.shape) == model.embedding_shape
    assert encoder.encoder_calls == 1  # recomputed
    assert "recomputing" in capsys.readouterr().err
    assert EmbeddingCache(tmp_path).get(key, model.embedding_shape, np.float32) is not None  # replaced


def test_an_entry_copied_under_another_key_is_a_miss(tmp_path):
    cache = EmbeddingCache(tmp_path)
    value = np.ones((1, 2), np.float32)
    cache.put("a" * 64, value)
    target = tmp_path / "bb" / f"{'b' * 64}.emb"
    target.parent.mkdir()
    target.write_bytes((tmp_path / "aa" / f"{'a' * 64}.emb").read_bytes())
    assert EmbeddingCache(tmp_path).get("b" * 64) is None and not target.exists()
    assert np.array_equal(EmbeddingCache(tmp_path).get("a" * 64), value)


def test_a_cache_folder_that_is_a_file_warns_and_keeps_the_result(tmp_path, rgb_tif, model, capsys):
    blocked = tmp_path / "cache"
    blocked.write_text("not a folder")
    with RasterSource(rgb_tif) as source:
        encoder = TileEncoder(model, source, EmbeddingCache(blocked))
        encoded = encoder.encode(source.grid(model.img_size, 128).tile(0, 0))
    assert tuple(encoded.embedding.shape) == model.embedding_shape
    err = capsys.readouterr().err
    assert err.count("warning: cannot write to the cache folder") == 1 and "going on without it" in err
    assert blocked.read_text() == "not a folder"


def test_an_entry_path_taken_by_a_folder_warns_once_and_leaves_no_temp_file(tmp_path, capsys):
    cache = EmbeddingCache(tmp_path)
    for key in ("c" * 64, "d" * 64):
        (tmp_path / key[:2] / f"{key}.emb").mkdir(parents=True)  # os.replace onto a folder fails
        cache.put(key, np.ones(3, np.float32))
        assert np.array_equal(cache.get(key), np.ones(3, np.float32))  # kept in memory
    assert capsys.readouterr().err.count("warning:") == 1
    assert not list(tmp_path.rglob(".tmp-*"))
