"""One source for each default: the CLI's options and the core's option dataclasses all read sam_core.config
(Processing's and the dock's are checked against it in tests/processing/test_config_defaults.py, which needs
QGIS)."""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path

from sam_core import config
from sam_core.cli.main import build_parser
from sam_core.geo.tiles import TileGrid
from sam_core.landcover.classify import ClassifyOptions
from sam_core.prompting.everything import EverythingOptions, resolve_tiling
from sam_core.prompting.segment import DEFAULT_OVERLAP, DEFAULT_TILE_SIZE, Segmenter, prompt_overlap
from sam_core.sam.hardware import resolve_device
from sam_core.sam.model import load_model

ROOT = Path(__file__).resolve().parents[2]


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_cli_defaults_are_configs():
    cli = commands()
    for name in ("encode", "segment", "everything", "detect"):
        # None: the model's (LoadedModel.tile_size: a fine-tuned decoder's learned scale, else config's)
        assert cli[name].get_default("tile_size") is None, name
        assert cli[name].get_default("device") == config.DEVICE, name
    for name in ("encode", "everything"):
        assert cli[name].get_default("overlap") is None, name  # prompt_overlap of the tile: config's at 1024
    every = cli["everything"]
    assert every.get_default("points_per_side") == config.POINTS_PER_SIDE
    assert every.get_default("pred_iou_thresh") == config.PRED_IOU_THRESH
    assert every.get_default("stability_thresh") == config.STABILITY_THRESH
    assert every.get_default("min_region_px") == config.MIN_REGION_PX
    classify = cli["classify"]
    assert classify.get_default("overlap") == config.CLASSIFY_OVERLAP
    assert classify.get_default("stretch") == config.STRETCH
    for name in ("train-head", "classify", "encode", "everything"):
        if name in cli:
            assert cli[name].get_default("device") == config.DEVICE, name
    device_choices = {
        tuple(a.choices)
        for parser in cli.values()
        for a in parser._actions
        if a.dest == "device" and a.choices is not None
    }
    assert device_choices == {config.DEVICES}


def test_core_option_defaults_are_configs(tiny_checkpoint):
    every = EverythingOptions()
    assert (every.tile_size, every.overlap) == (None, None)  # the model's tile and its prompting overlap
    plain = resolve_tiling(every, load_model(tiny_checkpoint, "cpu"))
    assert (plain.tile_size, plain.overlap) == (config.TILE_SIZE, config.OVERLAP)
    assert every.points_per_side == config.POINTS_PER_SIDE
    assert (every.pred_iou_thresh, every.stability_score_thresh) == (
        config.PRED_IOU_THRESH,
        config.STABILITY_THRESH,
    )
    assert every.min_region_px == config.MIN_REGION_PX
    classify = ClassifyOptions()
    assert (classify.overlap, classify.stretch) == (config.CLASSIFY_OVERLAP, config.STRETCH)
    assert config.STRETCH in config.STRETCHES and config.DEVICE in config.DEVICES
    assert (DEFAULT_TILE_SIZE, DEFAULT_OVERLAP) == (config.TILE_SIZE, config.OVERLAP)
    assert prompt_overlap(config.TILE_SIZE) == config.OVERLAP
    assert inspect.signature(Segmenter).parameters["tile_size"].default is None  # the model's
    grid = inspect.signature(TileGrid).parameters
    assert (grid["tile_size"].default, grid["overlap"].default) == (config.TILE_SIZE, config.GRID_OVERLAP)
    assert inspect.signature(load_model).parameters["device"].default == config.DEVICE
    assert inspect.signature(resolve_device).parameters["name"].default == config.DEVICE

