"""The one guard for output paths, run for every output of a command before any work starts.

It tries what the write will do instead of asking ``os.access`` (which says yes to root everywhere and means
nothing on /proc or /sys): a short temporary file is created in the target folder and removed again. It
creates nothing that stays: a refused command leaves no folder and no file behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .atomic import temp_path
from .errors import SamCoreError

DEFAULT_NAME_MAX = 255


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):  # Windows has no pathconf
        return DEFAULT_NAME_MAX


def probe_folder(folder: str | os.PathLike, what: str) -> Path:
    """``folder`` exists, is a folder, and a file can be created in it (tried, then removed)."""
    folder = Path(folder)
    if not folder.exists():
        raise SamCoreError(f"the folder of {what} does not exist: {folder}")
    if not folder.is_dir():
        raise SamCoreError(f"the folder of {what} is a file, not a folder: {folder}")
    probe = temp_path(folder / "probe")
    try:
        with open(probe, "x"):
            pass
    except OSError as exc:
        raise SamCoreError(f"cannot create a file for {what} in {folder}: {exc.strerror or exc}") from None
    finally:
        try:
            probe.unlink(missing_ok=True)
        except OSError:
            pass
    return folder


def check_output_file(
    path: str | os.PathLike, suffixes: Iterable[str] | None, what: str = "the output"
) -> Path:
    """Fail in one sentence unless a file can be written at ``path``: the name fits the file system, is not
    a folder, ends in one of ``suffixes`` (None: any), and its folder is writable."""
    path = Path(path)
    folder = path.absolute().parent
    name_max = _name_max(folder) if folder.is_dir() else DEFAULT_NAME_MAX
    length = len(os.fsencode(path.name))
    if length > name_max:  # first: even a stat of such a name fails
        raise SamCoreError(
            f"the file name of {what} is {length} bytes long; this file system allows {name_max}"
        )
    if path.is_dir():
        raise SamCoreError(f"{what} {path} is an existing folder; give a file name")
    if suffixes is not None:
        suffixes = tuple(suffixes)
        if path.suffix.lower() not in suffixes:
            raise SamCoreError(f"{what} must end in {_either(suffixes)}, not {path.name!r}")
    probe_folder(folder, what)
    return path


def _either(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def check_output_folder(path: str | os.PathLike, what: str) -> Path:
    """Fail unless files can be written under ``path``: an existing writable folder, or a missing one whose
    nearest existing parent is a writable folder (the folder is created only when something is written)."""
    path = Path(path).absolute()
    if path.exists():
        if not path.is_dir():
            raise SamCoreError(f"{what} {path} is a file, not a folder")
        return probe_folder(path, what)
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    probe_folder(parent, what)
    return path
