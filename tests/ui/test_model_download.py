"""**Get a model…** in real QGIS: the dock's button, the dialog, a real QgsTask downloading from a server on
127.0.0.1 into the profile's checkpoint folder, verification, cancel, and the file becoming the checkpoint."""

from __future__ import annotations

import time

import pytest
from local_http import serve
from qgis.core import QgsApplication, QgsSettings
from ui_helpers import wait_until

from sam_core.sam.checkpoints import OFFICIAL


@pytest.fixture
def opened(opened, tmp_path):
    """The shared open dock (tests/ui/conftest.py), its checkpoint folder in the test's own profile."""
    QgsSettings().setValue("TerraSAM/checkpoint_dir", str(tmp_path / "profile" / "checkpoints"))
    return opened


def dialog_of(plugin):
    plugin.dock.get_model_button.click()
    dialog = plugin.dock.model_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def choose_custom(dialog, url: str, sha256: str) -> None:
    dialog.choice.setCurrentIndex(dialog.choice.findData("custom"))
    dialog.url_edit.setText(url)
    dialog.sha_edit.setText(sha256)


def test_the_official_checkpoints_are_offered_with_size_and_sha256(opened):
    dialog = dialog_of(opened)
    dialog.choice.setCurrentIndex(dialog.choice.findData("vit_h"))
    assert "2,565 MB" in dialog.choice.currentText()
    assert dialog.sha_edit.text() == OFFICIAL["vit_h"].sha256 and dialog.sha_edit.isReadOnly()
    assert dialog.url_edit.text().endswith("/sam_vit_h_4b8939.pth")
    assert [dialog.choice.itemData(i) for i in range(dialog.choice.count())] == [
        "vit_b",
        "vit_l",
        "vit_h",
        "custom",
    ]


def test_a_custom_url_with_sha256_downloads_into_the_profile_and_becomes_the_checkpoint(
    opened, tmp_path, payload
):
    data, digest = payload
    dialog = dialog_of(opened)
    with serve({"/models/tiny.pth": data}) as server:
        choose_custom(dialog, server.url("/models/tiny.pth"), digest)
        dialog.download_button.click()
        assert dialog.cancel_button.isVisible()  # the download runs in a task: the UI is free meanwhile
        wait_until(lambda: dialog.task is None, timeout=60)
    saved = tmp_path / "profile" / "checkpoints" / "tiny.pth"
    assert saved.read_bytes() == data and "verified" in dialog.status_label.text()
    assert opened.dock.checkpoint_widget.filePath() == str(saved)
    assert QgsSettings().value("TerraSAM/checkpoint") == str(saved)
    wait_until(lambda: opened.controller.model is not None, timeout=120)  # loaded by the real engine
    assert opened.controller.model["name"].startswith("tiny.pth")


def test_a_file_that_fails_verification_is_deleted_and_the_user_told(opened, tmp_path, payload):
    data, _ = payload
    dialog = dialog_of(opened)
    before = opened.dock.checkpoint_widget.filePath()
    with serve({"/tiny.pth": data}) as server:
        choose_custom(dialog, server.url("/tiny.pth"), "0" * 64)
        dialog.download_button.click()
        wait_until(lambda: dialog.task is None, timeout=60)
    text = dialog.status_label.text()
    assert "SHA-256 mismatch" in text and "deleted" in text
    folder = tmp_path / "profile" / "checkpoints"
    assert list(folder.iterdir()) == []
    assert opened.dock.checkpoint_widget.filePath() == before
    assert dialog.download_button.isEnabled() and not dialog.progress_bar.isVisible()


def test_cancel_lands_within_two_seconds_and_keeps_the_partial_file(opened, tmp_path, payload):
    data, digest = payload
    dialog = dialog_of(opened)
    with serve({"/tiny.pth": data}, stall_after=4096) as server:
        choose_custom(dialog, server.url("/tiny.pth"), digest)
        dialog.download_button.click()
        part = tmp_path / "profile" / "checkpoints" / "tiny.pth.part"
        wait_until(lambda: dialog.task is not None and dialog.task.engine.done == 4096, timeout=60)
        start = time.monotonic()
        dialog.cancel_button.click()
        wait_until(lambda: dialog.task is None, timeout=10)
        elapsed = time.monotonic() - start
    assert elapsed < 2.0 and "cancelled" in dialog.status_label.text()
    assert part.stat().st_size == 4096 and not part.with_name("tiny.pth").exists()
    assert QgsApplication.taskManager().countActiveTasks() == 0


def test_a_bad_url_is_one_sentence_and_starts_nothing(opened):
    dialog = dialog_of(opened)
    choose_custom(dialog, "ftp://example.org/model.pth", "")
    dialog.download_button.click()
    assert dialog.task is None and "http(s) URL" in dialog.status_label.text()
