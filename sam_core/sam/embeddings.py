"""Image embeddings of tiles, computed once and cached in memory (bounded LRU) and on disk.

The cache key is content-based: the model's fingerprint, the raw pixels and masks actually read for the
tile, the band choice, the stretch and the sizes. A moved or copied raster still hits; an edited one misses.
Disk entries carry a sha256 of their key and payload and are written atomically. An entry is trusted only
when its checksum, its key (an entry copied under another name fails), and the array's shape and dtype (the
reader says which it needs) all match; anything else is a miss: recomputed, with a warning, never a crash.
The disk is a cache, not a result: when an entry cannot be written (disk full, read-only folder, a file in
the folder's place), the embedding computed is used all the same and a warning says why it was not kept.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import Cancelled, SamCoreError
from ..geo.raster import RasterSource, WindowImage
from ..geo.tiles import PixelWindow, Tile
from ..io import write_bytes
from .model import LoadedModel

MAGIC = b"TSAMEMB2"  # 2: the checksum covers the key too
_DIGEST = 32


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


class EmbeddingCache:
    """LRU of ``max_items`` embeddings in memory, optionally backed by ``cache_dir``."""

    def __init__(self, cache_dir: str | os.PathLike | None = None, max_items: int = 8) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.max_items = max(1, int(max_items))
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the engine encodes in one thread while another predicts
        self._write_failed = False  # warn once per cache, not once per tile

    def get(self, key: str, shape: tuple[int, ...] | None = None, dtype=None) -> np.ndarray | None:
        """The value stored under ``key``, or None; a disk entry of another ``shape``/``dtype`` is a miss."""
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        value = self._read_disk(key, shape, dtype)
        if value is not None:
            self._remember(key, value)
        return value

    def put(self, key: str, value: np.ndarray) -> None:
        self._remember(key, value)
        self._write_disk(key, value)

    def _remember(self, key: str, value: np.ndarray) -> None:
        with self._lock:
            self._memory[key] = value
            self._memory.move_to_end(key)
            while len(self._memory) > self.max_items:
                self._memory.popitem(last=False)

    def _path(self, key: str) -> Path | None:
        return self.cache_dir / key[:2] / f"{key}.emb" if self.cache_dir else None

    def _read_disk(self, key: str, shape, dtype) -> np.ndarray | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            blob = path.read_bytes()
        except OSError as exc:
            _warn(f"cannot read the cached embedding {path.name} ({exc.strerror or exc}); recomputing it")
            return None
        payload = blob[len(MAGIC) + _DIGEST :]
        problem = None
        if blob[: len(MAGIC)] != MAGIC or _digest(key, payload) != blob[len(MAGIC) : len(MAGIC) + _DIGEST]:
            problem = "is damaged or belongs to another key"
        else:
            try:
                value = np.load(io.BytesIO(payload), allow_pickle=False)
            except (ValueError, OSError, EOFError):
                problem = "cannot be decoded"
            else:
                if shape is not None and tuple(value.shape) != tuple(shape):
                    problem = f"has shape {tuple(value.shape)}, not {tuple(shape)}"
                elif dtype is not None and value.dtype != np.dtype(dtype):
                    problem = f"holds {value.dtype}, not {np.dtype(dtype)}"
        if problem is None:
            return value
        if blob[: len(MAGIC)] == MAGIC:  # an older format is replaced silently; anything else is news
            _warn(f"the cached embedding {path.name} {problem}; recomputing it")
        try:
            path.unlink(missing_ok=True)  # recompute rather than trust it
        except OSError:
            pass
        return None

    def _write_disk(self, key: str, value: np.ndarray) -> None:
        path = self._path(key)
        if path is None:
            return
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        payload = buffer.getvalue()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes(path, MAGIC + _digest(key, payload) + payload, batched=False)
        except (OSError, SamCoreError) as exc:  # the result stands; only its copy on disk is lost
            exc = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
            if not self._write_failed:
                self._write_failed = True
                _warn(
                    f"cannot write to the cache folder {self.cache_dir} ({getattr(exc, 'strerror', None) or exc}); going on without it"
                )


def cache_folder(cache: EmbeddingCache | None) -> str | None:
    """The absolute folder a cache keeps its embeddings in (what a worker process opens), None: memory only."""
    return str(cache.cache_dir.resolve()) if cache is not None and cache.cache_dir else None


def _digest(key: str, payload: bytes) -> bytes:
    return hashlib.sha256(key.encode() + b"\0" + payload).digest()


@dataclass(frozen=True)
class EncodedTile:
    embedding: torch.Tensor  # (1, C, h, w) on the model's device
    valid: np.ndarray  # (tile, tile) bool: inside the raster and not nodata


class TileEncoder:
    """Tile → embedding for one raster source and one model, through the cache.

    ``encoder_calls`` counts real image-encoder passes (cache misses), which tests and benchmarks read.
    Each tile's content key and validity mask are remembered (bounded), so a repeated prompt on a tile
    reads no pixels at all.
    """

    def __init__(
        self,
        model: LoadedModel,
        source: RasterSource,
        cache: EmbeddingCache | None = None,
        max_tiles: int = 64,
    ) -> None:
        self.model, self.source = model, source
        self.cache = cache or EmbeddingCache()
        self.encoder_calls = 0
        self._max_tiles = max_tiles
        self._seen: OrderedDict[PixelWindow, tuple[str, np.ndarray | None]] = OrderedDict()

    def encode(
        self, tile: Tile, is_cancelled: Callable[[], bool] | None = None, image: WindowImage | None = None
    ) -> EncodedTile:
        """The tile's embedding; ``image`` is the tile's window when the caller has read it already."""
        seen = self._seen.get(tile.window)
        expected = self.model.embedding_shape, np.float32
        cached = self.cache.get(seen[0], *expected) if seen else None
        if cached is None:
            image = image or self.source.read_window(tile.window)
            key = self.key_for(image.digest, tile.size)
            seen = (key, None if image.valid.all() else np.packbits(image.valid))
            cached = self.cache.get(key, *expected)
            if cached is None:
                cached = self._encode(image.rgb, image.valid, is_cancelled)
                self.cache.put(key, cached)
        self._seen[tile.window] = seen
        self._seen.move_to_end(tile.window)
        while len(self._seen) > self._max_tiles:
            self._seen.popitem(last=False)
        return EncodedTile(torch.from_numpy(cached).to(self.model.device), _unpack(seen[1], tile.size))

    def encode_all(
        self,
        tiles: list[Tile],
        progress: Callable[[float], None] | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> int:
        """Encode ``tiles`` into the cache, reporting progress after each; the encoder passes it took."""
        before = self.encoder_calls
        for index, tile in enumerate(tiles):
            if is_cancelled and is_cancelled():
                raise Cancelled()
            self.encode(tile, is_cancelled)
            if progress:
                progress((index + 1) / len(tiles))
        return self.encoder_calls - before

    def key_for(self, content_digest: str, tile_size: int) -> str:
        parts = (
            self.model.info.fingerprint,
            content_digest,
            repr(self.source.bands),
            self.source.stretch.key,
            str(tile_size),
            str(self.model.img_size),
            self.model.precision,  # a bf16 or int8 embedding is not the fp32 one
        )
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    def _encode(
        self, rgb: np.ndarray, valid: np.ndarray, is_cancelled: Callable[[], bool] | None = None
    ) -> np.ndarray:
        self.encoder_calls += 1
        return encode_input(self.model, self.prepare(rgb, valid), is_cancelled).cpu().numpy()

    def prepare(self, rgb: np.ndarray, valid: np.ndarray) -> torch.Tensor:
        return prepare_image(self.model, rgb, valid)


def encode_input(
    model: LoadedModel, x: torch.Tensor, is_cancelled: Callable[[], bool] | None = None
) -> torch.Tensor:
    """The model's encoder on a prepared input, on the model's precision path; float32 out, whatever ran."""
    with torch.inference_mode(), model.autocast():
        return run_image_encoder(model.sam.image_encoder, x, is_cancelled).float()


def run_image_encoder(
    encoder: torch.nn.Module, x: torch.Tensor, is_cancelled: Callable[[], bool] | None = None
) -> torch.Tensor:
    """``encoder(x)``, checking ``is_cancelled`` before each transformer block: one vit_b pass is ~13 s on
    2 CPU cores, one block ~1 s, so a cancel lands within the ~2 s the user waits at most. The steps are
    segment_anything's ``ImageEncoderViT.forward``; an encoder without ``blocks`` runs whole."""
    if is_cancelled and is_cancelled():
        raise Cancelled()
    blocks = getattr(encoder, "blocks", None)
    if blocks is None:
        return encoder(x)
    x = encoder.patch_embed(x)
    if encoder.pos_embed is not None:
        x = x + encoder.pos_embed
    for block in blocks:
        if is_cancelled and is_cancelled():
            raise Cancelled()
        x = block(x)
    return encoder.neck(x.permute(0, 3, 1, 2))


def prepare_image(model: LoadedModel, rgb: np.ndarray, valid: np.ndarray) -> torch.Tensor:
    """Square image → normalised (1, 3, S, S) model input; invalid pixels become 0 after normalising,
    exactly what SAM's own padding puts outside an image. Tiles and training patches both go through here."""
    size = model.img_size
    sam = model.sam
    x = torch.from_numpy(rgb).to(model.device).permute(2, 0, 1)[None].float()
    keep = torch.from_numpy(valid).to(model.device)[None, None].float()
    if x.shape[-1] != size:
        x = F.interpolate(x, (size, size), mode="bilinear", align_corners=False, antialias=True)
        keep = F.interpolate(keep, (size, size), mode="nearest")
    return (x - sam.pixel_mean) / sam.pixel_std * keep


def _unpack(packed: np.ndarray | None, size: int) -> np.ndarray:
    if packed is None:
        return np.ones((size, size), bool)
    return np.unpackbits(packed, count=size * size).astype(bool).reshape(size, size)
