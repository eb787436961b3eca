"""SAM checkpoints: read the architecture from the tensor shapes, build it, load the weights safely.

No "model type" is asked of the user: depth, width, heads, global-attention blocks, window and image size
are all readable from the state dict, so official vit_b/vit_l/vit_h files, other ViT-SAM variants and the
tiny test models go through this one code path. ``torch.load(weights_only=True)``: a .pth is a pickle.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, Sam, TwoWayTransformer

from .. import config
from ..errors import SamCoreError
from .checkpoints import user_cache
from .hardware import Hardware, detect, resolve_device
from .precision import PrecisionChoice, apply_precision, autocast, check_requested, choose_precision
from .tuned import TunedInfo, read_sidecar

#: (embed_dim, depth, global blocks) → the official names.
KNOWN_ARCHS = {
    (768, 12, (2, 5, 8, 11)): ("vit_b", "ViT-B"),
    (1024, 24, (5, 11, 17, 23)): ("vit_l", "ViT-L"),
    (1280, 32, (7, 15, 23, 31)): ("vit_h", "ViT-H"),
}
DECODER_HEADS = 8  # not readable from shapes; every published SAM uses 8


@dataclass(frozen=True)
class SamConfig:
    """Everything needed to rebuild a ViT-SAM."""

    embed_dim: int
    depth: int
    num_heads: int
    global_attn_indexes: tuple[int, ...]
    window_size: int
    patch_size: int
    img_size: int
    mlp_ratio: float
    prompt_embed_dim: int
    mask_in_chans: int
    decoder_depth: int
    decoder_mlp_dim: int
    num_multimask_outputs: int
    iou_head_depth: int
    iou_head_hidden_dim: int

    @property
    def arch(self) -> str:
        return KNOWN_ARCHS.get(self._signature, (f"vit_custom_d{self.depth}_w{self.embed_dim}", ""))[0]

    @property
    def label(self) -> str:
        known = KNOWN_ARCHS.get(self._signature)
        return known[1] if known else f"ViT (depth {self.depth}, width {self.embed_dim})"

    @property
    def _signature(self):
        return (self.embed_dim, self.depth, self.global_attn_indexes)


@dataclass(frozen=True)
class ModelInfo:
    """What the user chose, as the UI and the output layers name it."""

    path: str
    config: SamConfig
    n_params: int
    fingerprint: str
    tuned: TunedInfo | None = None  # the fine-tuning sidecar, when the file has one

    def describe(self) -> str:
        millions = self.n_params / 1e6
        text = (
            f"{self.config.label}, {millions:.0f} M parameters"
            if millions >= 10
            else f"{self.config.label}, {millions:.1f} M parameters"
        )
        return f"{text}, {self.tuned.describe()}" if self.tuned else text

    @property
    def name(self) -> str:
        """Short identity stored in every output feature's ``model`` field."""
        return f"{Path(self.path).name} ({self.config.label})"


@dataclass
class LoadedModel:
    sam: Sam
    info: ModelInfo
    device: torch.device
    precision: str = "fp32"  # the path chosen for this machine (``precision``): fp32, bf16 or int8
    hardware: Hardware | None = None
    choice: PrecisionChoice | None = None

    def describe_device(self) -> str:
        """What runs the model and why: ``cpu: 2 threads, bf16 (AVX-512 BF16); …``."""
        hardware = self.hardware or detect(self.device)
        text = hardware.describe(self.precision)
        return f"{text} — {self.choice.reason}" if self.choice else text

    def autocast(self):
        """The context the encoder and the decoder run in (``precision.autocast``)."""
        return autocast(self.device, self.precision)

    @property
    def img_size(self) -> int:
        return self.sam.image_encoder.img_size

    @property
    def tile_size(self) -> int:
        """Tile side in source pixels that every path cuts by default: a fine-tuned decoder's learned scale
        (its sidecar's ``tile_px``), else the usual tile."""
        return self.info.tuned.tile_px if self.info.tuned else config.TILE_SIZE

    @property
    def multimask(self) -> bool:
        """Whether SAM's three ambiguity masks may be used: fine-tuning trains the single-mask output only,
        so a tuned decoder's other three are left as the base model had them, for another decoder."""
        return self.info.tuned is None

    @property
    def embedding_shape(self) -> tuple[int, int, int, int]:
        """(1, C, h, w) of one image's embedding: what a cached embedding must be."""
        prompt = self.sam.prompt_encoder
        return (1, prompt.embed_dim, *prompt.image_embedding_size)


