"""Warehouse upkeep: compact DuckLake's small files and expire old snapshots.

Every run writes small files: a no-op run's ``runs`` row is a Parquet file, and flushing the inlined ``UPDATE`` that
finishes it writes a delete file beside it. ``ducklake_merge_adjacent_files`` leaves a file that has deletes alone,
so the files mostly deleted are first rewritten without their dead rows (``ducklake_rewrite_data_files``), then
merged: the live files stay bounded however many runs there were.

A file that merging replaces, or that only expired snapshots needed, is scheduled for deletion by DuckLake and
deleted only once it has been scheduled for ``file_retention_hours``: a session opened before (an analyst's
notebook, a long query, a reader mid-scan) still reads the snapshot it started on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import duckdb

from pipeline import warehouse
from pipeline.fetch import archive
from pipeline.settings import Settings

log = logging.getLogger(__name__)

# Rewrite a data file once this share of its rows is deleted (DuckLake's default is 0.95). A run's small files are
# usually wholly replaced (1.0); a lower share also folds in files that a re-read or re-fetch partly replaced, at the
# cost of copying their live rows, which is small at this warehouse's size.
REWRITE_DELETE_THRESHOLD = 0.5


def maintain(settings: Settings, *, now: datetime) -> dict[str, int]:
    """Flush inlined rows, rewrite mostly deleted files, merge adjacent files, expire old snapshots, delete files
    unused for longer than the file retention, prune the raw archive."""
    cutoff = now - timedelta(days=settings.snapshot_retention_days)
    unused_since = now - timedelta(hours=settings.file_retention_hours)
    lake = warehouse.LAKE
    with warehouse.connect(settings) as con:
        flushed = con.execute(f"CALL ducklake_flush_inlined_data('{lake}')").fetchall()
        rewritten = con.execute(
            f"CALL ducklake_rewrite_data_files('{lake}', delete_threshold => ?)", [REWRITE_DELETE_THRESHOLD]
        ).fetchall()
        merged = con.execute(f"CALL ducklake_merge_adjacent_files('{lake}')").fetchall()
        expired = con.execute(f"CALL ducklake_expire_snapshots('{lake}', older_than => ?)", [cutoff]).fetchall()
        # older_than: files scheduled for deletion before then (by this run's merge or expiry, or an earlier one's)
        deleted = con.execute(f"CALL ducklake_cleanup_old_files('{lake}', older_than => ?)", [unused_since]).fetchall()
        data_files, delete_files = live_files(con)
    pruned = archive.prune(archive.store(settings), retention_days=settings.archive_retention_days, now=now)
    done = {
        "rows_flushed": sum(int(r[2]) for r in flushed),
        "files_rewritten": sum(int(r[2]) for r in rewritten),
        "files_merged": sum(int(r[2]) for r in merged),
        "files_written": sum(int(r[3]) for r in merged),
        "snapshots_expired": len(expired),
        "files_deleted": len(deleted),
        "archive_pruned": pruned,
        "data_files": data_files,
        "delete_files": delete_files,
    }
    log.info(
        "maintenance: flushed %d inlined rows, rewrote %d files with deletes, merged %d files into %d, expired %d "
        "snapshots older than %s, deleted %d files (%d data and %d delete files live); pruned %d archived responses",
        done["rows_flushed"], done["files_rewritten"], done["files_merged"], done["files_written"],
        done["snapshots_expired"], cutoff.isoformat(), done["files_deleted"], data_files, delete_files,
        done["archive_pruned"],
    )  # fmt: skip
    return done


def live_files(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """The data files and delete files the lake's current snapshot reads, over all its tables."""
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [warehouse.LAKE]).fetchall()
    data = deletes = 0
    for (table,) in tables:
        files = f"SELECT count(data_file), count(delete_file) FROM ducklake_list_files('{warehouse.LAKE}', ?)"
        (table_data, table_deletes) = con.execute(files, [table]).fetchall()[0]
        data, deletes = data + table_data, deletes + table_deletes
    return data, deletes
