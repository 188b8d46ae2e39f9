from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from conftest import lake_settings, table_counts

from pipeline import flow, warehouse
from pipeline.demo.server import SITE, demo_feeds, serve
from pipeline.settings import Settings
from pipeline.warehouse import maintenance


def runs(n: int, batch: int) -> pd.DataFrame:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return pd.DataFrame(
        {
            "run_id": [f"r{n}-{i}" for i in range(batch)],
            "started_at": at,
            "finished_at": at,
            "trigger": "test",
            "status": "success",
            "extractor_version": "v",
            "counts": "{}",
        }
    )


def parquet_files(tmp_path: Path) -> int:
    return len(list((tmp_path / "data").rglob("*.parquet")))


def test_maintenance_compacts_files_expires_snapshots_and_keeps_every_row(tmp_path: Path) -> None:
    settings = Settings(catalog=f"sqlite:{tmp_path}/c.sqlite", data_path=f"{tmp_path}/data/", feeds=())
    with warehouse.connect(settings) as con:
        warehouse.migrate(con)
        for n in range(6):  # each batch big enough to be written as its own Parquet file, not inlined
            with warehouse.transaction(con) as tx:
                tx.append("runs", runs(n, 2_000))
        snapshots = con.execute("SELECT count(*) FROM news.snapshots()").fetchone()[0]
    before = parquet_files(tmp_path)
    assert before >= 6

    done = maintenance.maintain(settings, now=datetime.now(UTC) + timedelta(days=settings.snapshot_retention_days + 1))

    assert done["files_merged"] >= 6 and done["files_written"] < done["files_merged"]
    assert done["snapshots_expired"] >= snapshots - 1
    assert parquet_files(tmp_path) < before
    with warehouse.connect(settings, read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT run_id) FROM runs").fetchone() == (12_000, 12_000)


def test_snapshots_within_retention_are_kept_for_time_travel(tmp_path: Path) -> None:
    settings = Settings(catalog=f"sqlite:{tmp_path}/c.sqlite", data_path=f"{tmp_path}/data/", feeds=())
    with warehouse.connect(settings) as con:
        warehouse.migrate(con)
        with warehouse.transaction(con) as tx:
            tx.append("runs", runs(0, 10))
        version = con.execute("SELECT max(snapshot_id) FROM news.snapshots()").fetchone()[0]
        with warehouse.transaction(con) as tx:
            tx.append("runs", runs(1, 10))

    done = maintenance.maintain(settings, now=datetime.now(UTC))

    assert done["snapshots_expired"] == 0
    with warehouse.connect(settings, read_only=True) as con:
        assert con.execute(f"SELECT count(*) FROM runs AT (VERSION => {version})").fetchone() == (10,)
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (20,)


def test_maintenance_prunes_archived_responses_past_their_retention(tmp_path: Path) -> None:
    import os

    archive = tmp_path / "archive"
    old, recent = archive / "ab" / ("ab" + "0" * 62 + ".warc.gz"), archive / "cd" / ("cd" + "0" * 62 + ".warc.gz")
    for path in (old, recent):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"warc")
    ten_days_ago = (datetime.now(UTC) - timedelta(days=10)).timestamp()
    os.utime(old, (ten_days_ago, ten_days_ago))
    settings = Settings(
        catalog=f"sqlite:{tmp_path}/c.sqlite", data_path=f"{tmp_path}/data/", archive_dir=archive,
        archive_retention_days=7, feeds=(),
    )  # fmt: skip
    with warehouse.connect(settings) as con:
        warehouse.migrate(con)

    done = maintenance.maintain(settings, now=datetime.now(UTC))

    assert done["archive_pruned"] == 1
    assert not old.exists() and recent.exists()


def test_a_reader_mid_scan_when_maintenance_runs_keeps_reading_until_the_file_retention_passes(
    tmp_path: Path,
) -> None:
    settings = Settings(catalog=f"sqlite:{tmp_path}/c.sqlite", data_path=f"{tmp_path}/data/", feeds=())
    with warehouse.connect(settings) as con:
        warehouse.migrate(con)
        for n in range(8):
            with warehouse.transaction(con) as tx:
                tx.append("runs", runs(n, 60_000))
    analyst = warehouse.connect(settings, read_only=True)
    try:
        analyst.execute("SET threads = 1")  # one file after the other, as a long query over a big table reads them
        scan = analyst.execute("SELECT run_id FROM runs")
        first = scan.fetchmany(100)

        today = maintenance.maintain(settings, now=datetime.now(UTC))

        assert today["files_merged"] >= 8 and today["files_deleted"] == 0  # replaced, kept for the retention
        assert len(first) + len(scan.fetchall()) == 480_000  # not "Cannot open file"
    finally:
        analyst.close()
    later = datetime.now(UTC) + timedelta(hours=settings.file_retention_hours + 1)

    done = maintenance.maintain(settings, now=later)

    assert done["files_deleted"] >= 8
    assert parquet_files(tmp_path) < 8


def live_files(settings: Settings) -> int:
    with warehouse.connect(settings, read_only=True) as con:
        return sum(maintenance.live_files(con))


MARTS = ("reported_vs_official", "reporting_timeline", "outlet_accuracy", "ingestion_health", "ingestion_health_daily")


def read_marts(settings: Settings, version: int | None = None) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every mart, now or at a snapshot (less ingestion_health's hours since success: the clock's)."""
    at = f" AT (VERSION => {version})" if version is not None else ""
    with warehouse.connect(settings, read_only=True) as con:
        return {
            mart: con.execute(f"SELECT * EXCLUDE (hours_since_success) FROM {mart}{at}").fetchall()
            if mart == "ingestion_health"
            else con.execute(f"SELECT * FROM {mart}{at}").fetchall()
            for mart in MARTS
        }


def test_quiet_runs_leave_as_many_live_files_after_maintenance_however_many_there_were(tmp_path: Path) -> None:
    with serve(SITE) as base:
        settings = lake_settings(tmp_path, demo_feeds(base), file_retention_hours=0.0)
        flow.run(settings, trigger="test")
    with warehouse.connect(settings, read_only=True) as con:
        ingested = int(con.execute("SELECT id FROM news.current_snapshot()").fetchall()[0][0])
    as_ingested = read_marts(settings)
    quiet = replace(settings, feeds=())  # a run with nothing to poll: it records itself, nothing else
    bounds = []
    for quiet_runs in (3, 6):
        for _ in range(quiet_runs):
            flow.run(quiet, trigger="test")
        before, tables, marts = live_files(settings), table_counts(settings), read_marts(settings)

        done = maintenance.maintain(settings, now=datetime.now(UTC))

        assert done["files_rewritten"] >= quiet_runs  # each run's row, replaced when the run finished
        after = live_files(settings)
        assert after == done["data_files"] + done["delete_files"] < before
        assert table_counts(settings) == tables and read_marts(settings) == marts
        bounds.append(after)
    assert bounds[1] == bounds[0]  # twice the runs, not one file more
    with warehouse.connect(settings, read_only=True) as con:  # the files replaced are kept for the older snapshots
        assert con.execute(f"SELECT count(*) FROM runs AT (VERSION => {ingested})").fetchall() == [(1,)]
    assert read_marts(settings, ingested) == as_ingested
