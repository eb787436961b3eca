"""``segment --prompts`` and ``encode`` on the command line: many objects in one run, each carrying its source
feature's attributes; tiles encoded ahead of time; every bad input is one ``error:`` line and no file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from cli_helpers import assert_user_error, run_cli
from pyproj import CRS, Transformer

from sam_core.geo.output import PROMPT_FIELDS
from sam_core.sam.random_weights import save_random_checkpoint, tiny_config

#: inside RGB.byte.tif's valid data (UTM 18N), one tile of 1024 px covers the whole 791×718 raster
CENTRE = (220_000.0, 2_720_000.0)


def write_layer(path: Path, geometries, fields: dict, crs: str, layer: str | None = None) -> Path:
    """``fields``: name → values, or (values, mask of empty values)."""
    names, data, masks = [], [], []
    for name, value in fields.items():
        values, mask = value if isinstance(value, tuple) else (value, None)
        names.append(name)
        data.append(np.asarray(values))
        masks.append(mask)
    pyogrio.raw.write(
        path,
        geometry=np.asarray(shapely.to_wkb(geometries), dtype=object),
        field_data=data,
        fields=names,
        field_mask=masks if any(m is not None for m in masks) else None,
        layer=layer,
        driver="GPKG" if path.suffix == ".gpkg" else "GeoJSON",
        geometry_type=geometries[0].geom_type,
        crs=crs,
        append=path.exists(),
    )
    return path


def read(path: Path, layer: str | None = None) -> tuple[dict, dict, list]:
    meta, _fids, wkb, columns = pyogrio.raw.read(path, layer=layer, datetime_as_string=True)
    return meta, dict(zip(meta["fields"], columns)), list(shapely.from_wkb(wkb))


def lonlat(x: float, y: float) -> tuple[float, float]:
    return Transformer.from_crs(32618, 4326, always_xy=True).transform(x, y)


def box(x: float, y: float, half: float = 6000.0) -> shapely.Polygon:
    return shapely.box(x - half, y - half, x + half, y + half)


@pytest.fixture
def points(tmp_path) -> Path:
    """Four points in EPSG:4326: group A (one object point, one background), B (joined by a box), and an
    ungrouped point; the label of B's point is empty (counts as 1)."""
    x, y = CENTRE
    coords = [(x, y), (x + 9000, y), (x - 30_000, y - 30_000), (x + 40_000, y + 20_000)]
    return write_layer(
        tmp_path / "points.geojson",
        [shapely.Point(*lonlat(*c)) for c in coords],
        {
            "name": np.array(["a1", "a2", "b1", "free"], dtype=object),
            "label": (np.array([1, 0, 0, 1], np.int32), np.array([False, False, True, False])),
            "group": np.array(["A", "A", "B", None], dtype=object),
        },
        "EPSG:4326",
    )


