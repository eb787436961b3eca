"""segment_anything's mask decoder in fewer operations, for point and box prompts (no mask input).

The same computation as ``MaskDecoder.predict_masks`` with its ``TwoWayTransformer`` (tested against it to
~1e-5), rearranged so that the 4096 image cells are multiplied by far fewer matrices:

- with no mask input, the first layer's image side (cells + no-mask embedding, + positional encoding, and
  their key/value/query projections) does not depend on the prompt: it is computed once per tile embedding;
- a handful of tokens attending to the cells projects the tokens instead of the cells:
  q·(W_k x + b_k) = (W_kᵀ q)·x + q·b_k, the last term a constant that softmax cancels, and
  Σ p (W_v x + b_v) = W_v (Σ p x) + b_v because softmax weights sum to one;
- the cells attending to the tokens fold ``q_proj`` into the tokens' keys and ``out_proj`` into their values;
- the upscaling's two stride-2 transposed convolutions (2×2 kernels, no overlap) are matrix products in a
  cell-blocked layout, its LayerNorm2d one fused ``layer_norm``; only the masks asked for are produced.

Everything runs in the caller's autocast (``LoadedModel.autocast()``); the cached tensors remember it.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from segment_anything.modeling import Sam
from segment_anything.modeling.transformer import Attention, TwoWayAttentionBlock
from torch import Tensor

#: module → its prompt-independent state: a Sam's dense positional encoding and last tiles' first layer, the
#: upscaling's convolutions as linear layers
_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: tiles whose first-layer tensors are kept per model (a click's tile, and a segment-everything tile)
KEPT_TILES = 2


@dataclass
class TileState:
    """A tile embedding's prompt-independent tensors (flattened cells: N = h·w rows of C)."""

    embedding: Tensor  # the embedding these were computed from (the cache key)
    autocast: bool  # whether they were computed under autocast
    src: Tensor  # (1, N, C) embedding + no-mask embedding
    pe: Tensor  # (1, N, C) dense positional encoding
    k0: Tensor  # (heads, d, N) first layer's token→image keys, transposed for the product
    v0: Tensor  # (heads, N, d) … and values
    q0: Tensor  # (heads, N, d) first layer's image→token queries
    grid: tuple[int, int]  # (h, w) of the embedding


@dataclass
class Decoded:
    """The transformer's outputs for a batch of prompts, from which masks are made on demand."""

    sam: Sam
    queries: Tensor  # (B, tokens, C)
    keys: Tensor  # (B, N, C)
    iou: Tensor  # (B, 1 + multimask outputs) float32, predicted IoU of every mask token
    grid: tuple[int, int]

    @torch.inference_mode()
    def mask_logits(self, tokens: list[int], rows: Tensor | None = None) -> Tensor:
        """Low-resolution logits (B', len(tokens), 4h, 4w) float32 of mask ``tokens`` for batch ``rows``
        (all when None): what ``MaskDecoder`` returns for those masks."""
        decoder = self.sam.mask_decoder
        keys, queries = (self.keys, self.queries) if rows is None else (self.keys[rows], self.queries[rows])
        hyper = torch.stack(
            [decoder.output_hypernetworks_mlps[i](queries[:, 1 + i]) for i in tokens], dim=1
        )  # (B', m, C/8)
        pixels = _upscale(decoder.output_upscaling, keys)  # (B', N·16, C/8), cell-blocked
        logits = pixels @ hyper.transpose(1, 2)  # (B', N·16, m)
        (h, w), b, m = self.grid, logits.shape[0], len(tokens)
        # rows (i, j, a, b, a2, b2) → pixel (4i + 2a + a2, 4j + 2b + b2)
        logits = logits.reshape(b, h, w, 2, 2, 2, 2, m).permute(0, 7, 1, 3, 5, 2, 4, 6)
        return logits.reshape(b, m, 4 * h, 4 * w).float()


