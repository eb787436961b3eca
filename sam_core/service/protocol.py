"""The engine's wire format: one JSON object per line, bytes (WKB geometries) as base64.

Requests   ``{"id": 7, "method": "add_point", "params": {...}}``  and  ``{"cancel": 7}``.
Replies    ``{"id": 7, "progress": 0.5}``, then ``{"id": 7, "result": ...}``, ``{"id": 7, "error": "..."}``
           or ``{"id": 7, "cancelled": true}``. The engine's first line is ``{"hello": {...}}``.

Every incoming line goes through ``parse_request``, the one check of what the engine is sent: a line that
is not a request raises ``BadRequest`` carrying the id to answer (None when no id can be read), so the
worker answers every line with exactly one reply and never dies of one.

Standard library only: the QGIS side imports this without numpy, shapely or torch.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

RequestId = str | int

_BYTES = "$b64"


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):  # numpy arrays
        return value.tolist()
    raise TypeError(f"cannot send {type(value).__name__} to the engine")


def _object_hook(obj: dict) -> Any:
    if len(obj) == 1 and _BYTES in obj:
        return base64.b64decode(obj[_BYTES])
    return obj


def encode(message: dict) -> bytes:
    """One message as one line of UTF-8 JSON (newline included)."""
    return json.dumps(message, default=_default, separators=(",", ":")).encode("utf-8") + b"\n"


def decode(line: bytes) -> Any:
    """One line back into JSON values; ``ValueError`` for anything that is not UTF-8 JSON (too deeply nested,
    bad base64 included)."""
    try:
        return json.loads(line.decode("utf-8"), object_hook=_object_hook)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except binascii.Error as exc:
        raise ValueError(f"bad {_BYTES} bytes: {exc}") from None


class BadRequest(ValueError):
    """A line that is not a request; ``rid`` is the id its error reply goes to (None: none could be read)."""

    def __init__(self, message: str, rid: RequestId | None = None) -> None:
        super().__init__(message)
        self.rid = rid


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def parse_request(line: bytes) -> dict:
    """The one check of an incoming line: ``{"cancel": id}``, or ``{"id", "method", "params"}`` with a string
    or integer id, a string method and an object of params (missing or null: none)."""
    try:
        message = decode(line)
    except ValueError as exc:
        raise BadRequest(f"unreadable request (not one line of UTF-8 JSON): {exc}") from None
    if not isinstance(message, dict):
        raise BadRequest(f"a request is a JSON object, not {_json_kind(message)}")
    if "cancel" in message:
        if not _valid_id(message["cancel"]):
            raise BadRequest("a cancel names the id of a request: a string or an integer")
        return {"cancel": message["cancel"]}
    rid = message.get("id")
    if not _valid_id(rid):
        raise BadRequest(f"a request id is a string or an integer, not {_json_kind(rid)}")
    method = message.get("method")
    if not isinstance(method, str):
        raise BadRequest(f"a request's method is a string, not {_json_kind(method)}", rid)
    params = message.get("params")
    params = {} if params is None else params
    if not isinstance(params, dict):
        raise BadRequest(f"a request's params are a JSON object, not {_json_kind(params)}", rid)
    return {"id": rid, "method": method, "params": params}


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "an array", str: "a string", bytes: "bytes"}.get(type(value), "a number")
