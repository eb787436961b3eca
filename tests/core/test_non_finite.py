"""Non-finite numbers: a checkpoint with NaN weights is refused at load, and what the CLI prints is strict
JSON (no bare NaN)."""

from __future__ import annotations

import json
import math

import pytest
import torch
from cli_helpers import assert_user_error, run_cli

from sam_core.io import finite_or_null, strict_json
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_checkpoint_with_non_finite_weights_is_refused(tmp_path, tiny_checkpoint, rgb_tif, bad):
    state = torch.load(tiny_checkpoint, map_location="cpu", weights_only=True)
    name = next(k for k, v in state.items() if v.is_floating_point())
    state[name].view(-1)[0] = bad
    broken = tmp_path / "broken.pth"
    torch.save(state, broken)
    out = tmp_path / "o.gpkg"
    result = run_cli("segment", rgb_tif, "--checkpoint", broken, "--point", "200000,2700000", "--out", out)
    assert_user_error(result, "broken.pth", "NaN or infinite weights", name)
    assert not out.exists()


def test_printed_json_is_strict():
    data = {"iou": math.nan, "rows": [1.5, math.inf, (-math.inf, 2)], "n": 3, "s": "NaN"}
    text = strict_json(data)
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c}")) == {
        "iou": None, "rows": [1.5, None, [None, 2]], "n": 3, "s": "NaN",
    }  # fmt: skip
    assert finite_or_null(0.25) == 0.25


def test_a_sound_random_checkpoint_still_loads(tmp_path):
    from sam_core.sam.model import load_model

    path = tmp_path / "ok.pth"
    save_random_checkpoint(path, tiny_config(), seed=3)
    assert load_model(path, "cpu").embedding_shape[0] == 1
