"""Checkpoint loading: the architecture from tensor shapes, and damaged or foreign files as readable errors."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from sam_core.errors import SamCoreError
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
