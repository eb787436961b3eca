"""The fine-tuning run's outputs: the tuned checkpoint with its sidecar, and the report folder.

``save_tuned`` writes a plain SAM state dict, with exactly the base checkpoint's keys and shapes (the base
tensors, the mask decoder's replaced by the best size's), so it loads in ``segment_anything`` and any SAM
tool; what TerraSAM needs beyond the tensors (threshold, prompt mode, scale, figures) goes into the sidecar.
``write_report`` writes ``summary.json`` (the recipe's Table 1 per size, the base model's figures beside
them) and per size ``size_<S>/``: ``metrics.json``, ``curves.png``, ``threshold.png``, ``examples.png``.
Both write through ``all_or_nothing``: all files or none.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import torch

from ..errors import SamCoreError
from ..io import all_or_nothing, make_folder, strict_json, write_bytes, write_text
from ..sam.model import LoadedModel
from ..sam.tuned import TunedInfo, sidecar_path, write_sidecar
from .train import FinetuneResult, SizeRun

DECODER_PREFIX = "mask_decoder."
FIGURES = ("accuracy", "mean_iou", "dice", "iou", "pixel_accuracy", "tpr", "fpr", "precision", "images")


def figures(metrics: dict) -> dict:
    """The headline figures of an ``overall`` dict (plain JSON)."""
    return {k: metrics[k] for k in FIGURES if k in metrics}


def tuned_state(run: SizeRun, base: LoadedModel) -> dict[str, torch.Tensor]:
    """The base model's state dict with the mask decoder's tensors replaced by ``run``'s."""
    state = {k: v.detach().cpu().clone() for k, v in base.sam.state_dict().items()}
    decoder_keys = {k for k in state if k.startswith(DECODER_PREFIX)}
    tuned = {DECODER_PREFIX + k: v for k, v in run.decoder.items()}
    if set(tuned) != decoder_keys or any(tuned[k].shape != state[k].shape for k in tuned):
        raise SamCoreError("the tuned decoder does not match the base model's architecture")
    state.update({k: v.detach().cpu().clone().to(state[k].dtype) for k, v in tuned.items()})
    return state


def tuned_info(result: FinetuneResult, base: LoadedModel, run: SizeRun) -> TunedInfo:
    return TunedInfo(
        base_label=base.info.config.label,
        base_name=Path(base.info.path).name,
        base_fingerprint=base.info.fingerprint,
        threshold=float(run.threshold),
        prompt=result.options.prompt,
        size=int(run.size),
        patch_px=int(result.options.patch_px),
        tile_px=int(run.tile_px),
        sizes=[int(s) for s in result.options.sizes],
        data=result.data,
        metrics={**figures(run.test_metrics), "seconds_per_image": run.seconds_per_image},
        base_metrics={**figures(run.base_metrics), "seconds_per_image": run.base_seconds_per_image},
    )


def save_tuned(result: FinetuneResult, base: LoadedModel, out: str | os.PathLike) -> tuple[Path, Path]:
    """The best size's decoder as ``out`` (a .pth) and its sidecar ``out.json``; both or neither."""
    out = Path(out)
    run = result.best
    buffer = io.BytesIO()
    torch.save(tuned_state(run, base), buffer)
    with all_or_nothing():
        make_folder(out.parent)
        write_bytes(out, buffer.getvalue())
        write_sidecar(out, tuned_info(result, base, run))
    return out, sidecar_path(out)


def write_report(result: FinetuneResult, report_dir: str | os.PathLike) -> list[Path]:
    """Every report file (see the module); the paths written."""
    from .plots import curves_png, examples_png, threshold_png

    written: list[Path] = []
    with all_or_nothing():
        folder = make_folder(report_dir)
        summary = result.summary()
        summary["base_table"] = [
            {"size": run.size, **figures(run.base_metrics), "seconds_per_image": run.base_seconds_per_image}
            for run in result.runs
        ]
        written.append(write_text(folder / "summary.json", strict_json(summary, indent=2) + "\n"))
        for run in result.runs:
            sub = make_folder(folder / f"size_{run.size}")
            title = f"size {run.size}, {result.options.prompt} prompts"
            written.append(write_text(sub / "metrics.json", strict_json(run.to_dict(), indent=2) + "\n"))
            written.append(curves_png(sub / "curves.png", run.history, title))
            written.append(
                threshold_png(sub / "threshold.png", run.sweep, run.threshold, f"{title}: validation")
            )
            written.append(examples_png(sub / "examples.png", run.examples, f"{title}: test images"))
    return written
