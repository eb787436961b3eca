"""The layout shows the architecture, and stays so: every subpackage is on the map in ``sam_core/__init__.py``,
imports only go down the layers, and no module outgrows one job (about 400 lines)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "sam_core"
#: lower rank = lower layer; a module may import its own layer and those below it
RANK = {
    "geo": 1,
    "sam": 2,
    "prompting": 3,
    "landcover": 3,
    "evaluation": 3,
    "finetune": 4,
    "semantic": 4,
    "service": 5,
    "distributed": 5,
    "cli": 6,
}
SHARED = {"errors", "io", "config", "schema", "units", "progress", "tasks"}
MAX_LINES = 420  # "about 400": one job per module
SIZE_CHECKED = ("sam_core", "ui", "host", "terrasam_processing")


def subpackages() -> list[str]:
    return sorted(p.name for p in CORE.iterdir() if (p / "__init__.py").is_file())


def test_every_subpackage_is_on_the_map_and_every_name_on_the_map_exists():
    doc = ast.get_docstring(ast.parse((CORE / "__init__.py").read_text(encoding="utf-8")))
    assert subpackages() == sorted(RANK), "a new subpackage needs a rank here and a line on the map"
    for name in subpackages():
        assert f"``{name}``" in doc, f"sam_core/__init__.py does not name {name}/"
    for name in SHARED:
        assert (CORE / f"{name}.py").is_file() and f"``{name}``" in doc, name


def core_imports(path: Path) -> list[str]:
    """The sam_core-absolute names (``geo.raster``, ``errors``…) that ``path`` imports relatively."""
    package = path.relative_to(CORE).parent.parts
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[: len(package) - (node.level - 1)])
            target = base + (node.module.split(".") if node.module else [])
            if node.module is None:  # from . import x
                found += [".".join(target + [alias.name]) for alias in node.names]
            else:
                found.append(".".join(target))
    return found


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_core_imports_only_go_down(path):
    parts = path.relative_to(CORE).parts
    own = RANK.get(parts[0], 0) if len(parts) > 1 else 0
    for name in core_imports(path):
        top = name.split(".")[0]
        if path.name == "__main__.py" or top in SHARED or top == "":
            continue
        assert top in RANK, f"{path.relative_to(ROOT)} imports sam_core.{name}, which is not on the map"
        assert RANK[top] <= own and (RANK[top] < own or top == parts[0]), (
            f"{path.relative_to(ROOT)} imports sam_core.{name}: an upward or sideways import"
        )


def test_shared_modules_import_no_subpackage():
    for name in SHARED:
        tops = {n.split(".")[0] for n in core_imports(CORE / f"{name}.py")}
        assert tops <= SHARED, f"sam_core/{name}.py imports {sorted(tops - SHARED)}"


def test_no_module_outgrows_one_job():
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for folder in SIZE_CHECKED
        for path in (ROOT / folder).rglob("*.py")
    }
    assert len(sizes) > 50  # the walk found the code
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
