"""A cancel lands inside one tile's encoder pass (between transformer blocks), not after it.

One vit_b pass is ~13 s on 2 CPU cores and one of its 12 blocks about 1 s, so checking between blocks is
what keeps "Cancel lands within ~2 s" true while a tile encodes (dock, Processing, CLI all encode through
``TileEncoder``). The block-by-block pass must give exactly what the encoder's own ``forward`` gives.
"""

from __future__ import annotations

import pytest
import torch

from sam_core.errors import Cancelled
from sam_core.geo.raster import RasterSource
from sam_core.sam.embeddings import EmbeddingCache, TileEncoder, run_image_encoder


def test_the_block_by_block_pass_equals_the_encoders_own_forward(model):
    encoder = model.sam.image_encoder
    x = torch.randn(1, 3, model.img_size, model.img_size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert torch.equal(run_image_encoder(encoder, x), encoder(x))


def test_a_cancel_during_encoding_stops_before_the_next_block(model, rgb_tif, tmp_path):
    blocks = model.sam.image_encoder.blocks
    assert len(blocks) >= 2
    ran: list[int] = []
    hooks = [b.register_forward_hook(lambda *_, i=i: ran.append(i)) for i, b in enumerate(blocks)]
    try:
        with RasterSource(rgb_tif) as source:
            tile = source.grid(model.img_size, 128).tile(0, 0)
            encoder = TileEncoder(model, source, EmbeddingCache(tmp_path))
            with pytest.raises(Cancelled):
                encoder.encode(tile, is_cancelled=lambda: len(ran) >= 1)  # the user cancels during block 0
            assert ran == [0]  # block 1 never ran
            assert list(tmp_path.iterdir()) == []  # nothing cached from a cancelled pass
            ran.clear()
            encoded = encoder.encode(tile)  # the next try encodes normally
            assert ran == list(range(len(blocks)))
            assert tuple(encoded.embedding.shape) == model.embedding_shape
    finally:
        for hook in hooks:
            hook.remove()