def build_sam(config: SamConfig) -> Sam:
    """A SAM of the given architecture from ``segment_anything.modeling`` (weights uninitialised)."""
    grid = config.img_size // config.patch_size
    sam = Sam(
        image_encoder=ImageEncoderViT(
            depth=config.depth,
            embed_dim=config.embed_dim,
            img_size=config.img_size,
            mlp_ratio=config.mlp_ratio,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=config.num_heads,
            patch_size=config.patch_size,
            qkv_bias=True,
            use_rel_pos=True,
            global_attn_indexes=config.global_attn_indexes,
            window_size=config.window_size,
            out_chans=config.prompt_embed_dim,
        ),
        prompt_encoder=PromptEncoder(
            embed_dim=config.prompt_embed_dim,
            image_embedding_size=(grid, grid),
            input_image_size=(config.img_size, config.img_size),
            mask_in_chans=config.mask_in_chans,
        ),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=config.num_multimask_outputs,
            transformer=TwoWayTransformer(
                depth=config.decoder_depth,
                embedding_dim=config.prompt_embed_dim,
                mlp_dim=config.decoder_mlp_dim,
                num_heads=DECODER_HEADS,
            ),
            transformer_dim=config.prompt_embed_dim,
            iou_head_depth=config.iou_head_depth,
            iou_head_hidden_dim=config.iou_head_hidden_dim,
        ),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )
    return sam.eval()


def infer_config(state: dict[str, torch.Tensor]) -> SamConfig:
    """Read the architecture from tensor shapes; a state dict that is not a ViT-SAM raises SamCoreError."""
    try:
        pos = state["image_encoder.pos_embed"]  # (1, grid, grid, embed_dim)
        patch = state["image_encoder.patch_embed.proj.weight"]  # (embed_dim, 3, p, p)
        depth = 1 + max(_indexes(state, r"image_encoder\.blocks\.(\d+)\."))
        rel = [state[f"image_encoder.blocks.{i}.attn.rel_pos_h"] for i in range(depth)]
        grid, embed_dim, patch_size = pos.shape[1], pos.shape[3], patch.shape[-1]
        head_dim = rel[0].shape[1]
        global_blocks = tuple(i for i, r in enumerate(rel) if r.shape[0] == 2 * grid - 1)
        windowed = [r.shape[0] for r in rel if r.shape[0] != 2 * grid - 1]
        mask_tokens = state["mask_decoder.mask_tokens.weight"]
        return SamConfig(
            embed_dim=embed_dim,
            depth=depth,
            num_heads=embed_dim // head_dim,
            global_attn_indexes=global_blocks,
            window_size=(windowed[0] + 1) // 2 if windowed else 0,
            patch_size=patch_size,
            img_size=grid * patch_size,
            mlp_ratio=state["image_encoder.blocks.0.mlp.lin1.weight"].shape[0] / embed_dim,
            prompt_embed_dim=state["image_encoder.neck.0.weight"].shape[0],
            mask_in_chans=state["prompt_encoder.mask_downscaling.3.weight"].shape[0],
            decoder_depth=1 + max(_indexes(state, r"mask_decoder\.transformer\.layers\.(\d+)\.")),
            decoder_mlp_dim=state["mask_decoder.transformer.layers.0.mlp.lin1.weight"].shape[0],
            num_multimask_outputs=mask_tokens.shape[0] - 1,
            iou_head_depth=1 + max(_indexes(state, r"mask_decoder\.iou_prediction_head\.layers\.(\d+)\.")),
            iou_head_hidden_dim=state["mask_decoder.iou_prediction_head.layers.0.weight"].shape[0],
        )
    except (KeyError, IndexError, ValueError, AttributeError, TypeError, ArithmeticError) as exc:
        raise SamCoreError("the file is not a Segment Anything (ViT-SAM) checkpoint") from exc


