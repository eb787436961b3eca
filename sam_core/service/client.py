"""The plugin's side of the engine process: start ``python -m sam_core serve``, call it, cancel, restart.

Standard library only (no numpy, shapely, rasterio, pyproj or torch), so importing it inside QGIS loads
none of the libraries that clash with QGIS's own (see ``engine.py``).

``call()`` blocks its caller until the reply (a QgsTask's ``run()`` for long jobs, the UI thread for a
preview); progress reaches the ``progress`` callback in the caller's thread (a ``Progress``: the fraction,
with the tile and the time left), and the caller's
``is_cancelled`` is polled to send a cancel. If the engine dies (a crash, the OOM killer), every waiting call
fails with ``EngineStopped`` and the next call starts a new engine, replaying what set its state (cache
folder, model, raster, prompt CRS) so the user can go on where they were, minus the unaccepted prompts.
"""

from __future__ import annotations

import itertools
import os
import queue
import subprocess
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import Cancelled, SamCoreError
from ..progress import Progress
from . import protocol

#: the folder that holds the sam_core package: the engine runs ``python -m sam_core`` from there
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
#: calls whose latest successful parameters define the engine's state, replayed after a restart (in order)
STATE_METHODS = ("configure", "load_model", "load_segmentation_head", "open_raster", "set_prompt_crs")
START_TIMEOUT_S = 120.0
POLL_S = 0.05


def engine_environment(python: str) -> dict[str, str]:
    """The environment the engine runs in: the host's (QGIS's), unbuffered, and without ``PYTHONHOME`` when
    ``python`` belongs to a virtual environment: QGIS on Windows sets it for its own Python, and it would make
    the venv's interpreter ignore its ``pyvenv.cfg``, and so its packages."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    folder = Path(python).parent  # not resolved: a venv's python is a link to the base interpreter
    if (folder / "pyvenv.cfg").is_file() or (folder.parent / "pyvenv.cfg").is_file():
        env.pop("PYTHONHOME", None)
    return env


class EngineStopped(SamCoreError):
    """The engine process ended while a call was waiting for it."""


class MissingPackages(SamCoreError):
    """The engine's Python cannot find required packages (``missing``: their pip names)."""

    def __init__(self, missing: list[str], python: str) -> None:
        super().__init__(f"the Python at {python} lacks: {', '.join(missing)}")
        self.missing, self.python = missing, python


