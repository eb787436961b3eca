"""Fine-tune SAM's mask decoder on the user's labels, one run per resize size (the SAM fine-tuning recipe,
Nasriddinov 2024, see the README's References).

For each size S: every image resized to S and cut into patches (``patches``); the image and prompt encoders
frozen, only the mask decoder's parameters in Adam; Dice + cross-entropy (``loss``) on the ground truth's
prompts (boxes with a few pixels of jitter, interior points, or whole patches). Each patch is encoded once,
lazily in epoch 1 (``embed``), so epoch 1's seconds include the encoding and later epochs cost only the
decoder. After training, the probability threshold is picked on validation (``threshold``) and the test
images are scored, for the tuned decoder and for the untouched one (SAM's own threshold), so the user sees
what fine-tuning bought (``scoring``). The best size is the one with the best validation accuracy.

Everything random (batch order, box jitter) comes from the seed, on torch's CPU generator forked for the
run, so the same seed and data give the same decoder, bit for bit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from ..errors import Cancelled, SamCoreError
from ..sam.embeddings import EmbeddingCache
from ..sam.model import LoadedModel
from .dataset import TuningSet
from .embed import PatchEncoder
from .loss import dice_ce_loss
from .patches import MODES, Patch, Prompt, all_prompts
from .scoring import ImagePatches, all_logits, cut_image, decode_prompts, encode_image, with_decoder
from .threshold import SAM_THRESHOLD, mask_at, pick, score, sweep

TRAIN_SHARE = 0.85  # of each size's progress: the epochs; the rest is the sweep and the test figures
EXAMPLES = 4  # test images drawn in examples.png


@dataclass(frozen=True)
class FinetuneOptions:
    sizes: tuple[int, ...] = (512,)
    prompt: str = "box"
    epochs: int = 25
    learning_rate: float = 1e-5  # the recipe's, for pretrained weights
    batch_size: int = 8
    seed: int = 0
    patch_px: int = 256
    jitter_px: int = 4
    threshold_step: float = 0.05

    def validate(self) -> None:
        if self.prompt not in MODES:
            raise SamCoreError(f"unknown prompt mode {self.prompt!r}: use {', '.join(MODES)}")
        if not self.sizes or any(int(s) != s or s < 16 for s in self.sizes):
            raise SamCoreError("give at least one resize size, each a whole number of pixels (16 or more)")
        if self.patch_px < 16:
            raise SamCoreError(f"the patch size must be at least 16 pixels, not {self.patch_px}")
        if self.epochs < 1 or self.batch_size < 1:
            raise SamCoreError("epochs and batch size must be at least 1")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise SamCoreError(f"the learning rate must be positive, not {self.learning_rate:g}")
        if self.jitter_px < 0:
            raise SamCoreError(f"the box jitter cannot be negative ({self.jitter_px} px)")
        if not 0.0 < self.threshold_step <= 0.9:
            raise SamCoreError(f"the threshold step is between 0 and 0.9, not {self.threshold_step:g}")


@dataclass
class SizeRun:
    """One resize size: its decoder, threshold, curves and figures (``to_dict`` is plain JSON)."""

    size: int
    decoder: dict[str, torch.Tensor]  # the mask decoder's state dict (CPU)
    threshold: float
    history: dict[str, list]
    sweep: list[dict]
    val_metrics: dict
    test_metrics: dict
    base_metrics: dict
    seconds_per_image: float
    base_seconds_per_image: float
    encoder_calls: int
    encoder_seconds: float
    epoch_seconds: list[float]
    tile_px: int
    train_prompts: int
    examples: list[dict] = field(default_factory=list, repr=False)  # a few test images with their masks

    def to_dict(self) -> dict:
        return {
            "size": self.size,
            "threshold": self.threshold,
            "tile_px": self.tile_px,
            "train_prompts": self.train_prompts,
            "encoder_calls": self.encoder_calls,
            "encoder_seconds": round(self.encoder_seconds, 4),
            "epoch_seconds": [round(s, 4) for s in self.epoch_seconds],
            "seconds_per_image": self.seconds_per_image,
            "base_seconds_per_image": self.base_seconds_per_image,
            "val": self.val_metrics,
            "test": self.test_metrics,
            "base_test": self.base_metrics,
            "history": self.history,
            "threshold_sweep": self.sweep,
        }


@dataclass
class FinetuneResult:
    options: FinetuneOptions
    data: dict  # TuningSet.summary()
    base_label: str
    runs: list[SizeRun] = field(default_factory=list)

    @property
    def best(self) -> SizeRun:
        """The size with the best validation accuracy, ties broken by validation mean IoU."""
        return max(self.runs, key=lambda r: (r.val_metrics["accuracy"], r.val_metrics["mean_iou"]))

    def summary(self) -> dict:
        """Plain JSON: the recipe's Table 1 per size, with the base model's figures beside the tuned ones."""
        rows = [
            {
                "size": run.size,
                "accuracy": run.test_metrics["accuracy"],
                "mean_iou": run.test_metrics["mean_iou"],
                "dice": run.test_metrics["dice"],
                "seconds_per_image": run.seconds_per_image,
                "base_accuracy": run.base_metrics["accuracy"],
                "base_mean_iou": run.base_metrics["mean_iou"],
                "threshold": run.threshold,
            }
            for run in self.runs
        ]
        return {
            "base_model": self.base_label,
            "options": {**asdict(self.options), "sizes": list(self.options.sizes)},
            "data": self.data,
            "table": rows,
            "best_size": self.best.size,
            "encoder_calls": sum(run.encoder_calls for run in self.runs),
        }


def finetune_decoder(
    data: TuningSet,
    model: LoadedModel,
    options: FinetuneOptions | None = None,
    cache: EmbeddingCache | None = None,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> FinetuneResult:
    """One decoder per size in ``options.sizes``; nothing is written here (``save_tuned``, ``write_report``)."""
    options = options or FinetuneOptions()
    options.validate()
    data.check()
    result = FinetuneResult(options, data.summary(), model.info.config.label)
    sizes = list(dict.fromkeys(int(s) for s in options.sizes))
    for k, size in enumerate(sizes):

        def size_progress(fraction: float, k: int = k) -> None:
            if progress:
                progress((k + min(1.0, fraction)) / len(sizes))

        result.runs.append(run_size(data, model, size, options, cache, size_progress, is_cancelled))
    return result


def learned_tile_px(data: TuningSet, patch_px: int, size: int) -> int:
    """Source pixels per training patch: ``patch_px`` × the median image side / S."""
    sides = [side for image in data.images for side in image.objects.shape]
    return max(16, round(patch_px * float(np.median(sides)) / size))


def run_size(
    data: TuningSet,
    model: LoadedModel,
    size: int,
    options: FinetuneOptions,
    cache: EmbeddingCache | None,
    progress: Callable[[float], None],
    is_cancelled: Callable[[], bool] | None,
) -> SizeRun:
    px, mode = options.patch_px, options.prompt
    cuts = {
        split: [cut_image(image, i, size, px, mode) for i, image in enumerate(data.part(split))]
        for split in ("train", "val", "test")
    }
    encoder = PatchEncoder(model, px, cache)
    tuned = with_decoder(model)
    history, epoch_seconds = fit(tuned, encoder, cuts, options, progress, is_cancelled)
    decoder = {k: v.detach().cpu().clone() for k, v in tuned.sam.mask_decoder.state_dict().items()}

    val_maps, _ = all_logits(tuned, encoder, cuts["val"], px, is_cancelled)
    rows = sweep(val_maps, data.part("val"), options.threshold_step)
    threshold = pick(rows)
    val_metrics = score(val_maps, data.part("val"), threshold)
    progress(TRAIN_SHARE + 0.05)

    test_images = data.part("test")
    encode_s = [encode_image(encoder, cut, is_cancelled) for cut in cuts["test"]]
    tuned_maps, tuned_s = all_logits(tuned, encoder, cuts["test"], px, is_cancelled)
    base_maps, base_s = all_logits(model, encoder, cuts["test"], px, is_cancelled)
    run = SizeRun(
        size=size,
        decoder=decoder,
        threshold=threshold,
        history=history,
        sweep=rows,
        val_metrics=val_metrics,
        test_metrics=score(tuned_maps, test_images, threshold),
        base_metrics=score(base_maps, test_images, SAM_THRESHOLD),
        seconds_per_image=_mean_sum(encode_s, tuned_s),
        base_seconds_per_image=_mean_sum(encode_s, base_s),
        encoder_calls=encoder.encoder_calls,
        encoder_seconds=encoder.seconds,
        epoch_seconds=epoch_seconds,
        tile_px=learned_tile_px(data, px, size),
        train_prompts=len(_train_prompts(cuts["train"], options)[1]),
        examples=_examples(cuts["test"], tuned_maps, base_maps, threshold),
    )
    encoder.forget()
    progress(1.0)
    return run


def _mean_sum(a: list[float], b: list[float]) -> float:
    return float(np.mean(np.add(a, b))) if a else 0.0


def _train_prompts(cuts: list[ImagePatches], options: FinetuneOptions) -> tuple[list[Patch], list[Prompt]]:
    patches = [patch for cut in cuts for patch in cut.patches]
    return patches, all_prompts(patches, options.prompt, options.patch_px, training=True)


def fit(
    tuned: LoadedModel,
    encoder: PatchEncoder,
    cuts: dict[str, list[ImagePatches]],
    options: FinetuneOptions,
    progress: Callable[[float], None],
    is_cancelled: Callable[[], bool] | None,
) -> tuple[dict[str, list], list[float]]:
    """Train ``tuned``'s decoder in place; the history per epoch and each epoch's seconds."""
    train_patches, train_prompts = _train_prompts(cuts["train"], options)
    val_patches, val_prompts = _train_prompts(cuts["val"], options)
    if not train_prompts:
        raise SamCoreError(
            "no training patch holds an object at this size: the decoder would have nothing to learn"
        )
    sam = tuned.sam
    history: dict[str, list] = {k: [] for k in ("epoch", "train_loss", "val_loss", "val_mean_iou", "seconds")}
    frozen = [p for m in (sam.image_encoder, sam.prompt_encoder) for p in m.parameters()]
    flags = [p.requires_grad for p in frozen]
    try:
        for p in frozen:
            p.requires_grad_(False)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(options.seed)
            rng = np.random.default_rng(options.seed)  # box jitter
            order = torch.Generator().manual_seed(options.seed)
            optimiser = torch.optim.Adam(sam.mask_decoder.parameters(), lr=options.learning_rate)
            for epoch in range(1, options.epochs + 1):
                start = time.perf_counter()
                sam.mask_decoder.train()
                losses = []
                for batch in torch.randperm(len(train_prompts), generator=order).split(options.batch_size):
                    if is_cancelled and is_cancelled():
                        raise Cancelled()
                    chosen = [train_prompts[i] for i in batch.tolist()]
                    loss = batch_loss(tuned, encoder, train_patches, chosen, options, rng, is_cancelled)
                    _finite(loss.item())
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                    losses.append(loss.item())
                sam.mask_decoder.eval()
                val_loss = _val_loss(tuned, encoder, val_patches, val_prompts, options, is_cancelled)
                val_maps, _ = all_logits(tuned, encoder, cuts["val"], options.patch_px, is_cancelled)
                val_iou = score(val_maps, [c.image for c in cuts["val"]], SAM_THRESHOLD)["mean_iou"]
                seconds = time.perf_counter() - start
                for key, value in zip(history, (epoch, float(np.mean(losses)), val_loss, val_iou, seconds)):
                    history[key].append(value)
                progress(TRAIN_SHARE * epoch / options.epochs)
    finally:
        for p, flag in zip(frozen, flags):
            p.requires_grad_(flag)
        sam.mask_decoder.eval()
    return history, list(history["seconds"])


def batch_loss(
    model: LoadedModel,
    encoder: PatchEncoder,
    patches: list[Patch],
    prompts: list[Prompt],
    options: FinetuneOptions,
    rng: np.random.Generator | None,
    is_cancelled: Callable[[], bool] | None,
) -> torch.Tensor:
    """The loss of a batch of prompts, decoded patch by patch (one embedding, several prompts)."""
    groups: dict[int, list[Prompt]] = {}
    for prompt in prompts:
        groups.setdefault(prompt.patch, []).append(prompt)
    logits, targets, known = [], [], []
    for index, group in groups.items():
        embedding = encoder.encode(patches[index], is_cancelled)
        logits.append(decode_prompts(model, embedding, group, options.patch_px, rng, options.jitter_px))
        targets.extend(torch.from_numpy(p.target) for p in group)
        known.extend(torch.from_numpy(patches[index].known) for _ in group)
    device = model.device
    return dice_ce_loss(torch.cat(logits), torch.stack(targets).to(device), torch.stack(known).to(device))


@torch.no_grad()
def _val_loss(model, encoder, patches, prompts, options, is_cancelled) -> float:
    if not prompts:
        return float("nan")
    total = 0.0
    for start in range(0, len(prompts), options.batch_size):
        chosen = prompts[start : start + options.batch_size]
        loss = batch_loss(model, encoder, patches, chosen, options, None, is_cancelled).item()
        total += _finite(loss) * len(chosen)
    return total / len(prompts)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise SamCoreError("training diverged (the loss is not finite): try a lower learning rate")
    return float(value)


def _examples(cuts, tuned_maps, base_maps, threshold) -> list[dict]:
    """A few test images (with objects first, then one without) and their masks, for examples.png."""
    order = sorted(range(len(cuts)), key=lambda i: cuts[i].image.n_objects == 0)
    chosen = [i for i in order if cuts[i].image.n_objects][: EXAMPLES - 1]
    chosen += [i for i in order if not cuts[i].image.n_objects][:1]
    chosen += [i for i in order if i not in chosen][: max(0, EXAMPLES - len(chosen))]
    return [
        {
            "name": cuts[i].image.name,
            "rgb": cuts[i].image.rgb,
            "truth": cuts[i].image.target,
            "base": mask_at(base_maps[i], SAM_THRESHOLD),
            "tuned": mask_at(tuned_maps[i], threshold),
        }
        for i in chosen
    ]