def dense_pe(sam: Sam) -> Tensor:
    """``sam.prompt_encoder.get_dense_pe()``, computed once per model (it depends on nothing else)."""
    state = _STATES.setdefault(sam, {})
    if "pe" not in state:
        with torch.inference_mode(), torch.autocast(sam.device.type, enabled=False):
            state["pe"] = sam.prompt_encoder.get_dense_pe()
    return state["pe"]


def tile_state(sam: Sam, embedding: Tensor) -> TileState:
    """The prompt-independent tensors of ``embedding`` (1, C, h, w). The last ``KEPT_TILES`` tiles' are kept
    per model, so every click on a tile after the first, and every batch of a tile's grid, reuses them."""
    kept: list[TileState] = _STATES.setdefault(sam, {}).setdefault("tiles", [])
    autocast = torch.is_autocast_enabled(embedding.device.type)
    for state in kept:
        if state.autocast == autocast and _same(state.embedding, embedding):
            return state
    state = _compute_tile_state(sam, embedding, autocast)
    kept[:] = [state, *kept[: KEPT_TILES - 1]]
    return state


def _same(kept: Tensor, embedding: Tensor) -> bool:
    """Whether ``embedding`` holds the values of ``kept``: the same memory (``kept`` holds it, so no other
    tensor can have been allocated there; embeddings are never written in place) or equal values."""
    if kept.shape != embedding.shape or kept.dtype != embedding.dtype or kept.device != embedding.device:
        return False
    if kept.data_ptr() == embedding.data_ptr() and kept.stride() == embedding.stride():
        return True
    return torch.equal(kept, embedding)


def _compute_tile_state(sam: Sam, embedding: Tensor, autocast: bool) -> TileState:
    no_mask = sam.prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1)
    src = (embedding + no_mask).flatten(2).transpose(1, 2).contiguous()  # MaskDecoder's src + dense
    pe = dense_pe(sam).flatten(2).transpose(1, 2).contiguous()
    if autocast:  # the cells stay in autocast's dtype: no mixed-dtype adds, no casts per layer
        dtype = torch.get_autocast_dtype(embedding.device.type)
        src, pe = src.to(dtype), pe.to(dtype)
    first: TwoWayAttentionBlock = sam.mask_decoder.transformer.layers[0]
    src_pe = src + pe
    to_image, to_token = first.cross_attn_token_to_image, first.cross_attn_image_to_token
    return TileState(
        embedding,
        autocast,
        src,
        pe,
        _heads(to_image.k_proj(src_pe), to_image.num_heads)[0].transpose(1, 2).contiguous(),
        _heads(to_image.v_proj(src), to_image.num_heads)[0],
        _heads(to_token.q_proj(src_pe), to_token.num_heads)[0],
        tuple(embedding.shape[-2:]),
    )


@torch.inference_mode()
def decode(sam: Sam, embedding: Tensor, sparse: Tensor) -> Decoded:
    """The decoder on a batch of B prompts' sparse embeddings (B, n, C) over one tile ``embedding``."""
    decoder = sam.mask_decoder
    state = tile_state(sam, embedding)
    output_tokens = torch.cat([decoder.iou_token.weight, decoder.mask_tokens.weight], dim=0)
    tokens = torch.cat((output_tokens.unsqueeze(0).expand(sparse.shape[0], -1, -1), sparse), dim=1)
    queries, keys = _transformer(decoder.transformer, state, tokens)
    iou = decoder.iou_prediction_head(queries[:, 0]).float()
    return Decoded(sam, queries, keys, iou, state.grid)


def _transformer(transformer, state: TileState, tokens: Tensor) -> tuple[Tensor, Tensor]:
    """``TwoWayTransformer.forward``: (queries (B, n, C), keys (B, N, C))."""
    queries, keys = tokens, None  # keys None: the tile's shared cells (first layer)
    for layer in transformer.layers:
        queries, keys = _block(layer, state, queries, keys, tokens)
    attn = _token_to_image(transformer.final_attn_token_to_image, queries + tokens, keys + state.pe, keys)
    return transformer.norm_final_attn(queries + attn), keys


