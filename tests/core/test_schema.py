"""The tables the core produces have exactly the fields sam_core.schema names, in its order and types."""

from __future__ import annotations

import numpy as np

from sam_core import schema
from sam_core.evaluation import evaluate
from sam_core.evaluation.metrics import ConfusionCounts, overall
from sam_core.landcover import classify
from sam_core.landcover.scores import scores


def test_class_scores_rows_have_the_schemas_fields():
    result = scores(np.array([[3, 1], [0, 2]]), ["water", "forest"])
    for row in result["classes"]:
        assert list(row) == list(schema.CLASS_SCORE_FIELDS)
        assert all(isinstance(row[k], t) for k, t in schema.CLASS_SCORE_FIELDS.items())


def test_overall_metrics_are_in_evaluations_overall():
    figures = overall([ConfusionCounts(tp=3, fp=1, fn=1, tn=5)])
    assert set(schema.OVERALL_METRICS) <= set(figures)


def test_the_cores_tables_use_the_schema():
    assert evaluate.IMAGE_FIELDS is schema.IMAGE_FIELDS
    assert classify.CSV_COLUMNS is schema.CLASS_CSV_COLUMNS
    assert set(schema.CLASS_CSV_COLUMNS) <= set(schema.CLASS_FIELDS)
