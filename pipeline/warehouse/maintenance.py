"""Warehouse upkeep: compact DuckLake's small files and expire old snapshots.

A file that merging replaces, or that only expired snapshots needed, is scheduled for deletion by DuckLake and
deleted only once it has been scheduled for ``file_retention_hours``: a session opened before (an analyst's
notebook, a long query, a reader mid-scan) still reads the snapshot it started on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pipeline import warehouse
from pipeline.fetch import archive
from pipeline.settings import Settings

log = logging.getLogger(__name__)


def maintain(settings: Settings, *, now: datetime) -> dict[str, int]:
    """Flush inlined rows, merge adjacent files, expire old snapshots, delete files unused for longer than the file
    retention, prune the raw archive."""
    cutoff = now - timedelta(days=settings.snapshot_retention_days)
    unused_since = now - timedelta(hours=settings.file_retention_hours)
    lake = warehouse.LAKE
    with warehouse.connect(settings) as con:
        flushed = con.execute(f"CALL ducklake_flush_inlined_data('{lake}')").fetchall()
        merged = con.execute(f"CALL ducklake_merge_adjacent_files('{lake}')").fetchall()
        expired = con.execute(f"CALL ducklake_expire_snapshots('{lake}', older_than => ?)", [cutoff]).fetchall()
        # older_than: files scheduled for deletion before then (by this run's merge or expiry, or an earlier one's)
        deleted = con.execute(f"CALL ducklake_cleanup_old_files('{lake}', older_than => ?)", [unused_since]).fetchall()
    pruned = archive.prune(archive.store(settings), retention_days=settings.archive_retention_days, now=now)
    done = {
        "rows_flushed": sum(int(r[2]) for r in flushed),
        "files_merged": sum(int(r[2]) for r in merged),
        "files_written": sum(int(r[3]) for r in merged),
        "snapshots_expired": len(expired),
        "files_deleted": len(deleted),
        "archive_pruned": pruned,
    }
    log.info(
        "maintenance: flushed %d inlined rows, merged %d files into %d, expired %d snapshots older than %s, "
        "deleted %d files; pruned %d archived responses",
        done["rows_flushed"], done["files_merged"], done["files_written"], done["snapshots_expired"],
        cutoff.isoformat(), done["files_deleted"], done["archive_pruned"],
    )  # fmt: skip
    return done
