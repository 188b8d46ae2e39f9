"""Small files: how many Parquet files N quiet pipeline runs leave, before and after maintenance.

    .venv/bin/python benchmarks/small_files.py [--runs N]

A quiet run is ``flow.run`` with no feeds: it records its ``runs`` row and finishes it, nothing else. The lake has a
SQLite catalog (the laptop default). Counted: the data and delete files the current snapshot reads (live), and the
Parquet files on disk. First DuckLake's flush and merge alone (what maintenance did before it rewrote files), then
``maintenance.maintain`` as the daily job runs it (snapshots kept for the retention, files deleted once unused for
``file_retention_hours``, here 0), then once more at a time past the snapshot retention, so only files still in use
stay on disk.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import flow, warehouse
from pipeline.settings import Settings
from pipeline.warehouse import maintenance


def counts(settings: Settings, root: Path, stage: str) -> None:
    with warehouse.connect(settings, read_only=True) as con:
        data, deletes = maintenance.live_files(con)
        tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [warehouse.LAKE])
        rows = sum(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for (t,) in tables.fetchall())
    on_disk = len(list((root / "data").rglob("*.parquet")))
    print(f"{stage:44} {data:>6} {deletes:>7} {data + deletes:>6} {on_disk:>8} {rows:>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"duckdb {duckdb.__version__}, DuckLake with a SQLite catalog, {args.runs} quiet runs")
    with tempfile.TemporaryDirectory(prefix="newsfigures-small-files-") as tmp:
        root = Path(tmp)
        settings = Settings(
            catalog=f"sqlite:{root}/catalog.sqlite", data_path=f"{root}/data/", archive_dir=root / "archive", feeds=()
        )
        settings = replace(settings, file_retention_hours=0.0)
        start = time.perf_counter()
        for _ in range(args.runs):
            flow.run(settings, trigger="bench")
        print(f"{args.runs} runs in {time.perf_counter() - start:.0f} s")
        print(f"{'':44} {'data':>6} {'delete':>7} {'live':>6} {'on disk':>8} {'rows':>6}")
        counts(settings, root, f"after {args.runs} quiet runs")
        with warehouse.connect(settings) as con:
            con.execute(f"CALL ducklake_flush_inlined_data('{warehouse.LAKE}')")
            con.execute(f"CALL ducklake_merge_adjacent_files('{warehouse.LAKE}')")
        counts(settings, root, "flush + merge only (no rewrite)")
        start = time.perf_counter()
        done = maintenance.maintain(settings, now=datetime.now(UTC))
        print(f"maintain: {done} in {time.perf_counter() - start:.1f} s")
        counts(settings, root, "maintain (snapshots kept)")
        later = datetime.now(UTC) + timedelta(days=settings.snapshot_retention_days + 1)
        maintenance.maintain(settings, now=later)
        counts(settings, root, "maintain past the snapshot retention")


if __name__ == "__main__":
    main()