def test_prompt_files_give_one_object_per_group_and_box_with_the_source_attributes(
    tmp_path, points, rgb_tif, tiny_checkpoint
):
    x, y = CENTRE
    boxes = write_layer(
        tmp_path / "prompts.gpkg",
        [box(x - 30_000, y - 30_000), box(x - 60_000, y + 50_000)],
        {
            "group": np.array(["B", None], dtype=object),
            "id": np.array([7, 8], np.int64),  # clashes with the output's id: becomes src_id
            "count": (np.array([5, 0], np.int32), np.array([False, True])),
            "when": np.array(["2024-05-01", "NaT"], dtype="datetime64[D]"),
        },
        "EPSG:32618",
        layer="boxes",
    )
    out = tmp_path / "objects.gpkg"
    result = run_cli(
        "segment", rgb_tif, "--checkpoint", tiny_checkpoint, "--prompts", points,
        "--prompts", f"{boxes}|layername=boxes", "--label-field", "label", "--group-field", "group",
        "--out", out, "--cache-dir", tmp_path / "cache",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["prompt_objects"] == 4 and summary["encoder_calls"] == 1 and summary["tiles"] == 1
    assert result.stderr.strip().splitlines()[-1] == "progress: 100%"

    meta, values, geometries = read(out)
    names = [*PROMPT_FIELDS, "name", "label", "group", "src_id", "count", "when"]
    assert list(meta["fields"]) == names
    dtypes = dict(zip(meta["fields"], meta["dtypes"]))
    assert (dtypes["count"], dtypes["src_id"], dtypes["label"]) == ("int32", "int64", "int32")
    assert CRS.from_user_input(meta["crs"]).to_epsg() == 32618
    assert len(values["id"]) == summary["objects"] == 4, "the tiny model found every object"
    rows = {values["id"][k]: {n: values[n][k] for n in names} for k in range(4)}
    a, b, free, lone_box = (rows[i] for i in (1, 2, 3, 4))
    assert (a["prompt_type"], a["n_fg"], a["n_bg"], a["name"], a["group"]) == ("point", 1, 1, "a1", "A")
    assert (b["prompt_type"], b["n_fg"], b["n_bg"]) == ("point+box", 1, 0)  # an empty label counts as 1
    assert (b["src_id"], b["count"], b["when"], b["group"]) == (7, 5, "2024-05-01", "B")  # the box's
    assert b["name"] is None  # the box's feature has no such field
    assert (free["prompt_type"], free["n_fg"], free["name"]) == ("point", 1, "free")
    assert (lone_box["prompt_type"], lone_box["src_id"]) == ("box", 8)
    assert np.isnan(lone_box["count"]) and lone_box["when"] is None  # empty stays empty
    assert all(r["area_m2"] > 0 and r["perimeter_m"] > 0 for r in rows.values())
    assert [g.geom_type for g in geometries] == ["MultiPolygon"] * 4


def test_objects_on_many_tiles_are_segmented_tile_by_tile(tmp_path, rgb_tif, tiny_checkpoint):
    """Ungrouped boxes in an order that alternates between tiles: each tile is still encoded once."""
    x, y = CENTRE
    far = (300_000.0, 2_650_000.0)
    centres = [(x, y), far, (x + 4000, y), (far[0] + 4000, far[1])]
    boxes = write_layer(
        tmp_path / "boxes.geojson",
        [box(*c, half=3000) for c in centres],
        {"n": np.arange(4), "fid": np.arange(4) + 100},  # "fid" is the GeoPackage's own: becomes src_fid
        "EPSG:32618",
    )
    out = tmp_path / "objects.gpkg"
    result = run_cli(
        "segment", rgb_tif, "--checkpoint", tiny_checkpoint, "--prompts", boxes, "--tile-size", "512",
        "--out", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["tiles"] == 2 and summary["encoder_calls"] == 2
    _meta, values, _geometries = read(out)
    assert list(values["id"]) == list(values["n"] + 1), "objects keep the order of their features"
    assert list(values["src_fid"]) == [100, 101, 102, 103]


def _bad_prompt_cases(tmp_path: Path, points: Path) -> dict:
    x, y = CENTRE
    two_boxes = write_layer(
        tmp_path / "two_boxes.gpkg",
        [box(x, y), box(x + 5000, y)],
        {"group": np.array(["A", "A"], object)},
        "EPSG:32618",
    )
    bad_label = write_layer(
        tmp_path / "bad_label.geojson", [shapely.Point(x, y)], {"label": np.array([5])}, "EPSG:32618"
    )
    outside = write_layer(
        tmp_path / "outside.geojson", [shapely.Point(x, y), shapely.Point(x, y + 500_000)],
        {"group": np.array(["A", "A"], object)}, "EPSG:32618",
    )  # fmt: skip
    line = write_layer(
        tmp_path / "line.geojson",
        [shapely.LineString([(x, y), (x + 10, y)])],
        {"n": np.array([1])},
        "EPSG:32618",
    )
    return {
        "two boxes in a group": (
            ["--prompts", points, "--prompts", two_boxes, "--group-field", "group"],
            ("group 'A'", "more than one box"),
        ),
        "label other than 1 or 0": (["--prompts", bad_label, "--label-field", "label"], ("label 5",)),
        "missing field": (["--prompts", points, "--group-field", "nope"], ("group field", "nope")),
        "point outside": (
            ["--prompts", outside, "--group-field", "group"],
            ("group 'A'", "outside the raster"),
        ),
        "a line": (["--prompts", line], ("LineString",)),
        "prompts and points": (["--prompts", points, "--point", f"{x},{y}"], ("not both",)),
        "fields without prompts": (["--point", f"{x},{y}", "--group-field", "g"], ("--prompts",)),
        "missing file": (["--prompts", tmp_path / "nope.gpkg"], ("not found", "nope.gpkg")),
    }


def test_bad_prompt_files_exit_2_with_one_line_and_leave_the_output_alone(
    tmp_path, points, rgb_tif, tiny_checkpoint
):
    out = tmp_path / "objects.gpkg"
    out.write_bytes(b"the user's precious file")
    for name, (args, words) in _bad_prompt_cases(tmp_path, points).items():
        result = run_cli("segment", rgb_tif, "--checkpoint", tiny_checkpoint, *args, "--out", out)
        try:
            assert_user_error(result, *words)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
    assert out.read_bytes() == b"the user's precious file"
    assert not list(tmp_path.glob(".objects*"))


def test_encode_fills_the_cache_once_and_refuses_bad_input(tmp_path, rgb_tif):
    checkpoint = (
        tmp_path / "sam256.pth"
    )  # the tiny SAM with a 256 px input: encodes in a fraction of the time
    save_random_checkpoint(checkpoint, tiny_config(img_size=256), seed=0)
    cache = tmp_path / "cache"
    args = ["--checkpoint", checkpoint, "--cache-dir", cache, "--tile-size", "512", "--overlap", "128"]
    west, south = lonlat(CENTRE[0] - 2000, CENTRE[1] - 2000)
    east, north = lonlat(CENTRE[0] + 2000, CENTRE[1] + 2000)
    part = run_cli(
        "encode", rgb_tif, *args, "--extent", f"{west},{south},{east},{north}", "--extent-crs", "EPSG:4326"
    )
    assert part.returncode == 0, part.stderr
    first = json.loads(part.stdout)
    assert first["tiles"] == first["encoded"] >= 1 and first["cached"] == 0
    assert len(list(cache.rglob("*.emb"))) == first["tiles"]
    assert part.stderr.strip().splitlines()[-1] == "progress: 100%"

    whole = run_cli("encode", rgb_tif, *args)
    assert whole.returncode == 0, whole.stderr
    second = json.loads(whole.stdout)
    assert second["tiles"] == 4  # 791×718 px in tiles of 512 px with a stride of 384
    assert (second["encoded"], second["cached"]) == (4 - first["tiles"], first["tiles"])

    assert_user_error(run_cli("encode", rgb_tif, "--checkpoint", checkpoint), "--cache-dir")
    assert_user_error(run_cli("encode", rgb_tif, *args, "--extent", "0,0,10,10"), "does not overlap")
