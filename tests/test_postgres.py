"""The scale path: the same migrations, a full demo pass and the marts, with the DuckLake catalog in PostgreSQL."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import flow, warehouse
from pipeline.demo.server import SITE, demo_feeds, serve
from pipeline.settings import Settings

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
pytestmark = [
    pytest.mark.slow,  # a private PostgreSQL server
    pytest.mark.skipif(
        not BINARIES, reason="no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (run .ci/postgres.sh)"
    ),
]


def as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the postgres user when we are root."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A private PostgreSQL server on a free local port, with a database ``lake``; stopped and removed after."""
    bin_dir = Path(BINARIES[-1])
    home = Path(tempfile.mkdtemp(prefix="newsfigures-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    data, port = home / "data", free_port()
    run = lambda *args: subprocess.run(as_postgres([str(a) for a in args]), check=True, capture_output=True)  # noqa: E731
    try:
        run(bin_dir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", home / "log", "-w", "-t", "60", "start")
        try:
            run(bin_dir / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "lake")
            yield f"postgres:dbname=lake host=127.0.0.1 port={port} user=postgres"
        finally:
            run(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
    except subprocess.CalledProcessError as exc:
        log = (home / "log").read_text() if (home / "log").exists() else ""
        pytest.fail(f"PostgreSQL did not start: {exc.stderr.decode(errors='replace')}\n{log}")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_a_demo_pass_into_a_postgres_catalog_answers_every_mart(postgres: str, tmp_path: Path) -> None:
    with serve(SITE) as base:
        settings = Settings(
            allow_private_addresses=True,  # the demo site is served on loopback
            host_delay=0.0,
            catalog=postgres,
            data_path=f"{tmp_path}/data/",
            archive_dir=tmp_path / "archive",
            feeds=demo_feeds(base),
        )
        _, first = flow.run(settings, trigger="test")
        _, second = flow.run(settings, trigger="test")
    assert first["find_figures"]["figures"] > 50 and second["poll_feeds"]["entries_new"] == 0
    with warehouse.connect(settings, read_only=True) as con:
        catalog = con.execute("SELECT type, path FROM duckdb_databases() WHERE database_name = 'news'").fetchone()
        assert catalog == ("ducklake", postgres)  # the catalog really lives in PostgreSQL
        migrations = con.execute("SELECT count(*) FROM schema_migrations").fetchone()
        assert migrations == (len(list((warehouse.WAREHOUSE_DIR / "migrations").glob("[0-9][0-9][0-9]_*.sql"))),)
        seed = con.execute(
            """SELECT reported, official, agreement FROM reported_vs_official
               WHERE year = 2023 AND span_text = 'around 800'"""
        ).fetchall()
        assert seed == [(800, 196, "disagrees")]
        worst = con.execute(
            "SELECT outlet, share_agreeing < 1 FROM outlet_accuracy ORDER BY share_agreeing LIMIT 1"
        ).fetchone()
        assert worst == ("Safe Retirement Reports", True)
        events = dict(
            con.execute(
                """SELECT event, count(*) FROM reporting_timeline
                   WHERE metric = 'arrivals' AND subgroup IS NULL AND year = 2023 GROUP BY event"""
            ).fetchall()
        )
        # misreports: 800 and 863 (the blog restates its 863 later in the post: one claim, counted once)
        assert events["first_report"] == 1 and events["revision"] == 1 and events["misreport"] == 2
        polls = con.execute("SELECT sum(polls), sum(not_modified) FROM ingestion_health").fetchone()
        assert polls == (6, 3)
        days = con.execute("SELECT sum(figures) FROM ingestion_health_daily").fetchone()
        assert days == con.execute("SELECT count(*) FROM figures WHERE repeats_figure_no IS NULL").fetchone()
    assert list(Path(settings.data_path).rglob("*.parquet")), "data files go to the data path, not the catalog"
