"""Atomic output files: the one way every writer in the core replaces a file.

A writer asks ``atomic_output(path)`` for a temporary name in the target's own folder (``.tmp-<random><ext>``:
short, so a long output name can never make it exceed NAME_MAX, and on the same file system, so the
final rename is atomic), writes there, and on success the temporary file is flushed to disk and renamed
over ``path``. On any failure the temporary file is removed and ``path`` is untouched.

Inside ``all_or_nothing()`` the renames wait until the block ends: a command with several outputs (a
GeoPackage and its preview, a summary, a training report) replaces either all of them or none.
"""

from __future__ import annotations

import contextvars
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s content to (the writer creates the file); rename it over
    ``path`` when the block succeeds, remove it when anything fails."""
    path = Path(path)
    tmp = temp_path(path)
    try:
        yield tmp
        _fsync(tmp)
        batch = _BATCH.get()
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


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """``data`` into ``path`` atomically, with the usual umask-based mode (not mkstemp's 0600)."""
    with atomic_output(path) as tmp, open(tmp, "xb") as handle:
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
