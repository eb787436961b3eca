"""Areas and scores as people read them: "8,532 m²", "12.35 ha", "13,312.36 km²", "0.93".

Display only: the data keep exact numbers (``area_m2`` in square metres, scores unrounded). Standard library
only, so the dock (QGIS process), Processing and the CLI share one formatter without loading numpy.
"""

from __future__ import annotations

import math

M2_PER_HA = 10_000.0
M2_PER_KM2 = 1_000_000.0


def format_area(area_m2: float) -> str:
    """m² below 1 ha, ha below 1 km² (100 ha), km² above; thousands separators, a sensible precision."""
    value = float(area_m2)
    if not math.isfinite(value):
        return f"{value} m²"
    size = abs(value)
    if size < M2_PER_HA:
        return f"{value:,.1f} m²" if size < 100 else f"{value:,.0f} m²"
    if size < M2_PER_KM2:
        return f"{value / M2_PER_HA:,.2f} ha"
    return f"{value / M2_PER_KM2:,.2f} km²"


def format_score(score: float) -> str:
    """A model score (0..1) to two decimals."""
    return f"{float(score):.2f}"


def format_percent(percent: float) -> str:
    return f"{float(percent):.1f} %"
