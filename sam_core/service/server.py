"""``python -m sam_core serve``: the engine process the QGIS plugin talks to over stdin/stdout.

Why a process of its own: see ``engine.py``. The loop reads one request per line (``protocol.py``) and runs
each in a thread of its own, so a preview can be computed while a tile encodes, as it could in one process;
a ``{"cancel": id}`` line stops a running job at its next check. Replies share stdout under a lock.

stdout is the protocol channel: file descriptor 1 is pointed at stderr before anything else is imported, so
a stray print from a library (or from C code) can never corrupt a reply.

The first line out is ``{"hello": {...}}``: the interpreter, and the required packages it cannot find. With
any missing the engine says so and exits, and the plugin shows the user how to install them.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import threading
import traceback
from typing import BinaryIO

from . import protocol

#: (import name, pip distribution name) of every package the engine needs
REQUIRED_MODULES: tuple[tuple[str, str], ...] = (
    ("torch", "torch"),
    ("torchvision", "torchvision"),
    ("segment_anything", "segment-anything"),
    ("rasterio", "rasterio"),
    ("shapely", "shapely"),
    ("pyproj", "pyproj"),
)


def missing_modules() -> list[str]:
    """The pip names of the required packages this interpreter cannot find (found, never imported)."""
    missing = []
    for module, dist in REQUIRED_MODULES:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError, AttributeError):
            found = False
        if not found:
            missing.append(dist)
    return missing


class _Replies:
    def __init__(self, out: BinaryIO) -> None:
        self.out, self.lock = out, threading.Lock()

    def send(self, message: dict) -> None:
        try:
            line = protocol.encode(message)
        except (TypeError, ValueError) as exc:  # a result that is not JSON: the caller still gets one reply
            traceback.print_exc()
            line = protocol.encode(
                {
                    "id": message.get("id"),
                    "error": f"internal error in the TerraSAM engine: {exc}",
                    "internal": True,
                }
            )
        with self.lock:
            try:
                self.out.write(line)
                self.out.flush()
            except (BrokenPipeError, ValueError):  # the plugin has gone: nobody to tell
                pass


def _run(engine, replies: _Replies, request: dict, cancels: dict) -> None:
    from ..errors import Cancelled, SamCoreError

    rid, method, params = request["id"], request["method"], dict(request["params"])
    cancel = cancels.setdefault(rid, threading.Event())
    try:
        call = _bound_call(engine, method, params)
        if method in engine.JOBS:
            call.arguments["progress"] = lambda fraction: replies.send(
                {"id": rid, "progress": float(fraction), "detail": getattr(fraction, "detail", dict)()}
            )
            call.arguments["is_cancelled"] = cancel.is_set
        result = getattr(engine, method)(*call.args, **call.kwargs)
    except Cancelled:
        replies.send({"id": rid, "cancelled": True})
    except SamCoreError as exc:
        replies.send({"id": rid, "error": str(exc)})
    except Exception as exc:  # noqa: BLE001 - a bug must reach the user as a message, not kill the engine
        traceback.print_exc()
        replies.send(
            {"id": rid, "error": f"internal error in the TerraSAM engine: {exc!r}", "internal": True}
        )
    else:
        replies.send({"id": rid, "result": result})
    finally:
        cancels.pop(rid, None)


def _bound_call(engine, method: str, params: dict) -> inspect.BoundArguments:
    """``params`` checked against the method's signature, so a wrong name or a missing one is the caller's
    error, not an engine bug (``progress`` and ``is_cancelled`` are the worker's to give)."""
    from ..errors import SamCoreError

    if method not in engine.METHODS:
        raise SamCoreError(f"the engine has no method {method!r}")
    reserved = sorted({"progress", "is_cancelled"} & set(params))
    if reserved:
        raise SamCoreError(f"{method}: {', '.join(reserved)} cannot be sent, the engine supplies them")
    try:
        return inspect.signature(getattr(engine, method)).bind(**params)
    except TypeError as exc:
        raise SamCoreError(f"wrong parameters for {method}: {exc}") from None


def _warm_up() -> None:
    """Import the model side now, while the dock is still being set up, so the first load is quicker."""
    try:
        from ..prompting import (
            session,  # noqa: F401
        )
    except Exception:  # noqa: BLE001 - reported by the call that needs it
        traceback.print_exc()


def serve(stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> int:
    if stdout is None:
        stdout = os.fdopen(os.dup(1), "wb")
        os.dup2(2, 1)  # from here on, anything written to fd 1 lands on stderr
        sys.stdout = sys.stderr
    stdin = stdin if stdin is not None else sys.stdin.buffer
    replies = _Replies(stdout)
    missing = missing_modules()
    replies.send({"hello": {"python": sys.executable, "pid": os.getpid(), "missing": missing}})
    if missing:
        return 0
    threading.Thread(target=_warm_up, daemon=True).start()
    from .engine import Engine

    engine = Engine()
    cancels: dict[object, threading.Event] = {}
    for line in stdin:
        if not line.strip():
            continue
        try:
            request = protocol.parse_request(line)
            if "cancel" not in request and request["id"] in cancels:
                raise protocol.BadRequest(f"request id {request['id']!r} is already running", request["id"])
        except protocol.BadRequest as exc:  # one error reply per bad line; the engine goes on serving
            print(f"terrasam engine: {exc}: {line[:200]!r}", file=sys.stderr)
            replies.send({"id": exc.rid, "error": str(exc)})
            continue
        if "cancel" in request:
            event = cancels.get(request["cancel"])  # a job that has ended has nothing left to stop
            if event is not None:
                event.set()
            continue
        if request["method"] == "shutdown":
            break
        cancels[request["id"]] = threading.Event()  # registered before the next line is read
        threading.Thread(target=_run, args=(engine, replies, request, cancels), daemon=True).start()
    return 0
