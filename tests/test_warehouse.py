"""The DuckLake warehouse: migrations, idempotent MERGE, atomic retried transactions, readers, the view."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from pipeline import warehouse
from pipeline.errors import WarehouseError
from pipeline.settings import PROJECT_ROOT, Settings

AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
SEED_URL = "https://news.example/defectors-2023"


def merge(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, **options: Any) -> int:
    """MERGE one batch in a transaction of its own."""
    with warehouse.transaction(con) as tx:
        return tx.merge(table, frame, **options)


def append(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Append one batch in a transaction of its own."""
    with warehouse.transaction(con) as tx:
        return tx.append(table, frame)


def lake_settings(root: Path) -> Settings:
    """Settings for a private lake under ``root``."""
    return Settings(
        catalog=f"sqlite:{root}/c.sqlite", data_path=f"{root}/data/", archive_dir=root / "archive", feeds=()
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return lake_settings(tmp_path)


@pytest.fixture
def con(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated lake, attached read-write."""
    connection = warehouse.connect(settings)
    warehouse.migrate(connection)
    try:
        yield connection
    finally:
        connection.close()


def entries(*urls: str, title: str = "Defectors") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "url": list(urls),
            "feed": "yonhap-nk",
            "topic": "defection",
            "guid": list(urls),
            "title": title,
            "published_at": AT,
            "summary": None,
            "first_seen_at": AT,
            "run_id": "r1",
        }
    )


def figure(
    value: float | None, *, year: int, kind: str = "count", hedge: str = "exact", **extra: Any
) -> dict[str, Any]:
    """One figures row as the extractor would load it; spans differ by value so keys stay distinct."""
    start = int(extra.pop("span_start", value or 0))
    row: dict[str, Any] = {
        "article_url": SEED_URL,
        "figure_no": 1,
        "kind": kind,
        "value": value,
        "low": None,
        "high": None,
        "hedge": hedge,
        "metric": "arrivals",
        "sense": None,
        "subgroup": None,
        "year": year,
        "period": None,
        "span_start": start,
        "span_end": start + 3,
        "span_text": str(value),
        "sentence": f"... {value} ...",
        "topic": "defection",
        "extractor_version": "test-1",
        "loaded_at": AT,
        "run_id": "r1",
    }
    row.update(extra)
    return row


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def test_migrate_twice_applies_nothing_the_second_time(settings: Settings) -> None:
    files = sorted(p.name for p in (warehouse.WAREHOUSE_DIR / "migrations").glob("[0-9][0-9][0-9]_*.sql"))
    with warehouse.connect(settings) as con:
        assert warehouse.migrate(con) == files
        reference_rows = count(con, "reference_series")
    with warehouse.connect(settings) as con:
        assert warehouse.migrate(con) == []
        assert count(con, "schema_migrations") == len(files)
        assert count(con, "reference_series") == reference_rows  # NULL subgroups and as_of still match on reload


def test_views_are_recreated_only_when_their_file_changes(tmp_path: Path) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(warehouse.WAREHOUSE_DIR, sql_dir, ignore=shutil.ignore_patterns("lake"))
    settings = lake_settings(tmp_path)

    def snapshots() -> int:
        with warehouse.connect(settings) as con:
            warehouse.migrate(con, sql_dir)
            return int(con.execute("SELECT count(*) FROM news.snapshots()").fetchone()[0])

    first = snapshots()
    assert snapshots() == first  # a run's migrate() no longer drops and recreates every view
    view = sql_dir / "views" / "reported_vs_official.sql"
    view.write_text(view.read_text(encoding="utf-8").replace("    findings,", "    findings, 1 AS edited,"), "utf-8")
    assert snapshots() > first
    with warehouse.connect(settings, read_only=True) as con:
        assert (
            "edited"
            in con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'reported_vs_official'").fetchone()[0]
        )


def test_reference_holds_final_and_preliminary_values(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT status, value, as_of FROM reference_series"
        " WHERE metric = 'arrivals' AND year = 2023 AND subgroup IS NULL ORDER BY status"
    ).fetchall()
    assert rows == [("final", 196.0, None), ("preliminary", 190.0, datetime(2024, 1, 1).date())]
    sources = con.execute("SELECT DISTINCT source FROM reference_series").fetchall()
    assert all("Ministry of Unification (MOU)" in s for (s,) in sources)


def test_reference_agrees_with_its_source_and_cumulative_totals(con: duckdb.DuckDBPyConnection) -> None:
    source = warehouse.WAREHOUSE_DIR / "reference" / "official_defector_arrivals.csv"
    with source.open(encoding="utf-8") as f:
        official = {int(r["year"]): float(r["arrivals"]) for r in csv.DictReader(f)}
    finals = dict(
        con.execute(
            "SELECT year, value FROM reference_series"
            " WHERE metric = 'arrivals' AND status = 'final' AND subgroup IS NULL"
        ).fetchall()
    )
    assert finals == official
    cumulative = dict(
        con.execute(
            "SELECT year, value FROM reference_series WHERE metric = 'cumulative' AND subgroup IS NULL"
        ).fetchall()
    )
    for year, total in cumulative.items():
        assert total == cumulative[1998] + sum(v for y, v in official.items() if y <= year), year


def test_merge_twice_adds_nothing_and_updates_changed_columns(con: duckdb.DuckDBPyConnection) -> None:
    batch = entries("https://a.example/1", "https://a.example/2")
    assert merge(con, "entries", batch) == 2
    assert merge(con, "entries", batch) == 0
    assert merge(con, "entries", entries("https://a.example/1", title="Corrected"), update=True) == 0
    assert count(con, "entries") == 2
    titles = dict(con.execute("SELECT url, title FROM entries").fetchall())
    assert titles == {"https://a.example/1": "Corrected", "https://a.example/2": "Defectors"}


def test_merge_without_update_keeps_the_first_row(con: duckdb.DuckDBPyConnection) -> None:
    merge(con, "entries", entries("https://a.example/1"))
    merge(con, "entries", entries("https://a.example/1", title="Later"), update=False)
    assert con.execute("SELECT title FROM entries").fetchall() == [("Defectors",)]


def test_batch_with_duplicate_keys_inserts_once_and_last_wins(con: duckdb.DuckDBPyConnection) -> None:
    batch = pd.concat([entries("https://a.example/1"), entries("https://a.example/1", title="Last")])
    assert merge(con, "entries", batch) == 1
    assert con.execute("SELECT title FROM entries").fetchall() == [("Last",)]


def test_unknown_table_or_column_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(WarehouseError, match="unknown table"):
        merge(con, "entries; DROP TABLE runs", entries("https://a.example/1"))
    with pytest.raises(WarehouseError, match="no column"):
        append(con, "entries", entries("https://a.example/1").assign(bogus=1))


def test_failure_inside_a_transaction_leaves_nothing(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(RuntimeError, match="midway"), warehouse.transaction(con) as tx:
        tx.merge("entries", entries("https://a.example/1"))
        tx.append("figures", pd.DataFrame([figure(196, year=2023)]))
        raise RuntimeError("midway")
    assert count(con, "entries") == 0
    assert count(con, "figures") == 0
    merge(con, "entries", entries("https://a.example/1"))  # the connection is usable after
    assert count(con, "entries") == 1


def test_read_only_connect_needs_an_existing_lake(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="no lake catalog"):
        warehouse.connect(lake_settings(tmp_path / "nowhere"), read_only=True)


def _python(code: str, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    """Start a Python process running ``code`` with this project importable."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args], text=True, env=env, cwd=PROJECT_ROOT, **kwargs
    )


READER = """
    import sys
    from pathlib import Path
    from pipeline import warehouse
    from tests.test_warehouse import lake_settings
    with warehouse.connect(lake_settings(Path(sys.argv[1])), read_only=True) as con:
        for line in sys.stdin:  # one count per line the writer sends, with the connection held open
            print(con.execute("SELECT count(*) FROM entries").fetchone()[0], flush=True)
"""


@pytest.mark.slow  # other processes
def test_reader_in_another_process_sees_rows_while_this_one_writes(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    merge(con, "entries", entries("https://a.example/1"))
    reader = _python(READER, str(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert reader.stdin is not None and reader.stdout is not None
    seen = []
    for batch in (entries("https://a.example/2"), entries("https://a.example/3", "https://a.example/4")):
        reader.stdin.write("count\n")
        reader.stdin.flush()
        seen.append(int(reader.stdout.readline()))
        merge(con, "entries", batch)  # commits while the reader stays attached
    reader.stdin.write("count\n")
    reader.stdin.close()
    seen.append(int(reader.stdout.readline()))
    assert reader.wait(timeout=600) == 0
    assert seen == [1, 2, 4]


WRITER = """
    import sys
    from pathlib import Path
    import pandas as pd
    from pipeline import warehouse
    from tests.test_warehouse import entries, lake_settings
    name = sys.argv[2]
    with warehouse.connect(lake_settings(Path(sys.argv[1]))) as con:
        for i in range(12):
            urls = [f"https://{name}.example/{i}/{j}" for j in range(30)]
            run = {"run_id": [f"{name}-{i}"], "started_at": [pd.Timestamp.now(tz="UTC")], "trigger": ["cli"],
                   "status": ["running"]}
            with warehouse.transaction(con) as tx:
                tx.merge("entries", entries(*urls))
                tx.append("runs", pd.DataFrame(run))
"""


@pytest.mark.slow  # other processes
def test_concurrent_writers_retry_until_every_batch_lands(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    writers = [_python(WRITER, str(tmp_path), name, stderr=subprocess.PIPE) for name in "abc"]
    errors = [w.communicate(timeout=600)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0], errors
    assert count(con, "entries") == 3 * 12 * 30
    assert count(con, "runs") == 3 * 12


class Contended:
    """A connection whose first ``losses`` COMMITs fail as on a loaded machine where other writers keep winning."""

    def __init__(self, con: duckdb.DuckDBPyConnection, losses: int) -> None:
        self._con, self.losses = con, losses

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT" and self.losses:
            self.losses -= 1
            self._con.execute("ROLLBACK")
            raise duckdb.TransactionException("Failed to commit DuckLake transaction: database is locked")
        return self._con.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def test_a_commit_that_keeps_losing_races_is_replayed_until_it_lands(con: duckdb.DuckDBPyConnection) -> None:
    busy: Any = Contended(con, losses=10)  # twice the tries commits used to get

    with warehouse.transaction(busy, backoff=0.001) as tx:
        tx.merge("entries", entries("https://a.example/1", "https://a.example/2"))

    assert busy.losses == 0 and count(con, "entries") == 2


def test_a_commit_gives_up_once_its_patience_is_spent(con: duckdb.DuckDBPyConnection) -> None:
    busy: Any = Contended(con, losses=10**6)

    with pytest.raises(WarehouseError, match="database is locked"), warehouse.transaction(busy, patience=0.2) as tx:
        tx.merge("entries", entries("https://a.example/1"))

    assert count(con, "entries") == 0


def load_seed(con: duckdb.DuckDBPyConnection) -> None:
    """The seed article and its four whole-year figures about arrivals."""
    article = {
        "url": SEED_URL,
        "body_sha256": "0" * 64,
        "status": "ok",
        "site_name": "Example Daily",
        "published_at": AT,
        "text": "...",
        "extraction_method": "trafilatura",
        "extracted_at": AT,
        "run_id": "r1",
    }
    merge(con, "articles", pd.DataFrame([article]))
    rows = [
        figure(800, year=2023, hedge="approximate"),
        figure(196, year=2023),
        figure(3, year=2023, kind="ratio", hedge="approximate", sense="change", span_start=40),
        figure(278, year=2022),
        figure(25, year=2023, period="Q1"),  # a quarter: not compared with a yearly series
        figure(30, year=2023, kind="percent", sense="share", subgroup="women"),
    ]
    merge(con, "figures", pd.DataFrame(rows))


LEADING = ["year", "metric", "subgroup", "reported", "hedge", "official", "agreement", "outlet", "url"]


def view_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every row of reported_vs_official, as dicts by column name."""
    result = con.execute("SELECT * FROM reported_vs_official")
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def test_view_marks_the_seed_claims_against_the_official_series(con: duckdb.DuckDBPyConnection) -> None:
    load_seed(con)
    rows = view_rows(con)
    got = {(r["kind"], r["year"], r["reported"] if r["kind"] == "count" else r["reported_ratio"]): r for r in rows}
    assert len(rows) == 4  # the quarter and the percent are left out
    assert [r["year"] for r in rows] == [2022, 2023, 2023, 2023]
    assert list(rows[0])[:9] == LEADING
    assert (got["count", 2023, 800]["official"], got["count", 2023, 800]["agreement"]) == (
        196,
        "disagrees",
    )
    assert got["count", 2023, 196]["agreement"] == "agrees"
    assert got["ratio", 2023, 3]["official_ratio"] == pytest.approx(196 / 67)
    assert (got["ratio", 2023, 3]["reported"], got["ratio", 2023, 3]["official"]) == (None, None)
    assert got["ratio", 2023, 3]["agreement"] == "agrees"
    assert (got["count", 2022, 278]["official"], got["count", 2022, 278]["agreement"]) == (
        67,
        "disagrees",
    )
    claim = got["count", 2023, 800]
    assert type(claim["reported"]) is int and type(claim["official"]) is int  # a count shows as 800, not 800.0
    assert claim["deviation_pct"] == 308.2  # 800 / 196 - 1, as a percentage to one decimal
    assert (claim["outlet"], claim["url"], claim["confidence"]) == ("Example Daily", SEED_URL, "confirmed")
    assert claim["sentence"] == "... 800 ..." and claim["extractor_version"] == "test-1"


def test_view_falls_back_to_the_feed_and_flags_missing_reference(con: duckdb.DuckDBPyConnection) -> None:
    merge(con, "entries", entries(SEED_URL))
    rows = [
        figure(150, year=2030, hedge="at_least"),  # no official figure yet
        figure(None, year=2021, low=60, high=70, span_start=10),
        figure(100, year=2022, hedge="at_most", span_start=20),
    ]
    merge(con, "figures", pd.DataFrame(rows))
    frame = con.execute("SELECT year, outlet, agreement FROM reported_vs_official").fetchall()
    assert frame == [
        (2021, "yonhap-nk", "agrees"),
        (2022, "yonhap-nk", "agrees"),
        (2030, "yonhap-nk", "no_reference"),
    ]


@pytest.mark.skipif(not (PROJECT_ROOT / ".venv" / "bin" / "duckdb").exists(), reason="duckdb CLI not installed")
def test_attach_sql_opens_the_lake_in_the_duckdb_cli(tmp_path: Path) -> None:
    # attach.sql names paths relative to the repository root; mirror that layout around a private lake
    (tmp_path / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    lake = tmp_path / "warehouse" / "lake"
    settings = Settings(catalog=f"sqlite:{lake}/catalog.sqlite", data_path=f"{lake}/data/", feeds=())
    with warehouse.connect(settings) as con:
        warehouse.migrate(con)
        load_seed(con)
    cli = shutil.which("duckdb", path=str(PROJECT_ROOT / ".venv" / "bin"))
    assert cli is not None
    attach = str(PROJECT_ROOT / "warehouse" / "attach.sql")
    sql = "SELECT count(*) FROM reported_vs_official"
    done = subprocess.run(
        [cli, "-init", attach, "-csv", "-noheader", "-c", sql], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "4"
