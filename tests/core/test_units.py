"""Areas and scores for display (``sam_core/units.py``): separators, a unit that fits, data untouched."""

from __future__ import annotations

import math

import pytest

from sam_core.units import format_area, format_percent, format_score


@pytest.mark.parametrize(
    ("area_m2", "text"),
    [
        (0.0, "0.0 m²"),
        (12.345, "12.3 m²"),
        (8532.4, "8,532 m²"),
        (9999.4, "9,999 m²"),
        (10_000.0, "1.00 ha"),
        (123_456.7, "12.35 ha"),
        (999_999.0, "100.00 ha"),
        (1_000_000.0, "1.00 km²"),
        (13_312_356_632.1, "13,312.36 km²"),
    ],
)
def test_areas_get_separators_and_a_sensible_unit(area_m2, text):
    assert format_area(area_m2) == text


def test_odd_values_still_format():
    assert format_area(math.nan) == "nan m²"
    assert format_area(-20_000.0) == "-2.00 ha"


def test_scores_and_percentages_are_rounded_for_display_only():
    score = 0.876543
    assert format_score(score) == "0.88" and score == 0.876543
    assert format_percent(12.345) == "12.3 %"
