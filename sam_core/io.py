"""Atomic output files: the one way every writer in the core replaces a file.

A writer asks ``atomic_output(path)`` for a temporary name in the target's own folder (``.tmp-<random><ext>``:
short, so a long output name can never make it exceed NAME_MAX, and on the same file system, so the
final rename is atomic), writes there, and on success the temporary file is flushed to disk and renamed
over ``path``. On any failure the temporary file is removed and ``path`` is untouched.

Inside ``all_or_nothing()`` the renames wait until the block ends: a command with several outputs (a
GeoPackage and its preview, a summary, a training report) replaces either all of them or none.

The one guard for output paths (``check_outputs``) runs for every output of a command before any work
starts: it tries what the write will do (a short temporary file, created and removed) instead of asking
``os.access``, and leaves nothing behind. ``strict_json`` is the JSON the CLI prints: a non-finite number
becomes null, never a bare ``NaN`` that JSON readers reject.
"""

from __future__ import annotations

import contextvars
import json
import math
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import SamCoreError

TEMP_PREFIX = ".tmp-"
#: an extension longer than this is left off the temporary name (libraries pick formats by extension)
_MAX_SUFFIX = 16
_BATCH: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("terrasam_atomic_batch", default=None)


class _Batch:
    """The files staged by one ``all_or_nothing`` block, and the folders it created for them."""

    def __init__(self) -> None:
        self.files: list[tuple[Path, Path]] = []  # (temporary, final)
        self.folders: list[Path] = []  # created here, outermost first

    def discard(self) -> None:
        for tmp, _path in self.files:
            tmp.unlink(missing_ok=True)
        for folder in reversed(self.folders):
            try:
                folder.rmdir()  # only if still empty: never anything of the user's
            except OSError:
                pass


def temp_path(path: str | os.PathLike) -> Path:
    """A fresh, not yet existing temporary name beside ``path`` (same folder, same extension)."""
    path = Path(path)
    suffix = path.suffix if len(path.suffix) <= _MAX_SUFFIX else ""
    return path.parent / f"{TEMP_PREFIX}{secrets.token_hex(6)}{suffix}"


def _fsync(path: Path) -> None:
    """Flush a finished file (and, where the OS allows it, its folder) so a crash cannot leave it empty."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows cannot open a folder and needs nothing)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _cannot_write(path: Path, exc: OSError) -> SamCoreError:
    return SamCoreError(f"cannot write {path}: {exc.strerror or exc}")


@contextmanager
def atomic_output(path: str | os.PathLike, batched: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s content to (the writer creates the file); rename it over
    ``path`` when the block succeeds, remove it when anything fails. ``batched=False`` renames at once even
    inside ``all_or_nothing`` (a cache entry: valid whatever becomes of the command's outputs)."""
    path = Path(path)
    tmp = temp_path(path)
    try:
        yield tmp
        _fsync(tmp)
        batch = _BATCH.get() if batched else None
        if batch is not None:
            batch.files.append((tmp, path))  # renamed when all_or_nothing() ends
            return
        os.replace(tmp, path)
        fsync_folder(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _cannot_write(path, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike, data: bytes, batched: bool = True) -> Path:
    """``data`` into ``path`` atomically, with the usual umask-based mode (not mkstemp's 0600)."""
    with atomic_output(path, batched) as tmp, open(tmp, "xb") as handle:
        handle.write(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def make_folder(path: str | os.PathLike) -> Path:
    """Create ``path`` and its missing parents; inside ``all_or_nothing`` a failure removes them again."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()][::-1]
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SamCoreError(f"cannot create the folder {path}: {exc.strerror or exc}") from exc
    batch = _BATCH.get()
    if batch is not None:
        batch.folders.extend(missing)
    return path


@contextmanager
def all_or_nothing() -> Iterator[None]:
    """Every ``atomic_output`` inside the block is renamed into place only when the whole block succeeds;
    if the block or one of the renames fails, the files already replaced get their old content back and
    no temporary file is left."""
    if _BATCH.get() is not None:  # nested: the outer block decides
        yield
        return
    batch = _Batch()
    token = _BATCH.set(batch)
    try:
        yield
    except BaseException:
        batch.discard()
        raise
    finally:
        _BATCH.reset(token)
    _commit(batch)


def _commit(batch: _Batch) -> None:
    """Rename every staged file; on a failure undo the renames already done (from hard-linked backups)."""
    done: list[tuple[Path, Path | None]] = []  # (final path, backup of its old content or None)
    failed = None
    try:
        for tmp, path in batch.files:
            failed = path
            backup = None
            if path.exists():
                backup = temp_path(path)
                try:
                    os.link(path, backup)
                except OSError:  # no hard links here (FAT, some network shares): replace without undo
                    backup = None
            try:
                os.replace(tmp, path)
            except BaseException:
                if backup is not None:
                    backup.unlink(missing_ok=True)
                raise
            done.append((path, backup))
    except BaseException as exc:
        for restored, backup in reversed(done):
            if backup is not None:
                os.replace(backup, restored)
            else:
                restored.unlink(missing_ok=True)
        batch.discard()
        if isinstance(exc, OSError):
            raise _cannot_write(failed, exc) from exc
        raise
    for path, backup in done:
        if backup is not None:
            backup.unlink(missing_ok=True)
    for folder in {path.parent for _tmp, path in batch.files}:
        fsync_folder(folder)


# --- output guard ---

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


# --- strict JSON ---


def finite_or_null(value: Any) -> Any:
    """``value`` with every non-finite float (in dicts, lists and tuples) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_null(v) for v in value]
    return value


def strict_json(value: Any, **options) -> str:
    """``json.dumps`` that always writes valid JSON (``allow_nan=False`` after ``finite_or_null``)."""
    return json.dumps(finite_or_null(value), allow_nan=False, **options)
