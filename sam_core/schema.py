"""The fields of each TerraSAM product's layer and table (objects, land cover, metrics), in order, with their Python types: the one definition the
CLI, Processing and the dock (which maps them to QGIS types) share. Standard library only, so the QGIS process
can import it. The README lists them.
"""

from __future__ import annotations

#: objects segmented from prompts (points, a box): ``segment`` (also with ``--prompts``), the dock's Accept
PROMPT_FIELDS = {
    "id": int,
    "prompt_type": str,  # "point", "box" or "point+box"
    "n_fg": int,  # foreground points
    "n_bg": int,  # background points
    "score": float,  # SAM's predicted IoU
    "area_m2": float,  # geodesic, on the raster CRS's ellipsoid
    "perimeter_m": float,
    "model": str,
}
#: objects found by segment everything: no prompts, but SAM's stability and the tiles ("col,row;…") they came from
EVERYTHING_FIELDS = {
    "id": int,
    "score": float,
    "stability": float,
    "area_m2": float,
    "perimeter_m": float,
    "tiles": str,
    "model": str,
}
#: objects found by a fine-tuned decoder (``detect``): the mean blended probability of their pixels
DETECT_FIELDS = {
    "id": int,
    "probability": float,
    "area_m2": float,
    "perimeter_m": float,
    "model": str,
}
#: what the dock adds to each object it writes: the raster layer's name and the time (UTC, ISO 8601)
DOCK_FIELDS = {"raster": str, "created": str}
#: land-cover cells (``classify``'s "cells" layer)
CELL_FIELDS = {
    "id": int,
    "class": str,
    "class_id": int,
    "probability": float,
    "area_m2": float,
    "colour": str,
}
#: land cover, one (multi)polygon per class (``classify --dissolve``, "classes" layer)
CLASS_FIELDS = {
    "class": str,
    "class_id": int,
    "cells": int,
    "area_m2": float,
    "area_ha": float,
    "percent": float,
    "probability": float,
    "colour": str,
}

#: land cover's summary table (``classify --summary x.csv``): the columns of CLASS_FIELDS a spreadsheet needs
CLASS_CSV_COLUMNS = ("class", "class_id", "colour", "cells", "area_m2", "area_ha", "percent", "probability")

#: a class map's polygons (``map --polygons``): one per connected region of a class, or one per class with
#: ``--dissolve``; ``length_m`` (the skeleton's, geodesic) is filled for linear classes (roads) and empty otherwise
MAP_FIELDS = {
    "id": int,
    "class": str,
    "class_id": int,
    "area_m2": float,
    "perimeter_m": float,
}
MAP_LENGTH_FIELD = "length_m"
#: a class map's summary table (``map --summary x.csv``): one row per class of the head
MAP_CSV_COLUMNS = (
    "class",
    "class_id",
    "colour",
    "pixels",
    "area_m2",
    "area_ha",
    "percent",
    "probability",
    "length_m",
)
#: what ``label-objects`` adds to every object: the class, its probability, and the runner-up
LABEL_FIELDS = {
    "class": str,
    "class_probability": float,
    "runner_up": str,
    "runner_up_probability": float,
}

#: evaluation: one row per image (``evaluate``'s "images"; Processing's table)
IMAGE_FIELDS: dict[str, type] = {
    "image": str,
    "pred": str,
    "ref": str,
    "grid": str,
    "crs": str,
    "width": int,
    "height": int,
    "tp": int,
    "fp": int,
    "fn": int,
    "tn": int,
    "pixels": int,
    "iou": float,
    "dice": float,
    "pixel_accuracy": float,
    "precision": float,
    "recall": float,
    "tpr": float,
    "fpr": float,
    "iou_above_threshold": bool,
    "reference_objects": int,
    "reference_objects_hit": int,
    "object_hit_rate": float,
    "predicted_objects": int,
    "predicted_objects_matched": int,
}
#: evaluation: the overall metrics Processing also returns as single outputs (``evaluate``'s "overall")
OVERALL_METRICS = ("iou", "mean_iou", "dice", "pixel_accuracy", "precision", "recall", "fpr", "accuracy")
#: land-cover scores: one row per class (``train-head``'s validation "classes")
CLASS_SCORE_FIELDS = {"name": str, "precision": float, "recall": float, "f1": float, "support": int}
