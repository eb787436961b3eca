"""Hostile CLI options and output paths: one table of bad inputs per command, run as a user runs them.

Every case must end with exit code 2 and one ``error:`` line naming the problem, no traceback, no file or
folder left behind, and the user's existing output unchanged byte for byte. The cases fail in validation,
so their checkpoint is a path that does not exist: had the model been loaded first, the message would be
"checkpoint not found" and the case would fail. Cases that must pass validation use the tiny checkpoint.
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys

import pytest
import rasterio
from cli_helpers import ROOT, assert_user_error, run_cli

SENTINEL = b"the user's existing file\n"
NO_CKPT = "never-loaded.pth"
LONG = 245  # characters of an output name: the old temporary names went past NAME_MAX (255)


def centre(raster) -> tuple[float, float]:
    with rasterio.open(raster) as ds:
        return (ds.bounds.left + ds.bounds.right) / 2, (ds.bounds.bottom + ds.bounds.top) / 2


def _cases(rgb, x: float, y: float) -> dict[str, tuple[list[str], str]]:
    """name → (argv with {w} for the work folder, a phrase of the error line); (x, y) inside ``rgb``."""
    seg = ["segment", str(rgb), "--checkpoint", NO_CKPT, "--point", f"{x},{y}", "--out", "{w}/out.gpkg"]
    every = ["everything", str(rgb), "--checkpoint", NO_CKPT, "--out", "{w}/out.gpkg"]
    train = ["train-classifier", "{w}/data", "--checkpoint", NO_CKPT, "--out", "{w}/head.pt"]
    train += ["--cache-dir", "{w}/features"]
    cls = ["classify", str(rgb), "--checkpoint", NO_CKPT, "--head", "h.pt", "--out", "{w}/out.gpkg"]
    ev = ["evaluate", "{w}/out.gpkg", "{w}/out.gpkg", "--raster", str(rgb), "--out", "{w}/report.json"]
    enc = ["encode", str(rgb), "--checkpoint", NO_CKPT, "--cache-dir", "{w}/cache"]
    long_name = "n" * (300 - 5)
    return {
        # numbers: finite, in range, and what fits in memory
        "tile size beyond memory": ([*seg, "--tile-size", "100000"], "--tile-size 100000 needs about"),
        "tile size beyond memory (everything)": ([*every, "--tile-size", "100000"], "at most"),
        "tile size too small": ([*seg, "--tile-size", "8"], "--tile-size: must be at least 16"),
        "tile size not a number": ([*enc, "--tile-size", "big"], "must be a whole number"),
        "points per side beyond memory": (
            [*every, "--points-per-side", "100000"],
            "--points-per-side 100000",
        ),
        "points per side beyond the tile": (
            [*every, "--points-per-side", "2000"],
            "one prompt point a pixel",
        ),
        "points per side zero": ([*every, "--points-per-side", "0"], "--points-per-side: must be at least 1"),
        "crop layers beyond memory": ([*every, "--crop-n-layers", "14"], "--crop-n-layers 14"),
        "negative seed": ([*train, "--seed", "-1"], "--seed: must be between 0 and"),
        "zero epochs": ([*train, "--epochs", "0"], "--epochs: must be at least 1"),
        "nan gsd": ([*train, "--gsd-m", "nan"], "--gsd-m: must be a finite number"),
        "nan min area": ([*every, "--min-area-m2", "nan"], "--min-area-m2: must be a finite number"),
        "negative min hole": ([*seg, "--min-hole-m2", "-5"], "--min-hole-m2: must be at least 0"),
        "negative simplify": ([*seg, "--simplify-px", "-1"], "--simplify-px: must be at least 0"),
        "infinite simplify": ([*seg, "--simplify-px", "inf"], "--simplify-px: must be a finite number"),
        "nan iou threshold": ([*every, "--pred-iou-thresh", "nan"], "--pred-iou-thresh: must be a finite"),
        "stability above 1": (
            [*every, "--stability-thresh", "5"],
            "--stability-thresh: must be between 0 and 1",
        ),
        "negative overlap": ([*enc, "--overlap", "-3"], "--overlap: must be at least 0"),
        "nan point": ([*seg, "--point", f"nan,{y}"], "finite"),
        "infinite box": ([*seg, "--box", f"{x},{y},inf,{y + 1}"], "finite"),
        "zero cell size": ([*cls, "--cell-size-m", "0"], "--cell-size-m: must be more than 0"),
        "evaluate threshold above 1": ([*ev, "--iou-threshold", "2"], "--iou-threshold: must be between"),
        # output files: checked before any work, every one of them
        "out under /proc": (
            [*seg[:-1], "/proc/terrasam-out.gpkg"],
            "cannot create a file for --out in /proc",
        ),
        "out under /sys": ([*every[:-1], "/sys/terrasam-out.gpkg"], "cannot create a file for --out in /sys"),
        "out in a missing folder": (
            [*seg[:-1], "{w}/missing/out.gpkg"],
            "the folder of --out does not exist",
        ),
        "out under a file": ([*seg[:-1], "{w}/afile/out.gpkg"], "the folder of --out is a file"),
        "out is a folder": ([*seg[:-1], "{w}/folder.gpkg"], "is an existing folder"),
        "out name too long": ([*seg[:-1], f"{{w}}/{long_name}.gpkg"], "bytes long; this file system allows"),
        "preview in a missing folder": (
            [*seg, "--preview", "{w}/missing/p.png"],
            "folder of --preview does not",
        ),
        "preview is a folder": (
            [*seg, "--preview", "{w}/folder.png"],
            "--preview {w}/folder.png is an existing",
        ),
        "preview under /proc": ([*seg, "--preview", "/proc/p.png"], "cannot create a file for --preview"),
        "preview not an image": ([*seg, "--preview", "{w}/p.gif"], "must end in .png, .jpg or .jpeg"),
        "cache dir is a file": ([*seg, "--cache-dir", "{w}/afile"], "--cache-dir {w}/afile is a file"),
        "cache dir under a file": ([*enc[:-1], "{w}/afile/cache"], "the folder of --cache-dir is a file"),
        "cache dir under /proc": ([*every, "--cache-dir", "/proc/terrasam-cache"], "--cache-dir in /proc"),
        "summary in a missing folder": ([*cls, "--summary", "{w}/missing/s.csv"], "folder of --summary"),
        "summary not json or csv": ([*cls, "--summary", "{w}/s.txt"], "must end in .json or .csv"),
        "classify out is a folder": ([*cls[:-1], "{w}/folder.gpkg"], "is an existing folder"),
        "report under /proc": ([*ev[:-1], "/proc/report.json"], "cannot create a file for --out"),
        "report name too long": ([*ev[:-1], f"{{w}}/{long_name}.json"], "bytes long"),
        "head in a missing folder": (
            [*train[:4], "--out", "{w}/missing/head.pt", *train[6:]],
            "the folder of --out does not exist",
        ),
        "report dir is a file": ([*train, "--report-dir", "{w}/afile"], "--report-dir {w}/afile is a file"),
        "feature cache is a file": ([*train[:-1], "{w}/afile"], "--cache-dir {w}/afile is a file"),
        # a refused data set leaves no feature-cache folder behind (the table checks {w}/features is absent)
        "train on a data set of one class": (train, "at least two classes"),
    }


def _work_folder(tmp_path):
    """The outputs the user already has (kept byte for byte), a file and folders in the way, a bad data set."""
    work = tmp_path / "work"
    work.mkdir()
    for name in ("out.gpkg", "head.pt", "report.json"):
        (work / name).write_bytes(SENTINEL)
    (work / "afile").write_bytes(SENTINEL)
    (work / "folder.gpkg").mkdir()
    (work / "folder.png").mkdir()
    only = work / "data" / "forest"
    only.mkdir(parents=True)
    for k in range(2):
        (only / f"p{k}.png").write_bytes(SENTINEL)
    return work


def _snapshot(folder) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def cases(rgb_tif):
    return _cases(rgb_tif, *centre(rgb_tif))


CASE_NAMES = list(_cases("raster.tif", 0.0, 0.0))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_option_or_output_is_one_error_line_and_changes_nothing(tmp_path, cases, name):
    work = _work_folder(tmp_path)
    before = _snapshot(work)
    argv, phrase = cases[name]
    result = run_cli(*(a.replace("{w}", str(work)) for a in argv), timeout=60)
    assert_user_error(result, phrase.replace("{w}", str(work)))
    assert _snapshot(work) == before  # no output, no temporary file, no folder; the old files unchanged


def _segment(rgb, ckpt, *args, **kwargs) -> subprocess.CompletedProcess:
    x, y = centre(rgb)
    return run_cli("segment", rgb, "--checkpoint", ckpt, "--point", f"{x},{y}", *args, **kwargs)


def test_long_output_names_and_a_jpeg_preview_are_written(tmp_path, rgb_tif, tiny_checkpoint):
    """245-character names: the temporary names stay short (the old ones went past NAME_MAX, and evaluate's
    clean-up then raised twice); ``--preview p.jpg`` is a real JPEG."""
    out = tmp_path / ("o" * (LONG - 5) + ".gpkg")
    preview = tmp_path / ("p" * (LONG - 4) + ".jpg")
    result = _segment(rgb_tif, tiny_checkpoint, "--out", out, "--preview", preview)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:16] == b"SQLite format 3\x00"
    assert preview.read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG, not PNG bytes under a .jpg name
    report = tmp_path / ("r" * (LONG - 5) + ".json")
    result = run_cli("evaluate", out, out, "--raster", rgb_tif, "--out", report)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and report.read_text().startswith("{")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, preview.name, report.name])


def _limit_file_size(limit: int):
    def apply() -> None:  # in the child: writes past ``limit`` bytes fail with EFBIG, like a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_failing_preview_leaves_the_existing_geopackage_unchanged(tmp_path, rgb_tif, tiny_checkpoint):
    """All or nothing: the preview fails after every check passed (the disk is "full" past 600 kB: the
    GeoPackage is ~500 kB, the PNG ~730 kB); the user's out.gpkg keeps its old bytes, no temporary file left."""
    out, preview = tmp_path / "out.gpkg", tmp_path / "p.png"
    out.write_bytes(SENTINEL)
    x, y = centre(rgb_tif)
    args = ["segment", rgb_tif, "--checkpoint", tiny_checkpoint, "--point", f"{x},{y}"]
    result = subprocess.run(
        [sys.executable, "-m", "sam_core", *map(str, args), "--out", out, "--preview", preview],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_file_size(600_000),
        check=False,
    )
    assert_user_error(result, "p.png")
    assert out.read_bytes() == SENTINEL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]


