"""The official SAM checkpoints, and a resumable, verified, atomic downloader for them (or any URL).

Standard library only (like ``client``): the QGIS dock runs ``download`` in a QgsTask inside QGIS, where
numpy/torch must never be imported. The CLI (``fetch-checkpoint``) and ``make demo`` use it too.

A download streams into ``<name>.part`` beside the target; a later call resumes that file with an HTTP
Range request (a server that ignores Range and answers 200 starts it again). The SHA-256 is checked before
the file is fsynced and renamed to its final name, so a file under the final name is always complete and
verified; a file that fails verification is deleted. ``TERRASAM_CHECKPOINT_BASE_URL`` replaces the official
download folder (a mirror serving the same files; tests point it at 127.0.0.1). Proxies come from the usual
``https_proxy``/``no_proxy`` variables (urllib).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import Cancelled, SamCoreError
from ..io import fsync_folder

OFFICIAL_BASE_URL = "https://dl.fbaipublicfiles.com/segment_anything/"
BASE_URL_ENV = "TERRASAM_CHECKPOINT_BASE_URL"
#: seconds to wait for a connection or for the next bytes: "no network" is decided within this time
TIMEOUT_S = 8.0
CHUNK = 256 * 1024
CANCEL_POLL_S = 0.2
CANCELLED = "download cancelled; run it again to resume"


@dataclass(frozen=True)
class Checkpoint:
    """One official file. Sizes and SHA-256 digests as published alongside the files by the many projects
    that pin them (Meta's README gives only the links); checked on every download."""

    name: str
    filename: str
    size: int
    sha256: str
    label: str

    @property
    def url(self) -> str:
        return urllib.parse.urljoin(base_url(), self.filename)


OFFICIAL = {
    c.name: c
    for c in (
        Checkpoint(
            "vit_b",
            "sam_vit_b_01ec64.pth",
            375_042_383,
            "ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912",
            "ViT-B (91 M parameters, fastest)",
        ),
        Checkpoint(
            "vit_l",
            "sam_vit_l_0b3195.pth",
            1_249_524_607,
            "3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622",
            "ViT-L (308 M parameters)",
        ),
        Checkpoint(
            "vit_h",
            "sam_vit_h_4b8939.pth",
            2_564_550_879,
            "a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e",
            "ViT-H (636 M parameters, most accurate)",
        ),
    )
}


@dataclass(frozen=True)
class Downloaded:
    path: Path
    sha256: str
    size: int
    verified: bool  # the digest was compared with an expected one
    resumed_from: int = 0  # bytes of an earlier .part reused


def base_url() -> str:
    """The folder official checkpoints are fetched from (``$TERRASAM_CHECKPOINT_BASE_URL`` or Meta's)."""
    url = os.environ.get(BASE_URL_ENV) or OFFICIAL_BASE_URL
    return url if url.endswith("/") else url + "/"


def user_cache(*parts: str) -> Path:
    """``$XDG_CACHE_HOME/terrasam/...`` (default ``~/.cache/terrasam/...``): the CLI's and demo's cache."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root, "terrasam", *parts)


def default_dir() -> Path:
    """Where the CLI and the demo keep downloaded checkpoints (the dock uses its QGIS profile instead)."""
    return user_cache("checkpoints")


def parse_sha256(text: str | None) -> str | None:
    """A 64-digit hex digest (any case, surrounding blanks allowed) or None; anything else is refused."""
    if text is None or not text.strip():
        return None
    digest = text.strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise SamCoreError(f"a SHA-256 is 64 hexadecimal digits, not {text.strip()!r}")
    return digest


def resolve(spec: str, sha256: str | None = None) -> tuple[str, str, str | None]:
    """``vit_b``/``vit_l``/``vit_h`` or an http(s) URL → (url, file name, expected SHA-256 or None).
    ``sha256`` overrides the official digest (a re-trained file served under the same name)."""
    sha256 = parse_sha256(sha256)
    if spec in OFFICIAL:
        entry = OFFICIAL[spec]
        return entry.url, entry.filename, sha256 or entry.sha256
    parsed = urllib.parse.urlparse(spec)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SamCoreError(f"give vit_b, vit_l, vit_h or an http(s) URL, not {spec!r}")
    name = os.path.basename(urllib.parse.unquote(parsed.path))
    if not name or name in (".", ".."):
        raise SamCoreError(f"the URL names no file: {spec}")
    return spec, name, sha256


def sha256_of(path: str | os.PathLike, hasher=None) -> str:
    hasher = hasher or hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def download(
    url: str,
    dest: str | os.PathLike,
    sha256: str | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    timeout: float = TIMEOUT_S,
) -> Downloaded:
    """Fetch ``url`` to ``dest`` (see the module docstring). ``progress(done, total)`` gets bytes (total
    None when the server does not say); ``is_cancelled()`` is polled between chunks and while waiting for
    the network, so a cancel lands within about a second and keeps the ``.part`` for a later resume.
    An existing ``dest`` whose digest matches (or with no digest to match) is returned without a request."""
    dest, expected = Path(dest), parse_sha256(sha256)
    part = dest.with_name(dest.name + ".part")
    if dest.is_file():
        actual = sha256_of(dest)
        if expected in (None, actual):
            return Downloaded(dest, actual, dest.stat().st_size, expected is not None)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SamCoreError(f"cannot create the folder {dest.parent}: {exc.strerror or exc}") from None
    response, offset = _open(url, part.stat().st_size if part.is_file() else 0, timeout)
    hasher, resumed_from = hashlib.sha256(), offset
    if offset:
        sha256_of(part, hasher)
    total = _total(response, offset)
    with response, _Watchdog(response, is_cancelled):
        try:
            with open(part, "ab" if offset else "wb") as f:
                done = offset
                if progress:
                    progress(done, total)
                while True:
                    if is_cancelled and is_cancelled():
                        raise Cancelled(CANCELLED)
                    block = _read(response, url, is_cancelled)
                    if not block:
                        if is_cancelled and is_cancelled():  # the watchdog closed the connection
                            raise Cancelled(CANCELLED)
                        break
                    _write(f, part, block)
                    hasher.update(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
                if total is not None and done < total:
                    raise SamCoreError(
                        f"the download broke off after {_mb(done)} of {_mb(total)}; run it again to resume "
                        f"(kept {part})"
                    )
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:  # open/flush/fsync of the .part
            raise SamCoreError(f"cannot write {part}: {exc.strerror or exc}") from None
    actual = hasher.hexdigest()
    if expected is not None and actual != expected:
        part.unlink(missing_ok=True)
        raise SamCoreError(
            f"SHA-256 mismatch for {dest.name}: got {actual}, expected {expected}; the file was deleted"
        )
    try:
        os.replace(part, dest)
        fsync_folder(dest.parent)
    except OSError as exc:
        raise SamCoreError(f"cannot write {dest}: {exc.strerror or exc}") from None
    return Downloaded(dest, actual, dest.stat().st_size, expected is not None, resumed_from)


def _open(url: str, offset: int, timeout: float) -> tuple:
    """The response, and the offset it starts at (0 when the server ignored the Range request)."""
    headers = {"User-Agent": "TerraSAM", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the .part is no prefix the server knows: start again
            exc.close()
            return _open(url, 0, timeout)
        raise SamCoreError(f"download failed: HTTP {exc.code} {exc.reason} for {url}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        host = urllib.parse.urlparse(url).netloc or url
        raise SamCoreError(f"no network: cannot reach {host} ({reason})") from None
    if response.status == 206:
        if offset and _range_start(response) == offset:
            return response, offset
        response.close()
        if not offset:
            raise SamCoreError(f"download failed: the server sent only part of {url}")
        return _open(url, 0, timeout)  # another range than the one asked for: the whole file instead
    return response, 0  # 200 (Range ignored, or none asked): the whole file from its start


def _range_start(response) -> int | None:
    value = response.headers.get("Content-Range", "")  # "bytes 100-199/200"
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _total(response, offset: int) -> int | None:
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None


def _read(response, url: str, is_cancelled) -> bytes:
    try:
        return response.read1(CHUNK)  # what has arrived: progress and cancel do not wait for a full chunk
    except (OSError, http.client.HTTPException) as exc:
        if is_cancelled and is_cancelled():
            raise Cancelled(CANCELLED) from None
        host = urllib.parse.urlparse(url).netloc
        raise SamCoreError(f"the download from {host} broke off ({exc}); run it again to resume") from None


def _write(f, part: Path, block: bytes) -> None:
    try:
        f.write(block)
    except OSError as exc:
        raise SamCoreError(f"cannot write {part}: {exc.strerror or exc}") from None


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


class _Watchdog:
    """While a read waits on a silent server, a cancel shuts the connection down so the read returns at
    once (a socket read cannot be interrupted otherwise; its timeout is the no-network one)."""

    def __init__(self, response, is_cancelled) -> None:
        self.response, self.is_cancelled = response, is_cancelled
        self.stop = threading.Event()

    def __enter__(self):  # -> self
        if self.is_cancelled is not None:
            threading.Thread(target=self._watch, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()

    def _watch(self) -> None:
        while not self.stop.wait(CANCEL_POLL_S):
            if self.is_cancelled():
                try:  # a second socket object on the same descriptor/handle (POSIX and Windows alike)
                    sock = socket.socket(fileno=self.response.fileno())
                except (OSError, ValueError):
                    return
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                finally:
                    sock.detach()  # the response's own socket closes it
                return
