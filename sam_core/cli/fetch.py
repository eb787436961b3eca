"""``python -m sam_core fetch-checkpoint``: a checkpoint download from a terminal, with a progress bar.

A command group of its own, like the others beside ``main``; ``make demo`` uses the same bar.
Standard library only, like ``checkpoints``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..io import strict_json
from ..sam.checkpoints import OFFICIAL, default_dir, download, resolve


class ProgressBar:
    """``fetching NAME: 42% (157.5 of 375.0 MB)`` on stderr: redrawn in place on a terminal, one line per
    10 % otherwise (a log file gets a dozen lines, not thousands); ``header`` first, at the first call."""

    def __init__(self, name: str, stream=None, header: str | None = None) -> None:
        self.name, self.stream, self.header = name, stream or sys.stderr, header
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.shown, self.last = -1, 0.0

    def __call__(self, done: int, total: int | None) -> None:
        if self.header:  # once the server answered: offline, the caller's one line is all there is
            self.stream.write(self.header + "\n")
            self.header = None
        if total:
            percent = int(100 * done / total)
            step = percent if self.tty else percent // 10 * 10
            now = time.monotonic()
            if step == self.shown or (self.tty and now - self.last < 0.1 and percent < 100):
                return
            self.shown, self.last = step, now
            text = f"fetching {self.name}: {percent}% ({done / 1e6:,.1f} of {total / 1e6:,.1f} MB)"
        else:
            megabytes = int(done / 1e7)  # every 10 MB when the size is unknown
            if megabytes == self.shown:
                return
            self.shown = megabytes
            text = f"fetching {self.name}: {done / 1e6:,.1f} MB"
        self.stream.write(f"\r{text}\x1b[K" if self.tty else f"{text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.shown >= 0:
            self.stream.write("\n")
            self.stream.flush()


def add_fetch_command(commands) -> None:
    fetch = commands.add_parser(
        "fetch-checkpoint",
        help="download an official SAM checkpoint (vit_b, vit_l, vit_h) or one from a URL, verified",
        description="Downloads into --dir (resuming an interrupted download), checks the SHA-256, and prints "
        "the file's path as JSON. Official files: "
        + "; ".join(f"{c.name} {c.filename} {c.size / 1e6:,.0f} MB" for c in OFFICIAL.values()),
    )
    fetch.add_argument("model", metavar="vit_b|vit_l|vit_h|URL")
    fetch.add_argument("--sha256", help="expected SHA-256 (official files: their published digest)")
    fetch.add_argument("--dir", help=f"folder to save into (default {default_dir()})")


def cmd_fetch_checkpoint(args) -> int:
    url, name, sha256 = resolve(args.model, args.sha256)
    folder = Path(args.dir) if args.dir else default_dir()
    bar = ProgressBar(name)
    try:
        result = download(url, folder / name, sha256, progress=bar)
    finally:
        bar.close()
    summary = {
        "path": str(result.path),
        "sha256": result.sha256,
        "bytes": result.size,
        "verified": result.verified,
        "resumed_from": result.resumed_from,
    }
    print(strict_json(summary))
    if not result.verified:
        print(
            f"warning: no SHA-256 given, so {name} was not verified (its SHA-256 is above)", file=sys.stderr
        )
    return 0