def test_all_or_nothing_undoes_renames_done_when_a_later_one_fails(tmp_path):
    """The commit itself: the second rename fails (its target became a non-empty folder), so the first
    file gets its old content back; nothing temporary stays."""
    from sam_core.errors import SamCoreError
    from sam_core.io import all_or_nothing, write_text

    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text("old")
    with pytest.raises(SamCoreError, match="b.json"), all_or_nothing():
        write_text(first, "new")
        write_text(second, "new")
        second.mkdir()
        (second / "x").write_text("in the way")
    assert first.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]
    with all_or_nothing():
        write_text(first, "new")
        write_text(tmp_path / "c.json", "new")
    assert first.read_text() == (tmp_path / "c.json").read_text() == "new"


def test_a_failed_report_removes_the_folders_it_created_and_keeps_the_users(tmp_path):
    """The training report's folders: made inside the block, removed again when it fails (only if empty:
    a folder the user had, or one holding their files, stays)."""
    from sam_core.io import all_or_nothing, make_folder, write_text

    kept = tmp_path / "existing_report"
    kept.mkdir()
    (kept / "notes.txt").write_text("the user's")
    with pytest.raises(RuntimeError), all_or_nothing():
        write_text(make_folder(tmp_path / "new_report" / "train_80") / "metrics.json", "{}")
        write_text(make_folder(kept / "train_50") / "metrics.json", "{}")
        raise RuntimeError("the plot failed")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "existing_report",
        "existing_report/notes.txt",
    ]