class EngineClient:
    def __init__(self, python: str, log: Callable[[str], None] | None = None) -> None:
        self.python = python
        self.log = log
        self.hello: dict | None = None
        self.starts = 0  # engines started so far (a restart after a crash makes it 2, ...)
        self._proc: subprocess.Popen | None = None
        self._gone = threading.Event()  # the current engine's replies are all read: it has ended
        self._hello_seen = threading.Event()
        self._start_lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._waiting: dict[int, queue.Queue] = {}
        self._ids = itertools.count(1)
        self._stderr_tail: deque[str] = deque(maxlen=20)
        self._state: dict[str, dict] = {}

    # -- process ----------------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the engine if it is not running; returns at once (the first call waits for it)."""
        with self._start_lock:
            if self.running:
                return
            if self._proc is not None:  # a dead engine: let go of its pipe
                self._proc.stdin.close()
            self._hello_seen.clear()
            self.hello = None
            flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window on Windows
            try:
                proc = subprocess.Popen(
                    [self.python, "-m", "sam_core", "serve"],
                    cwd=PACKAGE_PARENT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=engine_environment(self.python),
                    creationflags=flags,
                )
            except OSError as exc:
                raise SamCoreError(f"cannot start the TerraSAM engine with {self.python}: {exc}") from exc
            self._proc, self._gone = proc, threading.Event()
            self.starts += 1
            threading.Thread(target=self._read_replies, args=(proc, self._gone), daemon=True).start()
            threading.Thread(target=self._read_stderr, args=(proc,), daemon=True).start()

    def close(self, timeout: float = 3.0) -> None:
        """Ask the engine to stop (its running jobs end with it) and wait for it a little."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(timeout)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()

    def _ready(self) -> None:
        with self._start_lock:
            restarted = not self.running and self.starts > 0
            self.start()
            if not self._hello_seen.wait(START_TIMEOUT_S) or self.hello is None:
                raise EngineStopped(self._stopped_message("the TerraSAM engine did not start"))
            missing = self.hello.get("missing") or []
            if missing:
                raise MissingPackages(missing, self.hello.get("python") or self.python)
            if restarted:
                self._replay()

    def _replay(self) -> None:
        for method, params in list(self._state.items()):
            try:
                self._exchange(method, params, None, None)
            except SamCoreError:
                self._state.pop(
                    method, None
                )  # e.g. the checkpoint has gone: the next call says what is missing

    # -- calls ------------------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        params: dict | None = None,
        progress: Callable[[float], None] | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> Any:
        """Run ``method`` in the engine and return its result; its errors raise ``SamCoreError``, a cancel
        ``Cancelled``."""
        self._ready()
        params = params or {}
        result = self._exchange(method, params, progress, is_cancelled)
        if method in STATE_METHODS:
            self._state.pop(method, None)
            self._state[method] = params  # latest last: replayed in the order the user did things
        return result

    def _exchange(self, method, params, progress, is_cancelled) -> Any:
        rid = next(self._ids)
        replies: queue.Queue = queue.Queue()
        self._waiting[rid] = replies
        gone = self._gone
        try:
            self._send({"id": rid, "method": method, "params": params})
            cancel_sent = False
            while True:
                # checked on every turn, not only when no reply came: progress replies can arrive faster
                # than POLL_S for a whole job, and a cancel must still go out at once
                if is_cancelled is not None and not cancel_sent and is_cancelled():
                    self._send({"cancel": rid})
                    cancel_sent = True
                try:
                    reply = replies.get(timeout=POLL_S)
                except queue.Empty:
                    if gone.is_set() and replies.empty():  # ended before this call was registered
                        raise EngineStopped(self._stopped_message()) from None
                    continue
                if "progress" in reply:
                    if progress is not None:
                        progress(Progress.from_detail(reply["progress"], reply.get("detail")))
                    continue
                return self._outcome(reply)
        finally:
            self._waiting.pop(rid, None)

    def _send(self, message: dict) -> None:
        proc = self._proc
        try:
            with self._write_lock:
                proc.stdin.write(protocol.encode(message))
                proc.stdin.flush()
        except (AttributeError, OSError, ValueError) as exc:
            raise EngineStopped(self._stopped_message("the TerraSAM engine is not running")) from exc

    # -- reader threads ---------------------------------------------------------------------------------
    def _read_replies(self, proc: subprocess.Popen, gone: threading.Event) -> None:
        with proc.stdout:
            self._dispatch(proc.stdout)
        proc.wait()
        gone.set()
        self._hello_seen.set()
        for replies in list(self._waiting.values()):
            replies.put({"stopped": True})

    def _dispatch(self, stream) -> None:
        for line in stream:
            try:
                message = protocol.decode(line)
            except ValueError:
                continue
            if "hello" in message:
                self.hello = message["hello"]
                self._hello_seen.set()
            elif message.get("id") in self._waiting:
                self._waiting[message["id"]].put(message)

    def _read_stderr(self, proc: subprocess.Popen) -> None:
        with proc.stderr:
            for raw in proc.stderr:
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    self._stderr_tail.append(line)
                    if self.log is not None:
                        self.log(line)

    def _stopped_message(self, what: str = "the TerraSAM engine stopped unexpectedly") -> str:
        proc = self._proc
        code = proc.poll() if proc is not None else None
        detail = f" (exit code {code})" if code is not None else ""
        last = self._stderr_tail[-1] if self._stderr_tail else ""
        return f"{what}{detail}{': ' + last if last else ''}; it restarts with your next action"

    def _outcome(self, reply: dict) -> Any:
        if reply.get("stopped"):
            raise EngineStopped(self._stopped_message())
        if reply.get("cancelled"):
            raise Cancelled()
        if "error" in reply:
            raise SamCoreError(reply["error"])
        return reply.get("result")
