"""The engine's wire format: one JSON object per line, bytes (WKB geometries) as base64.

Requests   ``{"id": 7, "method": "add_point", "params": {...}}``  and  ``{"cancel": 7}``.
Replies    ``{"id": 7, "progress": 0.5}``, then ``{"id": 7, "result": ...}``, ``{"id": 7, "error": "..."}``
           or ``{"id": 7, "cancelled": true}``. The engine's first line is ``{"hello": {...}}``.

Standard library only: the QGIS side imports this without numpy, shapely or torch.
"""

from __future__ import annotations

import base64
import json
from typing import Any

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


def decode(line: bytes) -> dict:
    return json.loads(line.decode("utf-8"), object_hook=_object_hook)
