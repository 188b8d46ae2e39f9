"""Several processes on one lake: an analyst reads the marts in a loop while the pipeline loads (no errors, counts
never go down); three ingest runs for disjoint feeds at once on the embedded default lose and duplicate nothing."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import lake_settings
from ingest_workers import assert_nothing_lost_or_duplicated, lake_env, run_concurrently, serial_counts

from pipeline import flow, warehouse
from pipeline.demo.server import SITE, demo_feeds, serve
from pipeline.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow  # an analyst process reads while this one loads

# The analyst: a separate process, one read-only connection, counting what each mart shows until told to stop.
ANALYST = textwrap.dedent(
    """
    import itertools, json, sys, time
    from pathlib import Path
    from pipeline import warehouse
    from pipeline.settings import Settings

    catalog, data_path, stop, progress = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    QUERIES = {
        "reported_vs_official": "SELECT count(*) FROM reported_vs_official",
        "reporting_timeline": "SELECT count(*) FROM reporting_timeline",
        "outlet_accuracy": "SELECT coalesce(sum(figures_reported), 0) FROM outlet_accuracy",
        "ingestion_health": "SELECT coalesce(sum(polls), 0) FROM ingestion_health",
        "ingestion_health_daily": "SELECT coalesce(sum(articles), 0) FROM ingestion_health_daily",
    }
    with warehouse.connect(Settings(catalog=catalog, data_path=data_path), read_only=True) as con:
        for rounds in itertools.count(1):
            last = stop.exists()  # one more round after the loader finished: it must see the final counts
            seen = {name: con.execute(sql).fetchone()[0] for name, sql in QUERIES.items()}
            print(json.dumps(seen), flush=True)
            progress.with_suffix(".tmp").write_text(str(rounds))
            progress.with_suffix(".tmp").replace(progress)  # the test waits on this count, never on a clock
            if last:
                break
            time.sleep(0.25)
    """
)


def test_an_analyst_reads_the_marts_while_the_pipeline_loads(tmp_path: Path) -> None:
    settings = lake_settings(tmp_path, shared=True)
    with warehouse.connect(settings) as con:
        warehouse.migrate(con)  # the analyst needs a lake to attach; the loads below then fill it
    stop, progress = tmp_path / "stop", tmp_path / "rounds"
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, settings.catalog, settings.data_path, str(stop), str(progress)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with serve(SITE) as base:
            feeds = demo_feeds(base)
            read = _wait_for_rounds(progress, 1, analyst)  # the analyst has attached and read the empty marts
            # one feed per pass, then all of them (304s): the marts grow in steps while the analyst reads
            for chosen in ([feeds[0]], feeds[1:], feeds):
                _, counts = flow.run(replace(settings, feeds=feeds), trigger="test", feeds=[f.name for f in chosen])
                assert all("quarantined" not in c or c["quarantined"] == 0 for c in counts.values())
                read = _wait_for_rounds(progress, read + 1, analyst)  # it reads the marts between passes
        stop.touch()
        out, err = analyst.communicate(timeout=CEILING)
    finally:
        if analyst.poll() is None:
            analyst.kill()
            analyst.communicate()
    assert analyst.returncode == 0, err
    seen = [json.loads(line) for line in out.splitlines()]
    assert len(seen) >= 5, "the analyst should have read the marts before, between and after the loads"
    for mart in seen[0]:
        series = [s[mart] for s in seen]
        assert all(a <= b for a, b in itertools.pairwise(series)), f"{mart} went down: {series}"
        assert len(set(series)) >= 2, f"{mart} never changed while the pipeline loaded: {series}"
    with warehouse.connect(settings, read_only=True) as con:
        final = con.execute("SELECT count(*) FROM reported_vs_official").fetchone()
    assert final is not None and seen[-1]["reported_vs_official"] == final[0] > 0


def test_three_concurrent_ingest_runs_on_the_embedded_lake_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    """The stack test's three workers (tests/test_stack.py) on a SQLite catalog and local Parquet, as shipped."""
    settings = lake_settings(tmp_path / "concurrent", shared=True)  # a new lake: the three create and migrate it
    with serve(SITE) as base:
        expected = serial_counts(lake_settings(tmp_path / "serial", demo_feeds(base)))
        workers = run_concurrently(lake_env(settings), base, tmp_path / "workers")
    print(assert_nothing_lost_or_duplicated(workers, settings, expected))


CEILING = 600.0  # seconds: generous, so a busy machine makes the test slow, never failing


def _wait_for_rounds(progress: Path, rounds: int, analyst: subprocess.Popen[str]) -> int:
    """Wait until the analyst has finished ``rounds`` rounds of reads; return how many it has."""
    give_up = time.monotonic() + CEILING
    while time.monotonic() < give_up and analyst.poll() is None:
        done = int(progress.read_text()) if progress.exists() else 0
        if done >= rounds:
            return done
        time.sleep(0.05)
    raise AssertionError(f"the analyst did not finish {rounds} rounds of reads (exit code {analyst.poll()})")