def _indexes(state: dict, pattern: str) -> list[int]:
    regex = re.compile(pattern)
    found = [int(m.group(1)) for key in state if (m := regex.match(key))]
    if not found:
        raise KeyError(pattern)
    return found


def load_weights_file(path: Path, noun: str, expected: str):
    """``torch.load`` without executing pickled code (``weights_only``): a missing or unreadable file is one
    readable error naming it as ``noun`` (and saying it is not ``expected``)."""
    if not path.is_file():
        raise SamCoreError(f"{noun} not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise SamCoreError(f"{noun} {path.name} is damaged or not {expected}") from exc


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Load a checkpoint's tensors without executing pickled code; every failure is a readable error."""
    path = Path(path)
    obj = load_weights_file(path, "checkpoint", "a PyTorch checkpoint file")
    for key in ("model", "state_dict"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise SamCoreError(f"checkpoint {path.name} holds no tensors of a SAM model")
    broken = [k for k, v in obj.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if broken:  # NaN weights give NaN masks and scores: reported as success, then invalid JSON
        more = f" and {len(broken) - 1} more" if len(broken) > 1 else ""
        raise SamCoreError(
            f"checkpoint {path.name} holds NaN or infinite weights ({broken[0]}{more}): it is damaged"
        )
    return obj


def fingerprint_file(path: str | os.PathLike, chunk: int = 1 << 20, samples: int = 16) -> str:
    """Fast identity of a (large) weights file: its size plus sampled chunks across it, hashed.

    Changing weights changes most bytes of the tensors concerned, so sampled chunks see it; hashing the
    whole of a 2.5 GB vit_h on every load would cost seconds.
    """
    size = os.path.getsize(path)
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as f:
        offsets = sorted({min(max(0, size - chunk), (size * i) // samples) for i in range(samples + 1)})
        for offset in offsets:
            f.seek(offset)
            digest.update(f.read(chunk))
    return digest.hexdigest()


def load_model(
    path: str | os.PathLike,
    device: str = config.DEVICE,
    precision: str = config.PRECISION,
    verdicts: Path | None | bool = True,
) -> LoadedModel:
    """Checkpoint file → ready SAM in eval mode on the chosen device, on the chosen path (``precision``:
    ``auto`` measures once per checkpoint and machine, recorded in ``verdicts``: True for the user's
    cache, a path, or None for this process only)."""
    target, why = resolve_device(device)
    hardware = detect(target, why)
    check_requested(precision, hardware)  # before the weights are read: a bad option fails fast
    tuned = read_sidecar(path)  # a damaged sidecar fails before the weights are read
    state = read_state_dict(path)
    config = infer_config(state)
    try:
        sam = build_sam(config)
        sam.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError, TypeError, ArithmeticError) as exc:
        raise SamCoreError(f"checkpoint {Path(path).name} does not match a SAM architecture") from exc
    sam.to(target).eval()
    if tuned is not None:
        sam.mask_threshold = tuned.logit_threshold  # SAM thresholds logits: the sidecar's p as a logit
    n_params = sum(p.numel() for p in sam.parameters())
    info = ModelInfo(str(path), config, n_params, fingerprint_file(path), tuned)
    store = user_cache("precision.json") if verdicts is True else verdicts or None
    choice = choose_precision(precision, sam, info.fingerprint, hardware, store)
    apply_precision(sam, choice.precision)
    return LoadedModel(sam, info, target, choice.precision, hardware, choice)
