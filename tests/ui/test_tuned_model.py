"""The dock's model line says when the checkpoint is a fine-tuned decoder (its sidecar's description)."""

from __future__ import annotations

from detect_helpers import tuned
from ui_helpers import load_model


def test_the_model_line_describes_a_fine_tuned_decoder(opened, tiny_checkpoint, tmp_path):
    path = tuned(tiny_checkpoint, tmp_path / "tuned.pth", 0.65, tile_px=128)
    load_model(opened, path)
    text = opened.dock.model_label.text()
    assert "fine-tuned from ViT-B, threshold 0.65, test accuracy 62 %" in text and "M parameters" in text