def _block(
    layer: TwoWayAttentionBlock, state: TileState, queries: Tensor, keys: Tensor | None, query_pe: Tensor
) -> tuple[Tensor, Tensor]:
    """``TwoWayAttentionBlock.forward``; ``keys`` None means the first layer's cached image side."""
    if layer.skip_first_layer_pe:
        queries = layer.self_attn(q=queries, k=queries, v=queries)
    else:
        q = queries + query_pe
        queries = queries + layer.self_attn(q=q, k=q, v=queries)
    queries = layer.norm1(queries)
    q = queries + query_pe
    if keys is None:
        attn = _token_to_cached(layer.cross_attn_token_to_image, q, state.k0, state.v0)
    else:
        keys_pe = keys + state.pe
        attn = _token_to_image(layer.cross_attn_token_to_image, q, keys_pe, keys)
    queries = layer.norm2(queries + attn)
    queries = layer.norm3(queries + layer.mlp(queries))
    q = queries + query_pe
    if keys is None:
        src = state.src.expand(q.shape[0], -1, -1)
        keys = _image_to_cached(layer.cross_attn_image_to_token, state.q0, q, queries, src)
    else:
        keys = _image_to_token(layer.cross_attn_image_to_token, keys_pe, q, queries, keys)
    return queries, layer.norm4(keys)


