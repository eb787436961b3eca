"""Decoder fine-tuning: options, the recipe's patches and prompts, embeddings computed once, determinism,
the frozen encoders, cancel, divergence and progress (tiny random-weight SAM, generated images)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from finetune_sets import small_checkpoint, tuning_set

from sam_core.errors import Cancelled, SamCoreError
from sam_core.finetune.dataset import TuningImage, TuningSet
from sam_core.finetune.patches import all_prompts, cut_patches, interior_point, jitter_box, patch_prompts
from sam_core.finetune.threshold import score
from sam_core.finetune.train import FinetuneOptions, finetune_decoder, learned_tile_px
from sam_core.sam.embeddings import EmbeddingCache
from sam_core.sam.model import load_model, read_state_dict

FAST = {"sizes": (128,), "patch_px": 128, "epochs": 2, "batch_size": 2, "learning_rate": 1e-3}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = small_checkpoint(tmp_path_factory.mktemp("small"))
    return path, load_model(path, "cpu")


@pytest.fixture(scope="module")
def data():
    return tuning_set(train=2, val=1, test=2, size=128, objects=(1, 2), empty_test=1)


def image_with(objects: np.ndarray, known=None, split="train") -> TuningImage:
    rgb = np.full((*objects.shape, 3), 90, np.uint8)
    rgb[objects > 0] = 200
    return TuningImage("x", rgb, objects.astype(np.int32), split, known)


@pytest.mark.parametrize(
    "bad, words",
    [
        ({"prompt": "lasso"}, "prompt mode"),
        ({"sizes": ()}, "resize size"),
        ({"sizes": (512.5,)}, "resize size"),
        ({"epochs": 0}, "epochs"),
        ({"learning_rate": 0.0}, "learning rate"),
        ({"learning_rate": float("nan")}, "learning rate"),
        ({"jitter_px": -1}, "jitter"),
        ({"threshold_step": 0.0}, "threshold step"),
        ({"patch_px": 8}, "patch size"),
    ],
)
def test_bad_options_are_one_readable_error(bad, words):
    with pytest.raises(SamCoreError, match=words):
        FinetuneOptions(**bad).validate()
    FinetuneOptions().validate()


def test_images_are_resized_non_uniformly_and_cut_on_a_padded_grid():
    objects = np.zeros((100, 150), np.int32)
    objects[10:40, 20:60] = 3
    objects[60:90, 100:140] = 7
    patches = cut_patches(image_with(objects), 0, 300, 256)
    assert [(p.row, p.col) for p in patches] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert sum(int(p.inside.sum()) for p in patches) == 300 * 300  # the padding is outside
    assert not patches[3].known[60:, 60:].any() and patches[3].known[:44, :44].all()
    assert (patches[3].rgb[44:, :] == 0).all()  # zero padding
    ids = set(np.unique(np.concatenate([p.objects.ravel() for p in patches])))
    assert ids == {0, 3, 7}  # nearest: no blended ids
    # object 3 spans rows 30..120 and columns 40..120 of the 300 px image (×3 vertically, ×2 horizontally)
    rows, cols = np.nonzero(patches[0].objects == 3)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (30, 119, 40, 119)


def test_prompts_per_mode_boxes_clipped_points_inside_and_whole_patches():
    objects = np.zeros((256, 256), np.int32)
    objects[100:140, 200:256] = 1  # crosses the patch border at x = 128
    yy, xx = np.mgrid[:256, :256]
    ring = ((yy - 50) ** 2 + (xx - 50) ** 2 <= 30**2) & ((yy - 50) ** 2 + (xx - 50) ** 2 >= 18**2)
    objects[ring] = 2
    patches = cut_patches(image_with(objects), 0, 256, 128)
    boxes = patch_prompts(patches[1], 1, "box", 128)
    assert [list(p.box) for p in boxes] == [[72, 100, 128, 128]]  # clipped to the patch, continuous pixels
    (point,) = patch_prompts(patches[0], 0, "point", 128)
    x, y = point.point
    assert point.target[int(y), int(x)] and x % 1 == 0.5  # on the ring itself, never in its hole
    assert interior_point(point.target)[0] == x  # deterministic
    (whole,) = patch_prompts(patches[3], 3, "patch", 128)
    assert list(whole.box) == [0, 0, 128, 128] and whole.target.any()
    assert len(all_prompts(patches, "patch", 128, training=False)) == 4  # empty patches scored
    assert {p.patch for p in all_prompts(patches, "patch", 128, training=True)} == {0, 1, 3}
    assert patch_prompts(patches[2], 2, "box", 128) == []


def test_box_jitter_is_seeded_bounded_and_never_empty():
    box = np.array([0, 120, 10, 128], np.float32)
    a = [jitter_box(box, np.random.default_rng(5), 4, 128) for _ in range(2)]
    assert np.array_equal(a[0], a[1])
    for moved in (jitter_box(box, np.random.default_rng(s), 4, 128) for s in range(50)):
        assert (np.abs(moved - box) <= 4).all() and (moved >= 0).all() and (moved <= 128).all()
        assert moved[2] > moved[0] and moved[3] > moved[1]


def test_tile_px_is_source_pixels_per_patch(data):
    assert learned_tile_px(data, 256, 512) == 64  # 128 px images at 512: a 256 px patch is 64 source pixels


def test_scores_count_images_without_objects_and_leave_unknown_pixels_out():
    empty = image_with(np.zeros((4, 4), np.int32), split="val")
    negative, positive = np.full((4, 4), -5.0), np.full((4, 4), 5.0)
    assert score([negative], [empty], 0.5)["accuracy"] == 1.0  # nothing predicted on nothing: correct
    assert score([positive], [empty], 0.5)["accuracy"] == 0.0
    objects = np.zeros((4, 4), np.int32)
    objects[:, :2] = 1
    known = np.zeros((4, 4), bool)
    known[:, :2] = True
    wrong_outside = np.where(objects > 0, 5.0, 5.0)  # predicts every pixel; the wrong ones are unknown
    assert score([wrong_outside], [image_with(objects, known)], 0.5)["mean_iou"] == 1.0
    assert score([wrong_outside], [image_with(objects)], 0.5)["mean_iou"] == 0.5


def test_embeddings_once_cached_on_disk_same_seed_same_decoder_bit_for_bit(small, data, tmp_path):
    path, model = small
    cache = EmbeddingCache(tmp_path / "cache")
    first = finetune_decoder(data, model, FinetuneOptions(**FAST), cache).runs[0]
    prompted = {  # every patch with a prompt: train, val and test
        p.rgb.tobytes() for image in data.images for p in cut_patches(image, 0, 128, 128) if p.ids
    }
    assert first.encoder_calls == len(prompted)  # each patch once, whatever the epochs
    assert len(first.epoch_seconds) == 2 and all(s > 0 for s in first.epoch_seconds)
    again = finetune_decoder(data, model, FinetuneOptions(**FAST), cache).runs[0]
    assert again.encoder_calls == 0  # all from the disk cache
    assert first.decoder.keys() == again.decoder.keys()
    assert all(torch.equal(first.decoder[k], again.decoder[k]) for k in first.decoder)
    other = finetune_decoder(data, model, FinetuneOptions(**{**FAST, "seed": 1}), cache).runs[0]
    assert not all(torch.equal(first.decoder[k], other.decoder[k]) for k in first.decoder)
    # the base model is untouched: its decoder is the checkpoint's, its parameters still trainable
    base = read_state_dict(path)
    for key, value in model.sam.mask_decoder.state_dict().items():
        assert torch.equal(value, base[f"mask_decoder.{key}"])
    assert any(not torch.equal(v, first.decoder[k]) for k, v in model.sam.mask_decoder.state_dict().items())
    assert all(p.requires_grad for p in model.sam.parameters())
    assert not model.sam.mask_decoder.training


def test_history_progress_and_summary(small, data):
    _, model = small
    seen = []
    result = finetune_decoder(
        data, model, FinetuneOptions(**{**FAST, "sizes": (128, 160)}), progress=seen.append
    )
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0) and 0 <= seen[0]
    assert [r.size for r in result.runs] == [128, 160]
    run = result.runs[0]
    assert set(run.history) == {"epoch", "train_loss", "val_loss", "val_mean_iou", "seconds"}
    assert run.history["epoch"] == [1, 2] and all(np.isfinite(run.history["train_loss"]))
    assert 0.05 <= run.threshold <= 0.95 and len(run.sweep) == 19
    summary = json.loads(json.dumps(result.summary(), allow_nan=False))
    row = summary["table"][0]
    assert set(row) >= {
        "size",
        "accuracy",
        "mean_iou",
        "dice",
        "seconds_per_image",
        "base_accuracy",
        "base_mean_iou",
    }
    assert summary["data"]["test"]["images_without_objects"] == 1 and summary["best_size"] == result.best.size
    assert run.test_metrics["images"] == 2 and run.base_metrics["images"] == 2


def test_cancel_lands_per_batch_and_inside_the_encoder(small, data):
    _, model = small
    with pytest.raises(Cancelled):
        finetune_decoder(data, model, FinetuneOptions(**FAST), is_cancelled=lambda: True)
    calls = []

    def third_call() -> bool:  # 1: the first batch, 2: the encoder's start, 3: before its first block
        calls.append(1)
        return len(calls) >= 3

    with pytest.raises(Cancelled):
        finetune_decoder(data, model, FinetuneOptions(**FAST), is_cancelled=third_call)
    assert len(calls) == 3


def test_a_diverging_run_is_one_readable_error(small, data):
    _, model = small
    with pytest.raises(SamCoreError, match="diverged.*lower learning rate"):
        finetune_decoder(data, model, FinetuneOptions(**{**FAST, "learning_rate": 1e30}))


def test_unusable_data_is_refused_before_any_work(small):
    _, model = small
    no_train_objects = TuningSet(
        "x",
        "folder",
        (
            image_with(np.zeros((64, 64), np.int32)),
            image_with(np.ones((64, 64), np.int32), split="val"),
            image_with(np.ones((64, 64), np.int32), split="test"),
        ),
    )
    with pytest.raises(SamCoreError, match="no training image"):
        finetune_decoder(no_train_objects, model, FinetuneOptions(**FAST), is_cancelled=pytest.fail)
