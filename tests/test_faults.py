"""A load killed midway leaves nothing behind, and the rerun completes it without duplicates."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import lake_settings

from pipeline import flow, warehouse
from pipeline.demo.server import SITE, demo_feeds, serve

pytestmark = pytest.mark.slow  # a child process is killed midway through a load

# Runs in a child: the pipeline as usual, except that the process is killed (SIGKILL, no clean-up) right after the
# figures of the batch were merged, inside the transaction, before it commits.
_KILLED_MIDWAY = """
import os, signal, sys
from pathlib import Path
from pipeline import flow, warehouse
from pipeline.demo.server import demo_feeds
from pipeline.settings import Settings

merge = warehouse.Tx.merge
def merge_then_die(tx, table, frame, **kwargs):
    inserted = merge(tx, table, frame, **kwargs)
    if table == "figures" and inserted:
        print("merged", inserted, "figures; killing myself", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    return inserted
warehouse.Tx.merge = merge_then_die
lake = sys.argv[2]
settings = Settings(catalog=f"sqlite:{lake}/catalog.sqlite", data_path=f"{lake}/data/",
                    allow_private_addresses=True, host_delay=0.0,
                    archive_dir=Path(lake) / "archive", feeds=demo_feeds(sys.argv[1]))
flow.run(settings, trigger="test")
"""


def test_a_load_killed_midway_leaves_no_partial_batch_and_the_rerun_no_duplicates(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    with serve(SITE) as base:
        killed = subprocess.run(
            [sys.executable, "-c", _KILLED_MIDWAY, base, str(lake)], capture_output=True, text=True, timeout=600
        )
        assert killed.returncode == -9, killed.stdout + killed.stderr
        assert "killing myself" in killed.stdout

        settings = lake_settings(tmp_path, demo_feeds(base), shared=True)
        with warehouse.connect(settings, read_only=True) as con:
            articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
            after_kill = con.execute("SELECT count(*) FROM figures").fetchone()[0]
            unread = con.execute("SELECT count(*) FROM articles WHERE figures_version IS NULL").fetchone()[0]
            status = con.execute("SELECT status FROM runs").fetchall()
        assert articles > 0 and unread == articles  # the earlier stages had committed; figures had not
        assert after_kill == 0, "a partial batch of figures was committed"
        assert status == [("running",)]  # the killed run says so, for on-call

        flow.run(settings, trigger="test")

    with warehouse.connect(settings, read_only=True) as con:
        figures = con.execute("SELECT count(*) FROM figures").fetchone()[0]
        duplicates = con.execute(
            """SELECT count(*) FROM (SELECT article_url, span_start, span_end, kind FROM figures
               GROUP BY ALL HAVING count(*) > 1)"""
        ).fetchone()[0]
        unread = con.execute("SELECT count(*) FROM articles WHERE figures_version IS NULL").fetchone()[0]
    assert figures > 5 * articles and duplicates == 0 and unread == 0
    assert flow.run(settings, trigger="test")[1]["find_figures"]["figures"] == 0  # nothing left to do