def _heads(x: Tensor, heads: int) -> Tensor:
    """(B, n, I) → (B, heads, n, I / heads), as ``Attention._separate_heads``."""
    b, n, c = x.shape
    return x.reshape(b, n, heads, c // heads).transpose(1, 2)


def _merge(x: Tensor) -> Tensor:
    """(B, heads, n, d) → (B, n, heads·d), as ``Attention._recombine_heads``."""
    b, h, n, d = x.shape
    return x.transpose(1, 2).reshape(b, n, h * d)


def _per_head(linear: torch.nn.Linear, heads: int) -> Tensor:
    """A projection's weight (I, C) as (heads, d, C)."""
    return linear.weight.reshape(heads, -1, linear.weight.shape[1])


def _token_to_image(attn: Attention, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """``attn(q, k, v)`` for a few queries (B, n, C) over many cells (B, N, C): the key and value
    projections act on the queries' side."""
    h = attn.num_heads
    qh = _heads(attn.q_proj(q), h)  # (B, h, n, d)
    b, _, n, d = qh.shape
    folded = (qh @ _per_head(attn.k_proj, h)) / math.sqrt(d)  # (B, h, n, C); q·b_k cancels in softmax
    logits = k @ folded.reshape(b, h * n, -1).transpose(1, 2)  # (B, N, h·n): the cells untransposed
    weights = logits.transpose(1, 2).softmax(dim=-1)  # (B, h·n, N)
    pooled = (weights @ v).reshape(b, h, n, -1)  # (B, h, n, C)
    out = pooled @ _per_head(attn.v_proj, h).transpose(1, 2) + attn.v_proj.bias.reshape(h, 1, d)
    return attn.out_proj(_merge(out))


def _token_to_cached(attn: Attention, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """``attn(q, ·, ·)`` over one tile's cells whose projected keys ``k`` (h, d, N) and values ``v``
    (h, N, d) are shared by the whole batch."""
    h, d, _ = k.shape
    qh = _heads(attn.q_proj(q), h)  # (B, h, n, d)
    b, _, n, _ = qh.shape
    qh = qh.transpose(0, 1).reshape(h, b * n, d)
    weights = ((qh @ k) / math.sqrt(d)).softmax(dim=-1)  # (h, B·n, N)
    out = (weights @ v).reshape(h, b, n, d).transpose(0, 1)
    return attn.out_proj(_merge(out))


def _image_to_token(attn: Attention, x: Tensor, k: Tensor, v: Tensor, residual: Tensor) -> Tensor:
    """``residual + attn(x, k, v)`` for many cells (B, N, C) over a few tokens (B, n, C): ``q_proj`` folded
    into the tokens' keys, ``out_proj`` into their values."""
    h = attn.num_heads
    kh = _heads(attn.k_proj(k), h) / math.sqrt(attn.internal_dim // h)  # (B, h, n, d), scaled
    b, _, n, d = kh.shape
    folded = (kh @ _per_head(attn.q_proj, h)).reshape(b, h * n, -1)  # (B, h·n, C)
    bias = (kh @ attn.q_proj.bias.reshape(h, d, 1)).reshape(b, 1, h * n)  # q_proj's bias, per token
    logits = torch.baddbmm(bias, x, folded.transpose(1, 2))  # (B, N, h·n): the cells untransposed
    return _attend_tokens(attn, logits.transpose(1, 2).reshape(b, h, n, -1), v, residual)


def _image_to_cached(attn: Attention, q: Tensor, k: Tensor, v: Tensor, residual: Tensor) -> Tensor:
    """``residual + attn(cells, k, v)`` with the cells' projected queries ``q`` (h, N, d) shared by the
    batch."""
    h, _, d = q.shape
    kh = _heads(attn.k_proj(k), h) / math.sqrt(d)  # (B, h, n, d), scaled
    b, _, n, _ = kh.shape
    logits = kh.transpose(0, 1).reshape(h, b * n, d) @ q.transpose(1, 2)  # (h, B·n, N)
    return _attend_tokens(attn, logits.reshape(h, b, n, -1).transpose(0, 1), v, residual)


def _attend_tokens(attn: Attention, logits: Tensor, v: Tensor, residual: Tensor) -> Tensor:
    """``residual`` + the cells' attention output from logits (B, h, n, N): softmax over each head's n
    tokens, then the tokens' values with ``out_proj`` folded in. Each head's weights sum to one, so its
    share of ``out_proj``'s bias rides on its values."""
    b, h, n, big_n = logits.shape
    weights = logits.softmax(dim=2).reshape(b, h * n, big_n)
    vh = _heads(attn.v_proj(v), h)  # (B, h, n, d)
    wo = attn.out_proj.weight  # (C, h·d)
    values = vh @ wo.reshape(wo.shape[0], h, -1).permute(1, 2, 0) + attn.out_proj.bias / h  # (B, h, n, C)
    return torch.baddbmm(residual, weights.transpose(1, 2), values.reshape(b, h * n, -1))


def _upscale(upscaling: torch.nn.Sequential, keys: Tensor) -> Tensor:
    """``MaskDecoder.output_upscaling`` on cells (B, N, C) → (B, N·16, C/8): each cell's 4×4 output pixels
    in (a, b, a2, b2) order (pixel 4i + 2a + a2, 4j + 2b + b2 of cell (i, j))."""
    conv1, norm, act1, conv2, act2 = upscaling
    (w1, b1), (w2, b2) = _as_linear(upscaling)
    b, n, _ = keys.shape
    y = F.linear(keys, w1, b1).reshape(b, n * 4, -1)  # (B, 4N, C/4)
    y = act1(F.layer_norm(y, (conv1.out_channels,), norm.weight, norm.bias, norm.eps))
    return act2(F.linear(y, w2, b2)).reshape(b, n * 16, conv2.out_channels)


def _as_linear(upscaling: torch.nn.Sequential) -> tuple[tuple[Tensor, Tensor], ...]:
    """The upscaling's two transposed convolutions as linear layers (weight (4·out, in), bias) whose
    outputs are each cell's 2×2 pixels (a, b) × channels: computed once per module."""
    state = _STATES.setdefault(upscaling, {})
    if "linear" not in state:
        with torch.inference_mode():
            state["linear"] = tuple(
                (conv.weight.permute(2, 3, 1, 0).flatten(0, 2).contiguous(), conv.bias.repeat(4))
                for conv in (upscaling[0], upscaling[3])
            )
    return state["linear"]
