"""Strict JSON for what the CLI prints: a non-finite number (NaN, ±inf) becomes null, never a bare ``NaN``
that JSON readers reject."""

from __future__ import annotations

import json
import math
from typing import Any


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
