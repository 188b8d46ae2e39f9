"""Concurrent ingest runs for the tests: three OS processes (like three Celery workers with no writer pool), each
``flow.run`` for one feed of the demo site, released together by a barrier file, on one lake; then what they left.

``test_stack`` runs them on the scale profile (PostgreSQL catalog, Parquet on S3), ``test_concurrency`` on the
embedded default (SQLite catalog, local Parquet). The expectation is a serial run on a fresh lake of its own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import flow, warehouse
from pipeline.demo.server import DEMO_FEEDS
from pipeline.settings import PROJECT_ROOT, Settings

CEILING = 600.0  # seconds: generous, so a busy machine makes the test slow, never failing
FEEDS = tuple(name for name, _ in DEMO_FEEDS)  # three disjoint feed sets, one feed each
# The natural key of each table a run writes (the logs too: a run and a poll are each recorded once)
KEYS = {
    "entries": "url",
    "pages": "url",
    "articles": "url",
    "figures": "article_url, span_start, span_end, kind",
    "runs": "run_id",
    "feed_polls": "run_id, feed",
    "feed_state": "feed",
    "reference_series": "topic, metric, subgroup, year, status, as_of",  # loaded by each run's migrate()
    "schema_migrations": "version",
    "schema_views": "name",
}
# Each loaded table's rows per feed, through the entry its URL came from
PER_FEED = {
    "entries": "SELECT feed, count(*) FROM entries GROUP BY feed",
    "pages": "SELECT e.feed, count(*) FROM pages p JOIN entries e USING (url) GROUP BY e.feed",
    "articles": "SELECT e.feed, count(*) FROM articles a JOIN entries e USING (url) GROUP BY e.feed",
    "figures": "SELECT e.feed, count(*) FROM figures f JOIN entries e ON e.url = f.article_url GROUP BY e.feed",
}
RECORD = re.compile(r"(?m)^(?=\d+ [A-Z]+ \S+: )")  # where each log record of a worker starts (its format below)
CONFLICT = re.compile(r"commit conflict, replaying \d+ writes in [\d.]+s \(attempt (\d+)\)")
# the line of a replayed commit's error that says why: DuckLake's conflict, PostgreSQL's error or SQLite's lock
REASONS = (
    re.compile(r"ERROR:\s+[^\n]*"),
    re.compile(r"database is locked"),
    re.compile(r"Failed to commit DuckLake transaction\.\n([^\n]+)"),
)

# One worker: waits at the barrier, then one full pass for its feed; prints the run id and counts as JSON.
WORKER = textwrap.dedent(
    """
    import json, logging, sys, time
    from pathlib import Path
    from pipeline import flow
    from pipeline.demo.server import demo_feeds
    from pipeline.settings import Settings

    barrier, base, feed = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    logging.basicConfig(level=logging.WARNING, format="%(process)d %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(feeds=demo_feeds(base), allow_private_addresses=True, host_delay=0.0)
    (barrier.parent / f"ready-{feed}").touch()
    while not barrier.exists():
        time.sleep(0.01)
    run_id, counts = flow.run(settings, trigger="concurrent", feeds=[feed])
    print(json.dumps({"run_id": run_id, "counts": counts}), flush=True)
    """
)


@dataclass(frozen=True)
class Worker:
    """One worker process as it ended: its feed, exit code, output and log."""

    feed: str
    returncode: int
    out: str
    err: str

    @property
    def run_id(self) -> str:
        return str(json.loads(self.out.splitlines()[-1])["run_id"])

    def conflicts(self) -> list[tuple[int, str]]:
        """(attempt, why) of every commit conflict this worker replayed."""
        found = []
        for record in RECORD.split(self.err):
            if head := CONFLICT.search(record):
                why = next((m[m.lastindex or 0] for r in REASONS if (m := r.search(record))), record.splitlines()[0])
                found.append((int(head[1]), why))
        return found


def run_concurrently(env: Mapping[str, str], base: str, work: Path) -> list[Worker]:
    """Start one worker per demo feed on the lake ``env`` names, release them together, wait for all of them."""
    work.mkdir(parents=True, exist_ok=True)
    barrier = work / "go"
    procs = {
        feed: subprocess.Popen(
            [sys.executable, "-c", WORKER, str(barrier), base, feed],
            cwd=PROJECT_ROOT,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for feed in FEEDS
    }
    try:
        give_up = time.monotonic() + CEILING  # every worker has imported the pipeline and waits at the barrier
        while not all((work / f"ready-{feed}").exists() for feed in FEEDS):
            dead = {f: p.poll() for f, p in procs.items() if p.poll() is not None}
            assert not dead and time.monotonic() < give_up, f"workers did not reach the barrier: {dead}"
            time.sleep(0.05)
        barrier.touch()
        ended = {feed: proc.communicate(timeout=CEILING) for feed, proc in procs.items()}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    workers = [Worker(feed, procs[feed].returncode, *ended[feed]) for feed in FEEDS]
    for worker in workers:
        (work / f"{worker.feed}.log").write_text(worker.err)
    return workers


def serial_counts(settings: Settings) -> dict[str, dict[str, int]]:
    """One pass over every feed on a fresh lake, one process: the per-feed counts the concurrent runs must match."""
    flow.run(settings, trigger="serial")
    return per_feed(settings)


def per_feed(settings: Settings) -> dict[str, dict[str, int]]:
    """Rows of each loaded table per feed."""
    with warehouse.connect(settings, read_only=True) as con:
        return {table: dict(con.execute(sql).fetchall()) for table, sql in PER_FEED.items()}


def duplicates(settings: Settings) -> dict[str, tuple[int, int]]:
    """The tables holding a natural key more than once: (rows, distinct keys)."""
    found: dict[str, tuple[int, int]] = {}
    with warehouse.connect(settings, read_only=True) as con:
        for table, key in KEYS.items():
            rows, keys = con.execute(f"SELECT count(*), count(DISTINCT ({key})) FROM {table}").fetchone() or (0, 0)
            if rows != keys:
                found[table] = (rows, keys)
    return found


def recorded_runs(settings: Settings) -> list[tuple[Any, ...]]:
    """(run_id, status, reason, started_at, finished_at) of every run the lake holds."""
    with warehouse.connect(settings, read_only=True) as con:
        return con.execute(
            "SELECT run_id, status, reason, started_at, finished_at FROM runs ORDER BY run_id"
        ).fetchall()


def assert_nothing_lost_or_duplicated(
    workers: list[Worker], settings: Settings, expected: dict[str, dict[str, int]]
) -> str:
    """Assert the three runs lost and duplicated nothing; return a summary of the conflicts they replayed."""
    summary = conflict_summary(workers)
    failed = {w.feed: w.err[-3000:] for w in workers if w.returncode != 0}
    assert not failed, f"workers failed ({summary}): {failed}"
    assert not any("commit failed after" in w.err for w in workers), f"a conflict was not replayed ({summary})"
    runs = recorded_runs(settings)
    assert sorted(r[0] for r in runs) == sorted(w.run_id for w in workers)
    assert {r[1] for r in runs} == {"success"}, f"{[r[:3] for r in runs]} ({summary})"
    assert max(r[3] for r in runs) < min(r[4] for r in runs), "the three runs did not overlap in time"
    stored_twice = duplicates(settings)
    assert not stored_twice, f"natural keys stored more than once, (rows, keys): {stored_twice} ({summary})"
    assert per_feed(settings) == expected, summary
    return summary


def lake_env(settings: Settings) -> dict[str, str]:
    """The environment of a worker process on this lake (an S3 data path's credentials included)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFIGURES_")}
    lake = {
        "NEWSFIGURES_CATALOG": settings.catalog,
        "NEWSFIGURES_DATA_PATH": settings.data_path,
        "NEWSFIGURES_ARCHIVE_DIR": str(settings.archive_dir),
        "NEWSFIGURES_S3_ENDPOINT": settings.s3_endpoint,
        "NEWSFIGURES_S3_KEY_ID": settings.s3_key_id,
        "NEWSFIGURES_S3_SECRET": settings.s3_secret,
        "NEWSFIGURES_S3_REGION": settings.s3_region,
        "NEWSFIGURES_S3_URL_STYLE": settings.s3_url_style,
        "NEWSFIGURES_S3_USE_SSL": str(settings.s3_use_ssl).lower(),
    }
    return env | {k: v for k, v in lake.items() if v}


def conflict_summary(workers: list[Worker]) -> str:
    """How many commit conflicts each worker replayed, and the distinct reasons."""
    reasons: dict[str, int] = {}
    for worker in workers:
        for _, why in worker.conflicts():
            reason = re.sub(r"\d+", "N", why.replace("ERROR:  ", "PostgreSQL: "))
            reasons[reason] = reasons.get(reason, 0) + 1
    counts = ", ".join(f"{w.feed}: {len(w.conflicts())}" for w in workers)
    return f"commit conflicts replayed ({counts}); reasons: {reasons}"
