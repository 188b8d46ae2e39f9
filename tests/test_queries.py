"""The worked example queries in warehouse/queries/: each states its question and answers it on the demo lake."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import DemoLake

from pipeline import warehouse
from pipeline.settings import PROJECT_ROOT, Settings

QUERIES = sorted((warehouse.WAREHOUSE_DIR / "queries").glob("*.sql"))
DUCKDB_CLI = PROJECT_ROOT / ".venv" / "bin" / "duckdb"
READMES = (PROJECT_ROOT / "README.md", warehouse.WAREHOUSE_DIR / "README.md")


def readme_examples() -> list[tuple[str, str]]:
    """Each fenced ``sql`` block of the READMEs, with the README it is in; not the on-call templates, which name a
    failed run (``'<run id>'``) the demo does not have."""
    return [
        (path.relative_to(PROJECT_ROOT).as_posix(), block)
        for path in READMES
        for block in re.findall(r"```sql\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)
        if "'<" not in block
    ]


def statements(block: str) -> list[str]:
    """The block's statements, each without its leading comment lines."""
    found = []
    for chunk in block.split(";\n"):
        lines = [line for line in chunk.strip().splitlines() if not line.startswith("--")]
        if lines:
            found.append("\n".join(lines).rstrip(";"))
    return found


EXAMPLES = readme_examples()


@pytest.fixture(scope="module")
def demo(demo_lake: DemoLake) -> Settings:
    return demo_lake.settings


@pytest.fixture(scope="module")
def reader(demo: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    with warehouse.connect(demo, read_only=True) as con:
        yield con


def test_there_are_worked_examples() -> None:
    assert len(QUERIES) >= 6


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_each_query_says_its_question_and_returns_rows(path: Path, reader: duckdb.DuckDBPyConnection) -> None:
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("-- ") and "?" in text.split("\n\n")[0], "lead with the question, as a comment"
    rows = reader.execute(text).fetchall()
    assert rows, f"{path.name} returned no rows on the demo lake"


def test_the_seed_query_finds_the_800(reader: duckdb.DuckDBPyConnection) -> None:
    rows = reader.execute((warehouse.WAREHOUSE_DIR / "queries" / "seed_claim.sql").read_text()).fetchall()
    assert (800, "approximate", 196) in {row[1:4] for row in rows}


@pytest.mark.skipif(not DUCKDB_CLI.exists(), reason="duckdb-cli is not installed in .venv")
def test_the_duckdb_cli_runs_a_query_file_on_the_lake_read_only(demo: Settings, tmp_path: Path) -> None:
    # attach.sql, pointed at this test's lake instead of warehouse/lake/
    attach = (warehouse.WAREHOUSE_DIR / "attach.sql").read_text(encoding="utf-8")
    init = attach.replace("warehouse/lake/catalog.sqlite", demo.catalog.removeprefix("sqlite:"))
    assert init != attach
    (tmp_path / "attach.sql").write_text(init, encoding="utf-8")
    query = warehouse.WAREHOUSE_DIR / "queries" / "feed_health.sql"
    done = subprocess.run(  # as the README says: duckdb -init warehouse/attach.sql < warehouse/queries/x.sql
        [str(DUCKDB_CLI), "-csv", "-init", str(tmp_path / "attach.sql")],
        input=query.read_text(encoding="utf-8"),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,  # a ceiling, never reached unless the CLI hangs
    )
    assert done.returncode == 0, done.stderr
    assert {"demo-wire", "demo-herald", "demo-retire"} <= {line.split(",")[0] for line in done.stdout.splitlines()}


def test_the_readmes_have_sql_examples() -> None:
    assert {readme for readme, _ in EXAMPLES} == {"README.md", "warehouse/README.md"}


@pytest.mark.parametrize("readme, block", EXAMPLES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(EXAMPLES)])
def test_each_readme_sql_example_returns_rows_on_the_demo_lake(readme: str, block: str, demo: Settings) -> None:
    here = block.replace("warehouse/lake/catalog.sqlite", demo.catalog.removeprefix("sqlite:"))  # this test's lake
    with warehouse.connect(demo, read_only=True) as con:  # its own: an example may ATTACH or SET a variable
        for statement in statements(here):
            result = con.execute(statement)
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                assert result.fetchall(), f"{readme}: no rows on the demo lake from\n{statement}"


def test_the_snapshot_the_readme_names_is_the_one_that_loaded_the_demo_figures(demo_lake: DemoLake) -> None:
    with warehouse.connect(demo_lake.settings, read_only=True) as con:
        before, at = (
            con.execute(f"SELECT count(*) FROM figures AT (VERSION => {v})").fetchall()[0][0] for v in (18, 19)
        )
    assert (before, at) == (0, demo_lake.first["figures"])
