"""The package's shape: each stage written once, dependencies pointing one way, every folder saying what it does."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from pipeline import STAGE, STAGES, flow
from pipeline.settings import PROJECT_ROOT

PACKAGES = ("pipeline", "schemas")


def test_every_stage_of_the_table_is_a_function_of_flow_and_nothing_else_is() -> None:
    assert set(flow.RUNS) == set(STAGE)
    assert [s.name for s in STAGES] == ["poll_feeds", "fetch_pages", "extract_articles", "find_figures"]
    for stage in STAGE.values():
        assert getattr(flow, stage.name) is flow.RUNS[stage.name]


def _module(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The modules of ours that ``path`` imports when it is imported (not those imported inside functions)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} & modules
            found |= {f"{node.module}.{alias.name}" for alias in node.names} & modules
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    paths = [p for package in PACKAGES for p in (PROJECT_ROOT / package).rglob("*.py")]
    modules = {_module(p) for p in paths}
    graph = {_module(p): _imports(p, modules) - {_module(p)} for p in paths}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph[module]):
            assert state.get(imported) != 1, "import cycle: " + " -> ".join([*path, module, imported])
            if imported not in state:
                visit(imported, [*path, module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_every_folder_of_the_package_says_what_enters_and_what_leaves() -> None:
    for folder in ("fetch", "extract", "checks", "warehouse"):
        doc = importlib.import_module(f"pipeline.{folder}").__doc__ or ""
        assert "Enters:" in doc and "Leaves:" in doc, folder
        assert len(doc.split()) >= 25, f"pipeline/{folder}/__init__.py needs its paragraph"


def test_flow_reads_as_its_arrows_in_200_lines_without_sql() -> None:
    source = (PROJECT_ROOT / "pipeline" / "flow.py").read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 200
    keywords = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "MERGE INTO", "CREATE ")
    assert not [k for k in keywords if k in source]  # its SQL lives in warehouse/pipeline/*.sql
